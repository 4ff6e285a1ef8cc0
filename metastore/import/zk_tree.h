#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "metastore/import/zk_records.h"
#include "metastore/import/zk_snapshot.h"

namespace warren::metastore::import {

struct ZkNode {
  std::string data;
  std::vector<ZkAcl> acl;
  ZkStat stat;
  std::set<std::string> children;  // names
};

// ZooKeeper's DataTree as far as replaying its log needs: a snapshot's nodes and sessions,
// with transactions applied as DataTree.processTxn applies them. A snapshot is fuzzy (taken
// while transactions went on), so a transaction may find its effect already there: as in
// ZooKeeper, what fails (a node that exists, or is missing) is skipped, and a create that
// finds its node still moves the parent's cversion and pzxid on.
class ZkTree {
 public:
  explicit ZkTree(const ZkSnapshot& snapshot);

  void Apply(const ZkLoggedTxn& t);
  // As ZooKeeperServer.loadData after a restore: the ephemerals of sessions that are not
  // live (not in the snapshot's list nor created since) are deleted at `zxid`. Returns how
  // many sessions that was.
  int64_t DropDeadSessions(int64_t zxid);

  const std::map<std::string, ZkNode>& nodes() const { return nodes_; }
  const std::map<int64_t, int32_t>& sessions() const { return sessions_; }
  // Transactions (or ops of a multi) that failed on the tree as it was, and were skipped.
  int64_t skipped() const { return skipped_; }

 private:
  // false if the op failed (NoNode, NodeExists): nothing changed but what ZooKeeper changes.
  bool ApplyOp(const ZkTxnHeader& h, int32_t type, const ZkTxn& t);
  bool Create(const ZkTxnHeader& h, int32_t type, const ZkTxn& t, int64_t owner);
  bool Delete(const std::string& path, int64_t zxid);
  void CloseSession(const ZkTxnHeader& h, const ZkTxn& t);

  std::map<std::string, ZkNode> nodes_;
  std::map<int64_t, int32_t> sessions_;
  std::map<int64_t, std::set<std::string>> ephemerals_;  // session -> paths
  int64_t skipped_ = 0;
};

// "/a/b" -> "/a", "/a" -> "/".
std::string ZkParent(const std::string& path);

}  // namespace warren::metastore::import
