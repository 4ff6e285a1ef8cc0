#include "metastore/znode_tree.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/quota.h"
#include "metastore/session_secret.h"
#include "metastore/tree_storage.h"
#include "raft/log/file_util.h"
#include "raft/log/reseed.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace warren::metastore {
namespace fs = std::filesystem;
namespace {

using metastorepb::Error;

absl::Status RocksStatus(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("rocksdb ", std::string(what), ": ", s.ToString()));
}

// Opening and loading the tree read every file of it, checksummed: damage found there was done
// at rest (RocksDB's own write-ahead log, whose tail a crash may tear, is replayed to the last
// whole record, as its default recovery does). RocksDB's message names the file and offset.
absl::Status TreeStatus(const rocksdb::Status& s, const std::string& dir, std::string_view what) {
  if (!s.IsCorruption()) return RocksStatus(s, absl::StrCat(std::string(what), " ", dir));
  return absl::DataLossError(absl::StrCat("the znode tree in ", dir, " is corrupt (",
                                          std::string(what), ": ", s.ToString(), "); ",
                                          kReseedAdvice));
}

metastorepb::WatchEvent Event(metastorepb::EventType type, std::string_view path, int64_t zxid) {
  metastorepb::WatchEvent e;
  e.set_type(type);
  e.set_path(std::string(path));
  e.set_zxid(zxid);
  return e;
}

// Versions wrap around as ZooKeeper's int counters do, without signed overflow.
int32_t Increment(int32_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v) + 1); }

bool VersionMatches(bool has_version, int32_t expected, int32_t actual) {
  return !has_version || expected == -1 || expected == actual;
}

absl::Status BadVersion(std::string_view path, int32_t expected, int32_t actual) {
  return MetaError(metastorepb::BAD_VERSION, absl::StrCat(std::string(path), " (expected version ",
                                                          expected, ", is ", actual, ")"));
}

// A node as it was before ACLs, to hold Node to the size it had (see Node::acl).
struct NodeWithoutAcl {
  metastorepb::Stat stat;
  std::string data;
  std::set<std::string> children;
  bool container;
  int64_t ttl_ms;
};

// Where a restore unpacks to, and where the old database waits while the two are swapped.
std::string IncomingDir(const std::string& dir) { return dir + ".incoming"; }
std::string OldDir(const std::string& dir) { return dir + ".old"; }

// Finishes or undoes a restore that a crash interrupted (see RestoreSnapshot).
void RecoverInterruptedRestore(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir) && fs::exists(OldDir(dir))) {
    if (fs::exists(IncomingDir(dir))) {
      fs::rename(IncomingDir(dir), dir, ec);  // unpacked in full before the swap began
    } else {
      fs::rename(OldDir(dir), dir, ec);
    }
  }
  fs::remove_all(IncomingDir(dir), ec);
  fs::remove_all(OldDir(dir), ec);
}

// Which ZooKeeper would give a write or close in a session not the caller's: its clients
// prove a session at the handshake, so it has no such answer. AuthFailed names what failed;
// SessionExpired would tell the caller its own session ended.
absl::Status WrongSessionPassword(uint64_t session, std::string_view presented) {
  return MetaError(
      metastorepb::AUTH_FAILED,
      absl::StrCat(SessionLabel(session), ": ",
                   presented.empty() ? "no password presented" : "not the session's password"));
}

}  // namespace

ZNodeTree::ZNodeTree(TreeOptions options, WatchManager* watches)
    : options_(std::move(options)), watches_(watches), pending_(new rocksdb::WriteBatch) {
  static_assert(sizeof(Node) == sizeof(NodeWithoutAcl),
                "a node's ACL reference should cost nothing: keep it where padding was");
}

ZNodeTree::~ZNodeTree() = default;

absl::StatusOr<std::unique_ptr<ZNodeTree>> ZNodeTree::Open(TreeOptions options,
                                                           WatchManager* watches) {
  if (options.dir.empty()) return absl::InvalidArgumentError("the tree needs a directory");
  if (!options.read_only) RecoverInterruptedRestore(options.dir);
  std::unique_ptr<ZNodeTree> tree(new ZNodeTree(std::move(options), watches));
  if (auto s = tree->OpenDb(); !s.ok()) return s;
  if (auto s = tree->Load(); !s.ok()) return s;
  return tree;
}

absl::Status ZNodeTree::OpenDb() {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  opts.paranoid_checks = true;  // RocksDB's default: a corrupt file fails the open
  // The tree's write-ahead log is never synced (the Raft log is what is durable), so space
  // reserved ahead for it buys nothing; RocksDB would reserve 70 MB of disk per member.
  opts.allow_fallocate = false;
  rocksdb::Status s;
  if (options_.read_only) {
    if (!std::filesystem::is_directory(options_.dir)) {
      return absl::NotFoundError(absl::StrCat("no znode tree in ", options_.dir));
    }
    s = rocksdb::DB::OpenForReadOnly(opts, options_.dir, &db);
  } else {
    s = rocksdb::DB::Open(opts, options_.dir, &db);
  }
  if (!s.ok()) return TreeStatus(s, options_.dir, "open");
  db_.reset(db);
  return absl::OkStatus();
}

void ZNodeTree::Reset() {
  nodes_.clear();
  sessions_.clear();
  ephemerals_.clear();
  containers_.clear();
  ttl_nodes_.clear();
  quota_subjects_.clear();
  acls_.Clear();
  pending_->Clear();
  pending_events_.clear();
  last_applied_ = 0;
  history_from_ = 0;
  data_bytes_ = 0;
  // The root and ZooKeeper's system nodes always exist, with zero stats. The system nodes are
  // never stored: no write may touch them (ValidateOp), so each member makes them afresh.
  nodes_["/"];
  for (std::string_view path : kSystemNodes) {
    nodes_[std::string(path)];
    Find(ParentOf(path))->children.insert(std::string(BaseName(path)));
  }
  nodes_["/"].stat.set_num_children(1);
  nodes_["/zookeeper"].stat.set_num_children(2);
}

// One pass in key order. Node keys sort a parent before its children (after the parent's own
// path, '\0' < '/'), and one parent's children consecutively and by name: each node is linked
// to its parent as it is read, appending to the parent's child set at its end. Restarting
// with a million nodes went from 6.0 s to 4.7 s this way (docs/benchmarks.md).
absl::Status ZNodeTree::Load() {
  Reset();
  uint64_t estimate = 0;
  if (db_->GetIntProperty("rocksdb.estimate-num-keys", &estimate)) nodes_.reserve(estimate);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::string parent_path;
  Node* parent = nullptr;
  // Each events record's zxid and how many it holds: checked in this pass, decoded after it,
  // the newest only. A busy member keeps millions on disk and its watch manager the last
  // 100,000; decoding them all cost a start a quarter of a second, and 200 MiB that glibc
  // kept resident after they were freed.
  std::vector<std::pair<uint64_t, size_t>> event_records;
  bool history_kept = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    if (key == kAppliedKey) {
      if (value.size() != 8) return absl::DataLossError("corrupt applied index in the tree");
      last_applied_ = GetFixed64(value.data());
    } else if (key == kHistoryKey) {
      if (value.size() != 8) return absl::DataLossError("corrupt event history start in the tree");
      history_from_ = GetFixed64(value.data());
      history_kept = true;
    } else if (auto zxid = ZxidOfEventKey(key); zxid.has_value()) {
      const std::optional<size_t> events = CountEvents(value);
      if (!events.has_value()) {
        return absl::DataLossError(absl::StrCat("corrupt events record up to zxid ", *zxid));
      }
      event_records.emplace_back(*zxid, *events);
    } else if (auto path = PathOfNodeKey(key); path.has_value()) {
      metastorepb::StoredNode stored;
      if (!stored.ParseFromArray(value.data(), value.size())) {
        return absl::DataLossError(absl::StrCat("corrupt znode record for ", *path));
      }
      Node& n = nodes_[*path];
      n.stat = std::move(*stored.mutable_stat());
      n.data = std::move(*stored.mutable_data());
      n.container = stored.container();
      n.ttl_ms = stored.ttl_ms();
      if (!stored.acl().empty())
        n.acl = acls_.Add(AclList(stored.acl().begin(), stored.acl().end()));
      Index(*path, n, true);
      if (*path == "/") continue;
      if (parent == nullptr || ParentOf(*path) != parent_path) {
        parent_path = std::string(ParentOf(*path));
        parent = Find(parent_path);  // element pointers survive rehashing
        if (parent == nullptr) {
          return absl::DataLossError(
              absl::StrCat("znode ", *path, " is stored without its parent"));
        }
      }
      parent->children.emplace_hint(parent->children.end(), BaseName(*path));
    } else if (!key.empty() && key[0] == kSessionTag) {
      metastorepb::StoredSession s;
      if (!s.ParseFromArray(value.data(), value.size())) {
        return absl::DataLossError("corrupt session record in the tree");
      }
      sessions_[s.id()] = {s.timeout_ms(), s.password()};
    }
  }
  if (!it->status().ok()) return TreeStatus(it->status(), options_.dir, "load");
  if (!history_kept || options_.event_history == 0) {
    // A new tree, one written before events were kept, or one that keeps none: its history
    // starts now.
    history_from_ = last_applied_;
    if (!options_.read_only) {
      std::string from;
      PutFixed64(&from, history_from_);
      if (auto s = db_->Put(rocksdb::WriteOptions(), kHistoryKey, from); !s.ok()) {
        return RocksStatus(s, "write");
      }
    }
  }
  if (watches_ == nullptr) {
    LOG(INFO) << "znode tree at " << options_.dir << ": " << nodes_.size() << " nodes, "
              << sessions_.size() << " sessions, applied " << last_applied_;
    return absl::OkStatus();
  }
  // The newest records that hold what the watch manager keeps. Every event after the zxid of
  // the newest record left out is in them: a record holds the events up to its zxid.
  size_t first = event_records.size();
  for (size_t wanted = 0; first > 0 && wanted < watches_->recent_events();) {
    wanted += event_records[--first].second;
  }
  const uint64_t kept_from =
      first > 0 ? std::max(history_from_, event_records[first - 1].first) : history_from_;
  std::vector<metastorepb::WatchEvent> history;
  if (first < event_records.size()) {
    for (it->Seek(EventKey(event_records[first].first)); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.empty() || key[0] != kEventTag) break;
      const std::optional<uint64_t> zxid = ZxidOfEventKey(key);
      if (!zxid.has_value()) continue;
      if (!DecodeEvents(std::string_view(it->value().data(), it->value().size()), history)) {
        return absl::DataLossError(absl::StrCat("corrupt events record up to zxid ", *zxid));
      }
    }
    if (!it->status().ok()) return TreeStatus(it->status(), options_.dir, "load");
  }
  std::erase_if(history, [&](const metastorepb::WatchEvent& e) {
    return e.zxid() <= kept_from || e.zxid() > last_applied_;
  });
  LOG(INFO) << "znode tree at " << options_.dir << ": " << nodes_.size() << " nodes, "
            << sessions_.size() << " sessions, applied " << last_applied_ << ", " << history.size()
            << " events kept since zxid " << kept_from;
  watches_->Reset(last_applied_, kept_from, std::move(history));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Apply

absl::StatusOr<std::string> ZNodeTree::Apply(uint64_t index, std::string_view command) {
  metastorepb::Command cmd;
  metastorepb::CommandReply reply;
  std::lock_guard lock(mu_);
  if (!cmd.ParseFromArray(command.data(), command.size())) {
    reply.set_error(metastorepb::BAD_ARGUMENTS);
    reply.set_message("BadArguments: unreadable command");
  } else {
    reply = ApplyCommand(index, cmd);
  }
  last_applied_ = index;
  return reply.SerializeAsString();
}

metastorepb::CommandReply ZNodeTree::ApplyCommand(uint64_t index, const metastorepb::Command& cmd) {
  Txn txn{static_cast<int64_t>(index), cmd.time_ms(), cmd.session_id(), &cmd.auth(), {}, {}, {},
          cmd.max_children()};
  metastorepb::CommandReply reply;
  auto fail = [&reply](const absl::Status& s) {
    SetError(s, &reply);
    return reply;
  };
  std::vector<uint64_t> ended;
  switch (cmd.op_case()) {
    case metastorepb::Command::kMulti:
      if (txn.session != 0) {
        if (auto s = CheckSession(cmd); !s.ok()) return fail(s);
      }
      reply = ApplyMulti(txn, cmd.multi());
      if (reply.error() != metastorepb::OK && !options_.unsafe_non_atomic_multi) return reply;
      break;
    case metastorepb::Command::kCreateSession: {
      const uint64_t id = cmd.create_session().id() != 0 ? cmd.create_session().id() : index;
      if (sessions_.count(id) > 0) {
        // Random ids of 63 bits: the client asks again, and gets another.
        return fail(
            MetaError(metastorepb::NODE_EXISTS,
                      absl::StrCat(SessionLabel(id), " is taken; create the session again")));
      }
      int64_t timeout =
          std::clamp(cmd.create_session().timeout_ms(), options_.limits.min_session_timeout_ms,
                     options_.limits.max_session_timeout_ms);
      sessions_[id] = {timeout, cmd.create_session().password()};
      metastorepb::StoredSession stored;
      stored.set_id(id);
      stored.set_timeout_ms(timeout);
      stored.set_password(cmd.create_session().password());
      pending_->Put(SessionKey(id), stored.SerializeAsString());
      reply.set_session_id(id);
      reply.set_session_password(cmd.create_session().password());
      reply.set_timeout_ms(timeout);
      break;
    }
    case metastorepb::Command::kCloseSession:
      if (auto s = CheckSession(cmd); !s.ok()) return fail(s);
      ended = {txn.session};
      EndSessions(txn, ended);
      break;
    case metastorepb::Command::kExpireSessions:
      for (uint64_t id : cmd.expire_sessions().session_ids()) {
        if (sessions_.count(id) > 0) ended.push_back(id);
      }
      EndSessions(txn, ended);
      break;
    case metastorepb::Command::kDeleteIdle:
      DeleteIdle(txn, cmd.delete_idle());
      break;
    default:
      return fail(MetaError(metastorepb::BAD_ARGUMENTS, "the command names no operation"));
  }
  Commit(txn);
  Stage(txn);
  if (watches_ != nullptr) {
    watches_->Fire(txn.events);
    if (!ended.empty()) {
      watches_->SessionsEnded(ended, metastorepb::SESSION_EXPIRED);
    }
  }
  return reply;
}

template <typename Request>
absl::Status ZNodeTree::CheckSession(const Request& request) const {
  auto it = sessions_.find(request.session_id());
  if (it == sessions_.end()) {
    return MetaError(metastorepb::SESSION_EXPIRED, SessionLabel(request.session_id()));
  }
  if (request.has_session_password() &&
      !SessionPasswordMatches(it->second.password, request.session_password())) {
    return WrongSessionPassword(request.session_id(), request.session_password());
  }
  return absl::OkStatus();
}

metastorepb::CommandReply ZNodeTree::ApplyMulti(Txn& txn, const metastorepb::MultiRequest& multi) {
  metastorepb::CommandReply reply;
  if (auto s = ValidateMulti(multi, options_.limits); !s.ok()) {
    SetError(s, &reply);
    return reply;
  }
  for (int i = 0; i < multi.ops_size(); ++i) {
    auto result = ApplyOp(txn, multi.ops(i));
    if (result.ok()) {
      *reply.add_results() = std::move(*result);
      continue;
    }
    // All or nothing: undo, and report as ZooKeeper does (earlier ops OK, the failing op its
    // error, later ones RuntimeInconsistency). Broken on purpose: the earlier ops stay.
    if (!options_.unsafe_non_atomic_multi) Rollback(txn);
    reply.clear_results();
    for (int j = 0; j < multi.ops_size(); ++j) {
      auto* r = reply.add_results();
      if (j == i) {
        SetError(result.status(), r);
      } else if (j > i) {
        r->set_error(metastorepb::RUNTIME_INCONSISTENCY);
        r->set_message("RuntimeInconsistency: not executed; an earlier op failed");
      }
    }
    SetError(result.status(), &reply);
    return reply;
  }
  return reply;
}

absl::StatusOr<metastorepb::OpResult> ZNodeTree::ApplyOp(Txn& txn, const metastorepb::Op& op) {
  if (auto s = ValidateOp(op, options_.limits); !s.ok()) return s;
  metastorepb::OpResult result;
  switch (op.op_case()) {
    case metastorepb::Op::kCreate:
      return Create(txn, op.create());
    case metastorepb::Op::kDelete:
      if (auto s =
              Delete(txn, op.delete_().path(), op.delete_().has_version(), op.delete_().version());
          !s.ok()) {
        return s;
      }
      return result;
    case metastorepb::Op::kSetData: {
      auto stat = SetData(txn, op.set_data());
      if (!stat.ok()) return stat.status();
      *result.mutable_stat() = *stat;
      return result;
    }
    case metastorepb::Op::kSetAcl: {
      auto stat = SetAcl(txn, op.set_acl());
      if (!stat.ok()) return stat.status();
      *result.mutable_stat() = *stat;
      return result;
    }
    default:  // kCheck; ValidateOp refused anything else
      if (auto s = Check(txn, op.check()); !s.ok()) return s;
      return result;
  }
}

absl::StatusOr<metastorepb::OpResult> ZNodeTree::Create(Txn& txn,
                                                        const metastorepb::CreateRequest& c) {
  std::string path = c.path();
  const std::string probe = c.sequential() ? path + "1" : path;  // ParentOf("/a/") is "/a"
  const std::string parent_path(ParentOf(probe));
  // ZooKeeper's order: the ACL first (InvalidACL), then the parent (NoNode, then NoAuth), then
  // what the parent holds.
  AclList acl;  // empty: the default
  if (!c.acl().empty()) {
    auto fixed = FixupAcl(c.acl(), *txn.auth, path);
    if (!fixed.ok()) return fixed.status();
    acl = std::move(*fixed);
  }
  if (path == "/") return MetaError(metastorepb::NODE_EXISTS, "/");
  Node* parent = Find(parent_path);
  if (parent == nullptr) return MetaError(metastorepb::NO_NODE, path);
  if (auto s = CheckAcl(acls_.Get(parent->acl), kPermCreate, *txn.auth, path, parent_path);
      !s.ok()) {
    return s;
  }
  if (parent->stat.ephemeral_owner() != 0) {
    return MetaError(metastorepb::NO_CHILDREN_FOR_EPHEMERALS, path);
  }
  if (c.ephemeral() && txn.session == 0) {
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat(path, " (an ephemeral node needs a session)"));
  }
  if (c.sequential()) {
    // The parent's cversion, which counts creates and deletes alike, so numbers are never
    // reused under a parent. (ZooKeeper counts creates alone: sequence_offset carries the
    // difference for the nodes imported from it.)
    const int64_t number =
        int64_t{parent->stat.cversion()} - int64_t{parent->stat.sequence_offset()};
    if (number < 0 || number > INT32_MAX) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat(path, " (the parent's sequence counter is exhausted)"));
    }
    path += absl::StrFormat("%010d", number);
  }
  if (Find(path) != nullptr) return MetaError(metastorepb::NODE_EXISTS, path);
  if (txn.max_children != 0 && parent->children.size() >= txn.max_children) {
    return MetaError(
        metastorepb::BAD_ARGUMENTS,
        absl::StrCat(path, " (", parent_path, " has ", parent->children.size(),
                     " children; the limit is ", txn.max_children, " (--max-children-per-node))"));
  }
  if (auto s = ChargeQuota(txn, path, 1, static_cast<int64_t>(c.data().size())); !s.ok()) {
    return s;
  }

  SaveStat(txn, parent_path);
  parent->stat.set_cversion(Increment(parent->stat.cversion()));
  parent->stat.set_pzxid(txn.zxid);
  parent->stat.set_num_children(parent->stat.num_children() + 1);
  parent->children.insert(std::string(BaseName(path)));

  Node node;
  auto& st = node.stat;
  st.set_czxid(txn.zxid);
  st.set_mzxid(txn.zxid);
  st.set_pzxid(txn.zxid);
  st.set_ctime(txn.time_ms);
  st.set_mtime(txn.time_ms);
  st.set_ephemeral_owner(c.ephemeral() ? txn.session : 0);
  st.set_data_length(c.data().size());
  node.data = c.data();
  node.container = c.container();
  node.ttl_ms = c.ttl_ms();
  node.acl = acls_.Add(acl);
  Index(path, node, true);
  metastorepb::OpResult result;
  result.set_path(path);
  *result.mutable_stat() = st;
  nodes_.emplace(path, std::move(node));
  txn.undo.push_back(Undo{Undo::kCreated, path, {}});
  txn.touched.insert(path);
  txn.events.push_back(Event(metastorepb::NODE_CREATED, path, txn.zxid));
  txn.events.push_back(Event(metastorepb::NODE_CHILDREN_CHANGED, parent_path, txn.zxid));
  if (auto subject = QuotaSubjectOfLimits(path); subject.has_value()) RecountQuota(txn, *subject);
  if (auto subject = QuotaSubjectOfStats(path); subject.has_value()) RecountQuota(txn, *subject);
  return result;
}

absl::Status ZNodeTree::Delete(Txn& txn, const std::string& path, bool has_version,
                               int32_t version) {
  // DELETE on the parent, asked before anything about the node itself, as ZooKeeper asks.
  const std::string parent_path(ParentOf(path));
  const Node* parent = Find(parent_path);
  if (parent == nullptr) return MetaError(metastorepb::NO_NODE, path);
  if (auto s = CheckAcl(acls_.Get(parent->acl), kPermDelete, *txn.auth, path, parent_path);
      !s.ok()) {
    return s;
  }
  Node* node = Find(path);
  if (node == nullptr) return MetaError(metastorepb::NO_NODE, path);
  if (!VersionMatches(has_version, version, node->stat.version())) {
    return BadVersion(path, version, node->stat.version());
  }
  if (!node->children.empty()) return MetaError(metastorepb::NOT_EMPTY, path);
  RemoveNode(txn, path);
  return absl::OkStatus();
}

void ZNodeTree::RemoveNode(Txn& txn, const std::string& path) {
  // A removal only shrinks its quota's subtree: never refused.
  ChargeQuota(txn, path, -1, -static_cast<int64_t>(Find(path)->data.size())).IgnoreError();
  std::string parent_path(ParentOf(path));
  Node* parent = Find(parent_path);
  SaveStat(txn, parent_path);
  parent->stat.set_cversion(Increment(parent->stat.cversion()));
  parent->stat.set_pzxid(txn.zxid);
  parent->stat.set_num_children(parent->stat.num_children() - 1);
  parent->children.erase(std::string(BaseName(path)));

  auto it = nodes_.find(path);
  Index(path, it->second, false);
  txn.undo.push_back(Undo{Undo::kDeleted, path, std::move(it->second)});
  nodes_.erase(it);
  txn.touched.insert(path);
  txn.events.push_back(Event(metastorepb::NODE_DELETED, path, txn.zxid));
  txn.events.push_back(Event(metastorepb::NODE_CHILDREN_CHANGED, parent_path, txn.zxid));
}

absl::StatusOr<metastorepb::Stat> ZNodeTree::SetData(Txn& txn,
                                                     const metastorepb::SetDataRequest& s) {
  Node* node = Find(s.path());
  if (node == nullptr) return MetaError(metastorepb::NO_NODE, s.path());
  if (auto st = CheckAcl(acls_.Get(node->acl), kPermWrite, *txn.auth, s.path(), s.path());
      !st.ok()) {
    return st;
  }
  if (!VersionMatches(s.has_version(), s.version(), node->stat.version())) {
    return BadVersion(s.path(), s.version(), node->stat.version());
  }
  const int64_t growth =
      static_cast<int64_t>(s.data().size()) - static_cast<int64_t>(node->data.size());
  if (auto st = ChargeQuota(txn, s.path(), 0, growth); !st.ok()) return st;
  SaveStat(txn, s.path());
  txn.undo.push_back(Undo{Undo::kData, s.path(), {}});
  txn.undo.back().node.data = ReplaceData(*node, s.data());
  auto& st = node->stat;
  st.set_version(Increment(st.version()));
  st.set_mzxid(txn.zxid);
  st.set_mtime(txn.time_ms);
  st.set_data_length(s.data().size());
  txn.events.push_back(Event(metastorepb::NODE_DATA_CHANGED, s.path(), txn.zxid));
  return st;
}

// Replaces the ACL, not the data: no watch fires, and mzxid and mtime stay (as ZooKeeper's).
absl::StatusOr<metastorepb::Stat> ZNodeTree::SetAcl(Txn& txn, const metastorepb::SetAclRequest& a) {
  auto acl = FixupAcl(a.acl(), *txn.auth, a.path());
  if (!acl.ok()) return acl.status();
  Node* node = Find(a.path());
  if (node == nullptr) return MetaError(metastorepb::NO_NODE, a.path());
  if (auto s = CheckAcl(acls_.Get(node->acl), kPermAdmin, *txn.auth, a.path(), a.path()); !s.ok()) {
    return s;
  }
  if (!VersionMatches(a.has_version(), a.version(), node->stat.aversion())) {
    return MetaError(metastorepb::BAD_VERSION,
                     absl::StrCat(a.path(), " (expected ACL version ", a.version(), ", is ",
                                  node->stat.aversion(), ")"));
  }
  SaveStat(txn, a.path());
  txn.undo.push_back(Undo{Undo::kAcl, a.path(), {}});
  txn.undo.back().node.acl = node->acl;
  node->acl = acls_.Add(*acl);
  node->stat.set_aversion(Increment(node->stat.aversion()));
  return node->stat;
}

absl::Status ZNodeTree::Check(const Txn& txn, const metastorepb::CheckRequest& c) const {
  const Node* node = Find(c.path());
  if (node == nullptr) return MetaError(metastorepb::NO_NODE, c.path());
  if (auto s = CheckAcl(acls_.Get(node->acl), kPermRead, *txn.auth, c.path(), c.path()); !s.ok()) {
    return s;
  }
  if (!VersionMatches(c.has_version(), c.version(), node->stat.version())) {
    return BadVersion(c.path(), c.version(), node->stat.version());
  }
  return absl::OkStatus();
}

void ZNodeTree::EndSessions(Txn& txn, const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    if (auto it = ephemerals_.find(id); it != ephemerals_.end()) {
      // Ephemerals have no children, so each deletes on its own; copy: RemoveNode unindexes.
      std::set<std::string> paths = it->second;
      for (const auto& path : paths) RemoveNode(txn, path);
    }
    sessions_.erase(id);
    pending_->Delete(SessionKey(id));
  }
}

void ZNodeTree::DeleteIdle(Txn& txn, const metastorepb::DeleteIdleCommand& cmd) {
  for (const auto& idle : cmd.nodes()) {
    const Node* node = Find(idle.path());
    if (node == nullptr || node->stat.czxid() != idle.czxid() || !IsIdle(*node, txn.time_ms)) {
      continue;  // changed since the leader looked
    }
    RemoveNode(txn, idle.path());
  }
}

bool ZNodeTree::IsIdle(const Node& node, int64_t now_ms) const {
  if (!node.children.empty()) return false;
  // ZooKeeper's rule: a container goes once it has had a child, never while new.
  if (node.container) return node.stat.cversion() > 0;
  return node.ttl_ms > 0 && now_ms - node.stat.mtime() > node.ttl_ms;
}

void ZNodeTree::SaveStat(Txn& txn, const std::string& path) {
  txn.undo.push_back(Undo{Undo::kStat, path, {}});
  txn.undo.back().node.stat = Find(path)->stat;
  txn.touched.insert(path);
}

void ZNodeTree::Rollback(Txn& txn) {
  for (auto it = txn.undo.rbegin(); it != txn.undo.rend(); ++it) {
    Undo& u = *it;
    switch (u.kind) {
      case Undo::kCreated: {
        auto n = nodes_.find(u.path);
        Index(u.path, n->second, false);
        acls_.Release(n->second.acl);
        nodes_.erase(n);
        Find(ParentOf(u.path))->children.erase(std::string(BaseName(u.path)));
        break;
      }
      case Undo::kDeleted: {
        Index(u.path, u.node, true);
        Find(ParentOf(u.path))->children.insert(std::string(BaseName(u.path)));
        nodes_.emplace(u.path, std::move(u.node));
        break;
      }
      case Undo::kStat:
        Find(u.path)->stat = u.node.stat;
        break;
      case Undo::kData:
        ReplaceData(*Find(u.path), std::move(u.node.data));
        break;
      case Undo::kAcl: {
        Node* n = Find(u.path);
        acls_.Release(n->acl);
        n->acl = u.node.acl;
        break;
      }
    }
  }
  txn.undo.clear();
  txn.touched.clear();
  txn.events.clear();
}

void ZNodeTree::Commit(Txn& txn) {
  for (const Undo& u : txn.undo) {
    if (u.kind == Undo::kDeleted || u.kind == Undo::kAcl) acls_.Release(u.node.acl);
  }
  txn.undo.clear();
}

void ZNodeTree::Stage(const Txn& txn) {
  for (const auto& path : txn.touched) {
    const Node* node = Find(path);
    if (node == nullptr) {
      pending_->Delete(NodeKey(path));
      continue;
    }
    metastorepb::StoredNode stored;
    *stored.mutable_stat() = node->stat;
    stored.set_data(node->data);
    stored.set_container(node->container);
    stored.set_ttl_ms(node->ttl_ms);
    for (const auto& a : acls_.Get(node->acl)) *stored.add_acl() = a;
    pending_->Put(NodeKey(path), stored.SerializeAsString());
  }
  if (options_.event_history > 0) AppendEvents(txn.events, pending_events_);
}

std::string ZNodeTree::ReplaceData(Node& node, std::string data) {
  data_bytes_ = data_bytes_ - node.data.size() + data.size();
  std::swap(node.data, data);
  return data;
}

void ZNodeTree::Index(const std::string& path, const Node& node, bool add) {
  if (add) {
    data_bytes_ += node.data.size();
  } else {
    data_bytes_ -= node.data.size();
  }
  auto update = [&](std::set<std::string>& set) {
    if (add) {
      set.insert(path);
    } else {
      set.erase(path);
    }
  };
  if (uint64_t owner = node.stat.ephemeral_owner(); owner != 0) {
    update(ephemerals_[owner]);
    if (ephemerals_[owner].empty()) ephemerals_.erase(owner);
  }
  if (node.container) update(containers_);
  if (node.ttl_ms > 0) update(ttl_nodes_);
  if (auto subject = QuotaSubjectOfLimits(path); subject.has_value()) {
    if (add) {
      quota_subjects_.emplace(*subject);
    } else if (auto it = quota_subjects_.find(*subject); it != quota_subjects_.end()) {
      quota_subjects_.erase(it);
    }
  }
}

const ZNodeTree::Node* ZNodeTree::Find(std::string_view path) const {
  auto it = nodes_.find(std::string(path));
  return it == nodes_.end() ? nullptr : &it->second;
}

ZNodeTree::Node* ZNodeTree::Find(std::string_view path) {
  auto it = nodes_.find(std::string(path));
  return it == nodes_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------
// Queries

absl::StatusOr<std::string> ZNodeTree::Query(std::string_view query) {
  uint64_t applied;
  return Query(query, &applied);
}

std::string ZNodeTree::Query(std::string_view query, uint64_t* applied) {
  metastorepb::Query q;
  if (!q.ParseFromArray(query.data(), query.size())) {
    metastorepb::QueryReply reply;
    reply.set_error(metastorepb::BAD_ARGUMENTS);
    reply.set_message("BadArguments: unreadable query");
    *applied = LastApplied();
    return reply.SerializeAsString();
  }
  std::lock_guard lock(mu_);
  *applied = last_applied_;
  return RunQuery(q).SerializeAsString();
}

metastorepb::QueryReply ZNodeTree::RunQuery(const metastorepb::Query& q) {
  metastorepb::QueryReply reply;
  auto fail = [&reply](const absl::Status& s) {
    reply.Clear();
    SetError(s, &reply);
    return reply;
  };
  auto watch = [&](bool wanted, const std::string& path, metastorepb::WatchKind kind) {
    if (!wanted) return absl::OkStatus();
    if (q.session_id() == 0 || watches_ == nullptr) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat(path, " (a watch needs a session)"));
    }
    if (q.has_session_password()) {
      if (auto s = CheckSession(q); !s.ok()) return s;
    }
    return watches_->Add(q.session_id(), path, kind);
  };
  // Before any watch is set, as ZooKeeper refuses a read. exists and sync need nothing (as in
  // ZooKeeper 3.8; 3.9 asks READ for an exists of a node that is there).
  auto read_allowed = [&](const Node& node, const std::string& path) {
    return CheckAcl(acls_.Get(node.acl), kPermRead, q.auth(), path, path);
  };
  switch (q.q_case()) {
    case metastorepb::Query::kGetData: {
      const auto& r = q.get_data();
      if (auto s = ValidateClientPath(r.path()); !s.ok()) return fail(s);
      const Node* node = Find(r.path());
      if (node == nullptr) return fail(MetaError(metastorepb::NO_NODE, r.path()));
      if (auto s = read_allowed(*node, r.path()); !s.ok()) return fail(s);
      if (auto s = watch(r.watch(), r.path(), metastorepb::WATCH_DATA); !s.ok()) return fail(s);
      reply.set_data(node->data);
      *reply.mutable_stat() = node->stat;
      return reply;
    }
    case metastorepb::Query::kExists: {
      const auto& r = q.exists();
      if (auto s = ValidateClientPath(r.path()); !s.ok()) return fail(s);
      if (auto s = watch(r.watch(), r.path(), metastorepb::WATCH_EXISTS); !s.ok()) return fail(s);
      const Node* node = Find(r.path());
      reply.set_exists(node != nullptr);
      if (node != nullptr) *reply.mutable_stat() = node->stat;
      return reply;
    }
    case metastorepb::Query::kGetChildren: {
      const auto& r = q.get_children();
      if (auto s = ValidateClientPath(r.path()); !s.ok()) return fail(s);
      const Node* node = Find(r.path());
      if (node == nullptr) return fail(MetaError(metastorepb::NO_NODE, r.path()));
      if (auto s = read_allowed(*node, r.path()); !s.ok()) return fail(s);
      if (auto s = watch(r.watch(), r.path(), metastorepb::WATCH_CHILDREN); !s.ok()) {
        return fail(s);
      }
      *reply.mutable_stat() = node->stat;
      for (const auto& name : node->children) {
        auto* child = reply.add_children();
        child->set_name(name);
        if (r.with_stats()) *child->mutable_stat() = Find(ChildPath(r.path(), name))->stat;
      }
      return reply;
    }
    case metastorepb::Query::kGetAcl: {
      const auto& r = q.get_acl();
      if (auto s = ValidateClientPath(r.path()); !s.ok()) return fail(s);
      const Node* node = Find(r.path());
      if (node == nullptr) return fail(MetaError(metastorepb::NO_NODE, r.path()));
      const AclList& acl = acls_.Get(node->acl);
      if (auto s = CheckAcl(acl, kPermRead | kPermAdmin, q.auth(), r.path(), r.path()); !s.ok()) {
        return fail(s);
      }
      for (auto& a : AclForReply(acl, Permits(acl, kPermAdmin, q.auth()))) {
        *reply.add_acl() = std::move(a);
      }
      *reply.mutable_stat() = node->stat;
      return reply;
    }
    case metastorepb::Query::kSync:
      return reply;
    default:
      return fail(MetaError(metastorepb::BAD_ARGUMENTS, "the query names no operation"));
  }
}

absl::Status ZNodeTree::ValidateClientPath(std::string_view path) const {
  if (auto s = ValidatePath(path); !s.ok()) return s;
  return ValidatePathLimits(path, options_.limits);
}

absl::Status ZNodeTree::AddWatch(uint64_t session, const metastorepb::AddWatch& w,
                                 WatchManager::OnGap on_gap, const IdField& auth) {
  if (auto s = ValidateClientPath(w.path()); !s.ok()) return s;
  if (!metastorepb::WatchKind_IsValid(w.kind())) {
    return MetaError(metastorepb::BAD_ARGUMENTS, absl::StrCat(w.path(), " (unknown watch kind)"));
  }
  std::lock_guard lock(mu_);
  if (watches_ == nullptr) return absl::FailedPreconditionError("this tree has no watches");
  // Judged by an older tree, the watch would fire for a node the client has seen made, or be
  // spent by changes the client has already seen, unseen.
  if (w.since_zxid() > last_applied_) {
    return MetaError(metastorepb::MEMBER_BEHIND,
                     absl::StrCat(w.path(), " (this member has applied zxid ", last_applied_,
                                  "; the client has seen ", w.since_zxid(), ")"));
  }
  const Node* node = Find(w.path());
  if (node != nullptr) {
    if (auto s = CheckAcl(acls_.Get(node->acl), kPermRead, auth, w.path(), w.path()); !s.ok()) {
      return s;
    }
  }
  const bool one_shot = w.kind() == metastorepb::WATCH_DATA ||
                        w.kind() == metastorepb::WATCH_EXISTS ||
                        w.kind() == metastorepb::WATCH_CHILDREN;
  // What happened since the client last looked (ZooKeeper's SetWatches): a one-shot watch
  // that would have fired fires now instead of being registered.
  const int64_t since = static_cast<int64_t>(w.since_zxid());
  std::optional<metastorepb::WatchEvent> missed;
  if (one_shot && since > 0) {
    if (node == nullptr && w.kind() != metastorepb::WATCH_EXISTS) {
      missed = Event(metastorepb::NODE_DELETED, w.path(), last_applied_);
    } else if (node != nullptr && w.kind() == metastorepb::WATCH_CHILDREN &&
               node->stat.pzxid() > since) {
      missed = Event(metastorepb::NODE_CHILDREN_CHANGED, w.path(), node->stat.pzxid());
    } else if (node != nullptr && w.kind() != metastorepb::WATCH_CHILDREN &&
               node->stat.mzxid() > since) {
      // A data watch hears NodeDataChanged even if its node was deleted and made again
      // since (as ZooKeeper's DataTree.setWatches tells it); an exists watch hears how the
      // node came to differ from what its client saw.
      const bool created = w.kind() != metastorepb::WATCH_DATA && node->stat.czxid() > since;
      missed = Event(created ? metastorepb::NODE_CREATED : metastorepb::NODE_DATA_CHANGED, w.path(),
                     node->stat.mzxid());
    }
  } else if (one_shot && node == nullptr && w.kind() != metastorepb::WATCH_EXISTS) {
    return MetaError(metastorepb::NO_NODE, w.path());
  }
  if (missed.has_value()) {
    if (watches_->SinkId(session) == 0) {
      return MetaError(metastorepb::SESSION_MOVED, SessionLabel(session));
    }
    watches_->FireFor(session, *missed);
    return absl::OkStatus();
  }
  return watches_->Add(session, w.path(), w.kind(), w.since_zxid(), on_gap);
}

// ---------------------------------------------------------------------------------------
// Durability and snapshots

absl::Status ZNodeTree::Persist(uint64_t index, const RuntimeRecords& records) {
  std::lock_guard lock(mu_);
  for (const auto& [key, value] : records) {
    std::string k = absl::StrCat(std::string(1, kRuntimeTag), key);
    if (value.has_value()) {
      pending_->Put(k, *value);
    } else {
      pending_->Delete(k);
    }
  }
  if (!pending_events_.empty()) pending_->Put(EventKey(index), pending_events_);
  std::string applied;
  PutFixed64(&applied, index);
  pending_->Put(kAppliedKey, applied);
  // The events kept on disk: the last `event_history` zxids' worth, trimmed in steps so
  // that range deletions stay few.
  const uint64_t keep = options_.event_history;
  if (keep > 0 && index > history_from_ + keep + keep / 5) {
    const uint64_t from = index - keep;
    pending_->DeleteRange(EventKey(0), EventKey(from + 1));
    std::string value;
    PutFixed64(&value, from);
    pending_->Put(kHistoryKey, value);
    history_from_ = from;
  }
  auto s = db_->Write(rocksdb::WriteOptions(), pending_.get());
  if (!s.ok()) return RocksStatus(s, "write");
  pending_->Clear();
  pending_events_.clear();
  last_applied_ = std::max(last_applied_, index);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ZNodeTree::LoadRuntimeRecords() {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kRuntimeTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out[it->key().ToString().substr(1)] = it->value().ToString();
  }
  if (!it->status().ok()) return RocksStatus(it->status(), "scan runtime records");
  return out;
}

uint64_t ZNodeTree::LastApplied() const {
  std::lock_guard lock(mu_);
  return last_applied_;
}

StateMachine::SnapshotFn ZNodeTree::TakeSnapshot() {
  std::lock_guard lock(mu_);
  std::string dir = absl::StrCat(options_.dir, ".checkpoint-", next_checkpoint_++);
  std::error_code ec;
  fs::remove_all(dir, ec);
  absl::Status made;
  if (pending_->Count() > 0) {
    made = absl::FailedPreconditionError("snapshot asked for before Persist");
  } else {
    rocksdb::Checkpoint* raw = nullptr;
    made = RocksStatus(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // Flush first, so that the checkpoint holds no write-ahead log to replay.
    if (made.ok()) made = RocksStatus(checkpoint->CreateCheckpoint(dir, 0), "checkpoint");
  }
  return [dir, made](SnapshotWriter& writer) {
    absl::Status s = made.ok() ? ArchiveDir(dir, writer) : made;
    std::error_code ec;
    fs::remove_all(dir, ec);
    return s;
  };
}

absl::Status ZNodeTree::RestoreSnapshot(uint64_t index, SnapshotReader& reader) {
  std::lock_guard lock(mu_);
  const std::string& dir = options_.dir;
  std::error_code ec;
  fs::remove_all(IncomingDir(dir), ec);
  if (auto s = UnarchiveDir(reader, IncomingDir(dir)); !s.ok()) return s;
  // Swap the directories so that a crash leaves one whole database (see
  // RecoverInterruptedRestore): the old one aside, the new one in, the old one gone.
  db_.reset();
  fs::remove_all(OldDir(dir), ec);
  fs::rename(dir, OldDir(dir), ec);
  if (ec) return absl::InternalError(absl::StrCat("move ", dir, " aside: ", ec.message()));
  fs::rename(IncomingDir(dir), dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("move the snapshot into ", dir, ": ", ec.message()));
  if (auto s = SyncDir(fs::path(dir).parent_path().string()); !s.ok()) return s;
  fs::remove_all(OldDir(dir), ec);
  if (auto s = OpenDb(); !s.ok()) return s;
  if (auto s = Load(); !s.ok()) return s;
  if (last_applied_ != index) {
    return absl::DataLossError(
        absl::StrCat("the snapshot for index ", index, " holds a tree applied to ", last_applied_));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Housekeeping and status

std::vector<SessionInfo> ZNodeTree::Sessions() const {
  std::lock_guard lock(mu_);
  std::vector<SessionInfo> out;
  for (const auto& [id, session] : sessions_) out.push_back({id, session.timeout_ms});
  return out;
}

size_t ZNodeTree::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool ZNodeTree::HasSession(uint64_t id) const {
  std::lock_guard lock(mu_);
  return sessions_.count(id) > 0;
}

int64_t ZNodeTree::SessionTimeout(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? 0 : it->second.timeout_ms;
}

std::optional<std::string> ZNodeTree::SessionPassword(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.password;
}

std::vector<std::string> ZNodeTree::Ephemerals(uint64_t session, std::string_view prefix) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto it = ephemerals_.find(session);
  if (it == ephemerals_.end()) return out;
  for (const auto& path : it->second) {
    if (path.starts_with(prefix)) out.push_back(path);
  }
  return out;
}

absl::StatusOr<int64_t> ZNodeTree::CountDescendants(std::string_view path) const {
  if (auto s = ValidateClientPath(path); !s.ok()) return s;
  std::lock_guard lock(mu_);
  const Node* node = Find(path);
  if (node == nullptr) return MetaError(metastorepb::NO_NODE, path);
  int64_t count = 0;
  std::vector<std::string> pending = {std::string(path)};
  while (!pending.empty()) {
    const std::string parent = std::move(pending.back());
    pending.pop_back();
    for (const auto& name : Find(parent)->children) {
      ++count;
      pending.push_back(ChildPath(parent, name));
    }
  }
  return count;
}

std::vector<metastorepb::IdleNode> ZNodeTree::IdleNodes(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  std::vector<metastorepb::IdleNode> out;
  for (const auto* set : {&containers_, &ttl_nodes_}) {
    for (const auto& path : *set) {
      const Node* node = Find(path);
      if (node == nullptr || !IsIdle(*node, now_ms)) continue;
      metastorepb::IdleNode idle;
      idle.set_path(path);
      idle.set_czxid(node->stat.czxid());
      out.push_back(std::move(idle));
    }
  }
  return out;
}

size_t ZNodeTree::node_count() const {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

uint64_t ZNodeTree::data_bytes() const {
  std::lock_guard lock(mu_);
  return data_bytes_;
}

size_t ZNodeTree::acl_count() const {
  std::lock_guard lock(mu_);
  return acls_.size();
}

}  // namespace warren::metastore
