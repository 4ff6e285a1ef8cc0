#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "metastore/import/zk_tree.h"

namespace warren::metastore::import {

struct WarrenTreeCounts {
  int64_t nodes = 0;  // the root included; /zookeeper and below left out
  int64_t ephemerals = 0;
  int64_t containers = 0;
  int64_t ttl_nodes = 0;
  int64_t sessions = 0;
};

// Writes `tree` into a new RocksDB at `dir` in the layout of tree_storage.h, applied to
// `index`: each node's stat as ZooKeeper had it (numChildren and dataLength from the tree),
// containers and TTL nodes as Warren marks them (not in ephemeralOwner), ACLs per node, and
// each session with the password ZooKeeper gave it. ZooKeeper's /zookeeper subtree is left
// out: every Warren tree has its own.
absl::StatusOr<WarrenTreeCounts> WriteWarrenTree(const ZkTree& tree, uint64_t index,
                                                 const std::string& dir);

}  // namespace warren::metastore::import
