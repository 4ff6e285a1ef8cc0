#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/import/zk_records.h"

namespace warren::metastore::import {

// One node as a snapshot stores it, its ACL resolved from the snapshot's ACL cache.
struct ZkSnapshotNode {
  std::string path;  // "/" for the root (stored as "")
  std::string data;
  std::vector<ZkAcl> acl;
  ZkStat stat;
};

// A ZooKeeper snapshot file (FileSnap): the header (magic ZKSN, version, dbid), the sessions
// (id, timeout), the ACL cache, the nodes parent first up to the "/" terminator, an Adler-32
// seal ("val", then "/"), and what 3.6+ appends: the tree digest, sealed again (and 3.9's
// last processed zxid, sealed again).
struct ZkSnapshot {
  int64_t dbid = 0;
  std::map<int64_t, int32_t> sessions;  // id -> timeout (ms)
  std::vector<ZkSnapshotNode> nodes;    // in the file's order: every parent before its children
};

// DataLoss naming what is wrong: a wrong magic, bytes cut short, a node whose parent was not
// before it, an ACL reference missing from the cache, a seal that does not match.
absl::StatusOr<ZkSnapshot> ParseSnapshot(std::string_view bytes);

inline constexpr int32_t kSnapshotMagic = 0x5a4b534e;  // "ZKSN"
inline constexpr int64_t kOpenAclRef = -1;             // world:anyone ALL, not in the cache

}  // namespace warren::metastore::import
