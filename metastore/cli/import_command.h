#pragma once

#include "metastore/cli/cli.h"

namespace warren::metastore::cli {

// warren import-zk ZK_DATA_DIR --data-dir=DIR --id=N --address=HOST:PORT [--zk-log-dir=DIR]:
// offline, makes DIR the data directory of the first member of a new quorum holding the tree
// a stopped ZooKeeper 3.x kept (its newest snapshot and the logs after it), as `restore`
// does for a Warren backup (docs/migrating-from-zookeeper.md).
int ImportZk(const Args& args);

}  // namespace warren::metastore::cli
