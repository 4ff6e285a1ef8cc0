#pragma once

#include "metastore/cli/cli.h"

namespace warren::metastore::cli {

// warren check DATA_DIR: offline, verifies a stopped member's data directory as warrend
// would on starting — identity, hard state, every log record, the snapshots, every record of
// the tree — changing nothing. Exit 0 if the member would start, 1 with the reason if not.
int Check(const Args& args);

}  // namespace warren::metastore::cli
