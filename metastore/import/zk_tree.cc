#include "metastore/import/zk_tree.h"

namespace warren::metastore::import {

std::string ZkParent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

namespace {

std::string NameOf(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// A session's ephemeral, not a container's or a TTL node's mark.
bool IsSessionOwner(int64_t owner) {
  return owner != 0 && owner != kContainerOwner && !IsTtlOwner(owner);
}

}  // namespace

ZkTree::ZkTree(const ZkSnapshot& snapshot) : sessions_(snapshot.sessions) {
  for (const auto& n : snapshot.nodes) {
    ZkNode& node = nodes_[n.path];
    node.data = n.data;
    node.acl = n.acl;
    node.stat = n.stat;
    if (n.path == "/") continue;
    nodes_[ZkParent(n.path)].children.insert(NameOf(n.path));
    if (IsSessionOwner(n.stat.ephemeral_owner)) ephemerals_[n.stat.ephemeral_owner].insert(n.path);
  }
}

void ZkTree::Apply(const ZkLoggedTxn& t) {
  const ZkTxnHeader& h = t.header;
  switch (h.type) {
    case zookeeper::op::kCreateSession:
      sessions_[h.client_id] = t.txn.timeout;
      return;
    case zookeeper::op::kCloseSession:
      CloseSession(h, t.txn);
      return;
    case zookeeper::op::kMulti: {
      // A multi with an error op failed as a whole: ZooKeeper logs it but applies none of it.
      for (const ZkTxn& op : t.txn.ops) {
        if (op.type == zookeeper::op::kError) return;
      }
      for (const ZkTxn& op : t.txn.ops) {
        if (!ApplyOp(h, op.type, op)) ++skipped_;
      }
      return;
    }
    case zookeeper::op::kReconfig:  // /zookeeper/config, which the import leaves out
      return;
    default:
      if (!ApplyOp(h, h.type, t.txn)) ++skipped_;
  }
}

bool ZkTree::ApplyOp(const ZkTxnHeader& h, int32_t type, const ZkTxn& t) {
  switch (type) {
    case zookeeper::op::kCreate:
    case zookeeper::op::kCreate2:
      return Create(h, type, t, t.ephemeral ? h.client_id : 0);
    case zookeeper::op::kCreateContainer:
      return Create(h, type, t, kContainerOwner);
    case zookeeper::op::kCreateTtl:
      return Create(h, type, t, TtlOwner(t.ttl));
    case zookeeper::op::kDelete:
    case zookeeper::op::kDeleteContainer:
      return Delete(t.path, h.zxid);
    case zookeeper::op::kSetData: {
      auto it = nodes_.find(t.path);
      if (it == nodes_.end()) return false;
      it->second.data = t.data;
      it->second.stat.mtime = h.time;
      it->second.stat.mzxid = h.zxid;
      it->second.stat.version = t.version;
      return true;
    }
    case zookeeper::op::kSetAcl: {
      auto it = nodes_.find(t.path);
      if (it == nodes_.end()) return false;
      it->second.stat.aversion = t.version;
      it->second.acl = t.acl;
      return true;
    }
    default:  // check, error: nothing to change
      return true;
  }
}

// DataTree.createNode, and processTxn's fix-up for a plain create that finds its node.
bool ZkTree::Create(const ZkTxnHeader& h, int32_t type, const ZkTxn& t, int64_t owner) {
  if (t.path.empty() || t.path == "/" || t.path[0] != '/') return false;
  const std::string parent_path = ZkParent(t.path);
  auto parent = nodes_.find(parent_path);
  if (parent == nodes_.end()) return false;
  ZkStat& ps = parent->second.stat;
  if (auto existing = nodes_.find(t.path); existing != nodes_.end()) {
    existing->second.acl = t.acl;
    if (type == zookeeper::op::kCreate) {
      const int32_t cversion = t.parent_cversion == -1 ? ps.cversion + 1 : t.parent_cversion;
      if (cversion > ps.cversion) {
        ps.cversion = cversion;
        ps.pzxid = h.zxid;
      }
    }
    return false;
  }
  const int32_t cversion = t.parent_cversion == -1 ? ps.cversion + 1 : t.parent_cversion;
  if (cversion > ps.cversion) {
    ps.cversion = cversion;
    ps.pzxid = h.zxid;
  }
  parent->second.children.insert(NameOf(t.path));
  ZkNode& node = nodes_[t.path];
  node.data = t.data;
  node.acl = t.acl;
  node.stat.czxid = node.stat.mzxid = node.stat.pzxid = h.zxid;
  node.stat.ctime = node.stat.mtime = h.time;
  node.stat.ephemeral_owner = owner;
  if (IsSessionOwner(owner)) ephemerals_[owner].insert(t.path);
  return true;
}

// DataTree.deleteNode: the parent loses the child and its pzxid moves on (its cversion does
// not: ZooKeeper counts only creates there).
bool ZkTree::Delete(const std::string& path, int64_t zxid) {
  auto parent = nodes_.find(ZkParent(path));
  if (path == "/" || parent == nodes_.end()) return false;
  parent->second.children.erase(NameOf(path));
  if (zxid > parent->second.stat.pzxid) parent->second.stat.pzxid = zxid;
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return false;
  // A node with children cannot be deleted in ZooKeeper; should a log say so anyway, its
  // subtree goes too rather than being left without a parent.
  for (const std::string& child : std::set<std::string>(it->second.children)) {
    Delete(path + "/" + child, zxid);
  }
  const int64_t owner = it->second.stat.ephemeral_owner;
  if (IsSessionOwner(owner)) {
    auto e = ephemerals_.find(owner);
    if (e != ephemerals_.end()) e->second.erase(path);
  }
  nodes_.erase(path);
  return true;
}

int64_t ZkTree::DropDeadSessions(int64_t zxid) {
  std::vector<int64_t> dead;
  for (const auto& [owner, paths] : ephemerals_) {
    if (!paths.empty() && !sessions_.contains(owner)) dead.push_back(owner);
  }
  for (int64_t owner : dead) CloseSession({owner, 0, zxid, 0, zookeeper::op::kCloseSession}, {});
  return static_cast<int64_t>(dead.size());
}

// DataTree.killSession: the paths the CloseSessionTxn lists, then whatever else the session
// still owns.
void ZkTree::CloseSession(const ZkTxnHeader& h, const ZkTxn& t) {
  sessions_.erase(h.client_id);
  std::set<std::string> owned;
  if (auto e = ephemerals_.find(h.client_id); e != ephemerals_.end()) {
    owned = std::move(e->second);
    ephemerals_.erase(e);
  }
  for (const std::string& path : t.paths) {
    Delete(path, h.zxid);
    owned.erase(path);
  }
  for (const std::string& path : owned) Delete(path, h.zxid);
}

}  // namespace warren::metastore::import
