#pragma once

// What a ZNodeTree must say of itself whatever was applied to it, read as the superuser, for
// the fuzzers.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "metastore/znode_tree.h"

namespace warren::metastore {

// Runs `q` with the superuser's identity, whom no node's ACL keeps out. Aborts if the tree
// cannot answer at all.
metastorepb::QueryReply AskAsSuper(ZNodeTree& tree, metastorepb::Query q);

// Every node, parents before children.
std::vector<std::string> WalkTree(ZNodeTree& tree);

// The walk agrees with node_count and CountDescendants; every stat with its node's data and
// children and with the applied zxid; every ephemeral node with its session. Internal, naming
// the first node that disagrees.
absl::Status CheckTreeInvariants(ZNodeTree& tree);

// Every node with its stat, data and ACL, and every session: equal for equal trees.
std::string DumpTree(ZNodeTree& tree);

}  // namespace warren::metastore
