#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/import/zk_tree.h"

namespace warren::metastore::import {

// What a ZooKeeper data directory held, rebuilt as ZooKeeper rebuilds it on starting
// (FileTxnSnapLog.restore): the newest snapshot that reads whole, then every logged
// transaction after its zxid.
struct ZkDataDir {
  std::optional<ZkTree> tree;
  std::string snapshot;                    // the file used
  int64_t snapshot_zxid = 0;               // from its name
  std::vector<std::string> bad_snapshots;  // newer ones passed over, each "file: why"
  std::vector<std::string> logs;           // the log files read, oldest first
  int64_t txns = 0;                        // transactions applied after the snapshot
  int64_t last_zxid = 0;                   // the largest zxid ZooKeeper reached
  std::optional<std::string> torn;  // "file at offset N": a torn record, where reading stopped
  int64_t dead_sessions = 0;        // not live: their ephemerals went, as on a restart
};

// `data_dir` is ZooKeeper's dataDir or its version-2 directory; `log_dir` its dataLogDir
// (the same if empty). Errors name the file and what is wrong: not a ZooKeeper directory,
// no snapshot, no snapshot that reads whole, a log record whose checksum does not match, a
// transaction of an unknown type, a gap between the snapshot and the logs or within them.
absl::StatusOr<ZkDataDir> LoadZkDataDir(const std::string& data_dir, const std::string& log_dir);

// Whether `next` may follow `prev` in a log: the next counter, or the first of a new epoch.
bool ZxidFollows(int64_t prev, int64_t next);

}  // namespace warren::metastore::import
