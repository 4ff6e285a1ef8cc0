#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metastore/acl.h"
#include "metastore/quota.h"
#include "metastore/validate.h"
#include "metastore/watch_manager.h"
#include "proto/metastore.pb.h"
#include "statemachine/state_machine.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace warren::metastore {

struct TreeOptions {
  // The RocksDB directory (created if missing).
  std::string dir;
  Limits limits;
  // BROKEN ON PURPOSE, for fault tests only (warrend --unsafe-non-atomic-multi): a multi whose
  // op fails keeps the ops before it applied, while its client is told it failed.
  bool unsafe_non_atomic_multi = false;
  // For an offline check (warren check): RocksDB opened read-only, nothing written; the
  // tree loads and verifies as it does for a member, but must not be applied to.
  bool read_only = false;
  // How many zxids of events the tree keeps with itself on disk (and so in its snapshots),
  // so that a persistent watch set again after a restart or a snapshot install is sent what
  // it missed (WatchManager::Add). Trimmed in steps of a fifth of it. 0: none (to measure
  // what keeping them costs).
  uint64_t event_history = 50000;
};

// A live session, for the leader's liveness tracking.
struct SessionInfo {
  uint64_t id;
  int64_t timeout_ms;
};

// The replicated znode tree with ZooKeeper's semantics: the metastore's state machine.
//
// The whole tree is held in memory (as ZooKeeper's DataTree) and serves every read; RocksDB
// is its durable home. A node is stored under (parent path, NUL, name), so the children of a
// node are one prefix scan, with its stat and data as the value. Apply stages its writes;
// Persist writes them with the applied index and the runtime's records in one WriteBatch, so
// a restart loads the tree and replays only the entries after it. A snapshot is a RocksDB
// checkpoint, archived file by file into the snapshot stream.
//
// Every command applies all or nothing: ops change the tree in place and keep an undo list
// that puts it back if a later op of the same multi fails.
//
// Nodes have ZooKeeper's ACLs (acl.h). A client's write is checked as it applies, against the
// identities its command carries and the tree as the earlier ops of its multi left it, so
// every member decides alike; a read is checked against the query's identities. The leader's
// housekeeping (expiring sessions, deleting idle nodes) is not checked.
class ZNodeTree : public StateMachine {
 public:
  // `watches` (may be null) receives the events of applied commands and registrations of
  // watching reads.
  static absl::StatusOr<std::unique_ptr<ZNodeTree>> Open(TreeOptions options,
                                                         WatchManager* watches);
  ~ZNodeTree() override;

  // StateMachine. Commands and queries are metastorepb::Command and metastorepb::Query;
  // replies CommandReply and QueryReply. A metastore error is a reply, not an error status.
  absl::StatusOr<std::string> Apply(uint64_t index, std::string_view command) override;
  absl::StatusOr<std::string> Query(std::string_view query) override;
  // The same, from any thread, with the state it answered from: `applied` is the zxid the
  // answer reflects (read under the same lock).
  std::string Query(std::string_view query, uint64_t* applied);
  SnapshotFn TakeSnapshot() override;
  absl::Status RestoreSnapshot(uint64_t index, SnapshotReader& reader) override;
  uint64_t LastApplied() const override;
  bool durable() const override { return true; }
  absl::Status Persist(uint64_t index, const RuntimeRecords& records) override;
  absl::StatusOr<std::map<std::string, std::string>> LoadRuntimeRecords() override;

  // For the leader's housekeeping and for status; safe from any thread.
  std::vector<SessionInfo> Sessions() const;
  size_t session_count() const;
  bool HasSession(uint64_t id) const;
  int64_t SessionTimeout(uint64_t id) const;  // 0 if there is no such session
  // The password a client proves the session is its own with (ZooKeeper's clients send it
  // when they move to another member); nullopt if there is no such session.
  std::optional<std::string> SessionPassword(uint64_t id) const;
  // The session's ephemeral nodes whose paths start with `prefix`, sorted.
  std::vector<std::string> Ephemerals(uint64_t session, std::string_view prefix) const;
  // How many nodes lie below `path` (NoNode if it does not exist).
  absl::StatusOr<int64_t> CountDescendants(std::string_view path) const;
  // Containers that lost their last child, and TTL nodes idle past their TTL at `now_ms`.
  std::vector<metastorepb::IdleNode> IdleNodes(int64_t now_ms) const;
  size_t node_count() const;
  // Bytes of data the nodes hold (their paths and stats not counted).
  uint64_t data_bytes() const;
  // ACL lists the nodes hold other than the default (each counted once, however many nodes
  // share it).
  size_t acl_count() const;
  // Registers a watch for a session attached here. A client moving from another member
  // passes the last zxid it saw, and the watch fires at once if the node changed since;
  // MemberBehind if this tree has not applied that zxid yet, or cannot replay what a
  // persistent watch missed since then and `on_gap` says to refuse (see WatchManager::Add).
  // NoAuth if the node is there and the caller with identities `auth` lacks READ on it (as a
  // read that sets a watch; none: world:anyone alone).
  absl::Status AddWatch(uint64_t session, const metastorepb::AddWatch& watch,
                        WatchManager::OnGap on_gap = WatchManager::OnGap::kRefuse,
                        const IdField& auth = IdField());

  const Limits& limits() const { return options_.limits; }

 private:
  struct Node {
    metastorepb::Stat stat;
    std::string data;
    std::set<std::string> children;
    bool container = false;
    // In acls_; declared here, it fits in what was padding, so that a node costs no more
    // memory for having an ACL (see the static_assert in the constructor).
    AclTable::Ref acl = AclTable::kOpen;
    int64_t ttl_ms = 0;
  };
  // How to put the tree back if a command fails half-way.
  struct Undo {
    enum Kind { kCreated, kDeleted, kStat, kData, kAcl } kind;
    std::string path;
    // kDeleted: the node; kStat: node.stat; kData: node.data; kAcl: node.acl, the reference
    // it replaced (still counted until the command commits).
    Node node;
  };
  // One command being applied.
  struct Txn {
    int64_t zxid;
    int64_t time_ms;
    uint64_t session;
    const IdField* auth;  // who sent it
    std::vector<Undo> undo;
    std::set<std::string> touched;
    std::vector<metastorepb::WatchEvent> events;
    uint64_t max_children = 0;  // Command.max_children: 0, no bound
  };

  ZNodeTree(TreeOptions options, WatchManager* watches);
  absl::Status OpenDb();
  absl::Status Load();
  void Reset();

  // A path a client's read names: ValidatePath, then the path limits.
  absl::Status ValidateClientPath(std::string_view path) const;
  metastorepb::CommandReply ApplyCommand(uint64_t index, const metastorepb::Command& cmd);
  // SessionExpired if the request's session_id names no live session; AuthFailed if it carries
  // a password (session_password) that is not the session's. `Request`: Command or Query
  // (defined, and used, in znode_tree.cc).
  template <typename Request>
  absl::Status CheckSession(const Request& request) const;
  metastorepb::CommandReply ApplyMulti(Txn& txn, const metastorepb::MultiRequest& multi);
  absl::StatusOr<metastorepb::OpResult> ApplyOp(Txn& txn, const metastorepb::Op& op);
  absl::StatusOr<metastorepb::OpResult> Create(Txn& txn, const metastorepb::CreateRequest& c);
  absl::Status Delete(Txn& txn, const std::string& path, bool has_version, int32_t version);
  absl::StatusOr<metastorepb::Stat> SetData(Txn& txn, const metastorepb::SetDataRequest& s);
  absl::StatusOr<metastorepb::Stat> SetAcl(Txn& txn, const metastorepb::SetAclRequest& a);
  absl::Status Check(const Txn& txn, const metastorepb::CheckRequest& c) const;
  void RemoveNode(Txn& txn, const std::string& path);
  void EndSessions(Txn& txn, const std::vector<uint64_t>& ids);
  void DeleteIdle(Txn& txn, const metastorepb::DeleteIdleCommand& cmd);
  void SaveStat(Txn& txn, const std::string& path);
  void Rollback(Txn& txn);
  // Replaces a node's data, keeping data_bytes_; returns what it held.
  std::string ReplaceData(Node& node, std::string data);
  // Forgets the undo list of a command that applied, and the ACL references it held.
  void Commit(Txn& txn);
  void Stage(const Txn& txn);
  void Index(const std::string& path, const Node& node, bool add);

  // Quotas (znode_tree_quota.cc, metastore/quota.h). The subtree whose quota counts `path`:
  // its deepest ancestor-or-self with a limits node; nullopt if none does.
  std::optional<std::string_view> QuotaSubjectOf(std::string_view path) const;
  // Counts adding `count` nodes and `bytes` of data at `path` in its quota's stats node;
  // QuotaExceeded, counting nothing, if that would take the subtree past a hard limit (a
  // change that shrinks it never does); past a soft limit, a warning in the log.
  absl::Status ChargeQuota(Txn& txn, std::string_view path, int64_t count, int64_t bytes);
  // Counts `subject`'s subtree afresh into its stats node, once it has both quota nodes.
  void RecountQuota(Txn& txn, std::string_view subject);
  void WriteQuotaStats(Txn& txn, const std::string& stats_path, const QuotaFields& stats);
  bool IsIdle(const Node& node, int64_t now_ms) const;

  metastorepb::QueryReply RunQuery(const metastorepb::Query& q);
  const Node* Find(std::string_view path) const;
  Node* Find(std::string_view path);

  const TreeOptions options_;
  WatchManager* const watches_;
  mutable std::mutex mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<rocksdb::WriteBatch> pending_;
  std::string pending_events_;  // of the commands staged in pending_ (AppendEvents)
  uint64_t last_applied_ = 0;
  uint64_t history_from_ = 0;  // every event after it is kept under kEventTag
  uint64_t next_checkpoint_ = 0;
  std::unordered_map<std::string, Node> nodes_;
  uint64_t data_bytes_ = 0;  // of the nodes in nodes_ (kept by Index and ReplaceData)
  struct Session {
    int64_t timeout_ms;
    std::string password;
  };
  std::map<uint64_t, Session> sessions_;
  std::map<uint64_t, std::set<std::string>> ephemerals_;  // session -> paths
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  std::set<std::string, std::less<>> quota_subjects_;  // subtrees with a limits node
  AclTable acls_;
};

}  // namespace warren::metastore
