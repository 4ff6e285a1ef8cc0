#pragma once

#include "metastore/cli/cli.h"

namespace warren::metastore::cli {

// warren backup FILE: the leader's snapshot, taken now, streamed into FILE and verified.
int Backup(MetastoreClient& client, const Args& args);
// warren restore FILE --data-dir=DIR --id=N --address=HOST:PORT: offline, makes DIR the data
// directory of the first member of a new quorum, holding the backup's tree.
int Restore(const Args& args);

}  // namespace warren::metastore::cli
