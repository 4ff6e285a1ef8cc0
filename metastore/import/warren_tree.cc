#include "metastore/import/warren_tree.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "metastore/acl.h"
#include "metastore/import/zk_password.h"
#include "metastore/path.h"
#include "metastore/quota.h"
#include "metastore/tree_storage.h"
#include "proto/metastore.pb.h"
#include "raft/log/file_util.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace warren::metastore::import {
namespace {

constexpr size_t kBatchBytes = 8 << 20;

// What is imported: every node but ZooKeeper's own, and of those the quotas, which Warren keeps
// as ZooKeeper does (metastore/quota.h). /zookeeper itself each member makes afresh.
bool Imported(std::string_view path) {
  return !IsSystemPath(path) || path == kQuotaNode || IsQuotaPath(path);
}

// ZooKeeper counts its quotas' usage afresh when it loads a snapshot (DataTree.setupQuota), and
// the transactions replayed after the snapshot were not counted: so is a stats node's usage here.
std::string RecountedStats(const ZkTree& tree, std::string_view subject, const std::string& data) {
  QuotaFields stats = QuotaFields::Parse(data);
  int64_t count = 0;
  int64_t bytes = 0;
  auto add = [&](const ZkNode& node) {
    ++count;
    bytes += static_cast<int64_t>(node.data.size());
  };
  if (auto it = tree.nodes().find(std::string(subject)); it != tree.nodes().end()) add(it->second);
  const std::string prefix = absl::StrCat(std::string(subject), "/");
  for (auto it = tree.nodes().lower_bound(prefix);
       it != tree.nodes().end() && it->first.starts_with(prefix); ++it) {
    add(it->second);
  }
  stats.set_count(count);
  stats.set_bytes(bytes);
  return stats.Format();
}

bool IsOpenAcl(const std::vector<ZkAcl>& acl) {
  return acl.size() == 1 && acl[0] == ZkAcl{kPermAll, "world", "anyone"};
}

metastorepb::StoredNode ToStored(const ZkTree& tree, const std::string& path, const ZkNode& n,
                                 WarrenTreeCounts* counts) {
  metastorepb::StoredNode out;
  metastorepb::Stat* st = out.mutable_stat();
  st->set_czxid(n.stat.czxid);
  st->set_mzxid(n.stat.mzxid);
  st->set_pzxid(n.stat.pzxid);
  st->set_ctime(n.stat.ctime);
  st->set_mtime(n.stat.mtime);
  st->set_version(n.stat.version);
  // ZooKeeper stores the creates under a node as its cversion, names sequential children by
  // it, and shows clients creates + deletes (DataNode.copyStat): what Warren's cversion is.
  // (In Java's int arithmetic, which wraps.)
  const auto stored = static_cast<uint32_t>(n.stat.cversion);
  const uint32_t shown = stored * 2 - static_cast<uint32_t>(n.children.size());
  st->set_cversion(static_cast<int32_t>(shown));
  st->set_sequence_offset(static_cast<int32_t>(shown - stored));
  st->set_aversion(n.stat.aversion);
  int32_t children = 0;
  for (const std::string& name : n.children) {
    if (Imported(ChildPath(path, name))) ++children;
  }
  // Warren's root always has /zookeeper, made afresh by each member.
  st->set_num_children(path == "/" ? children + 1 : children);
  const int64_t owner = n.stat.ephemeral_owner;
  if (owner == kContainerOwner) {
    out.set_container(true);
    ++counts->containers;
  } else if (IsTtlOwner(owner)) {
    out.set_ttl_ms(static_cast<int64_t>(static_cast<uint64_t>(owner) & kTtlMask));
    ++counts->ttl_nodes;
  } else if (owner != 0) {
    st->set_ephemeral_owner(owner);
    ++counts->ephemerals;
  }
  out.set_data(n.data);
  if (auto subject = QuotaSubjectOfStats(path);
      subject.has_value() && tree.nodes().contains(QuotaLimitsPath(*subject))) {
    out.set_data(RecountedStats(tree, *subject, n.data));
  }
  st->set_data_length(static_cast<int32_t>(out.data().size()));
  if (!IsOpenAcl(n.acl)) {
    for (const ZkAcl& a : n.acl) {
      metastorepb::Acl* acl = out.add_acl();
      acl->set_perms(a.perms);
      acl->mutable_id()->set_scheme(a.scheme);
      acl->mutable_id()->set_id(a.id);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<WarrenTreeCounts> WriteWarrenTree(const ZkTree& tree, uint64_t index,
                                                 const std::string& dir) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.error_if_exists = true;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(opts, dir, &raw); !s.ok()) {
    return absl::InternalError(absl::StrCat("create the tree in ", dir, ": ", s.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  WarrenTreeCounts counts;
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto flush = [&](bool always) -> absl::Status {
    if (!always && batch.GetDataSize() < kBatchBytes) return absl::OkStatus();
    auto s = db->Write(sync, &batch);
    batch.Clear();
    if (!s.ok()) return absl::InternalError(absl::StrCat("write ", dir, ": ", s.ToString()));
    return absl::OkStatus();
  };
  for (const auto& [path, node] : tree.nodes()) {
    if (!Imported(path)) continue;
    batch.Put(NodeKey(path), ToStored(tree, path, node, &counts).SerializeAsString());
    if (!IsSystemPath(path)) ++counts.nodes;
    if (auto s = flush(false); !s.ok()) return s;
  }
  for (const auto& [id, timeout] : tree.sessions()) {
    metastorepb::StoredSession s;
    s.set_id(static_cast<uint64_t>(id));
    s.set_timeout_ms(timeout);
    s.set_password(ZooKeeperSessionPassword(id));
    batch.Put(SessionKey(static_cast<uint64_t>(id)), s.SerializeAsString());
    ++counts.sessions;
  }
  std::string applied;
  PutFixed64(&applied, index);
  batch.Put(kAppliedKey, applied);
  if (auto s = flush(true); !s.ok()) return s;
  if (auto s = db->Close(); !s.ok()) {
    return absl::InternalError(absl::StrCat("close ", dir, ": ", s.ToString()));
  }
  return counts;
}

}  // namespace warren::metastore::import
