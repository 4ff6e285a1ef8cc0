#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "proto/raft_service.pb.h"
#include "raft/core/raft.h"
#include "raft/log/log_store.h"
#include "raft/server/dedup_table.h"
#include "raft/server/group_options.h"
#include "raft/server/read_context.h"
#include "raft/server/removal_notice.h"
#include "raft/server/snapshot_store.h"
#include "raft/transport/transport.h"
#include "statemachine/state_machine.h"

namespace warren::raft {

// The outcome of a client request to a group.
struct Result {
  absl::Status status;
  std::string payload;
  uint64_t index = 0;       // the log index the result reflects
  bool not_leader = false;  // retry at `leader` (if known) or another member
  uint64_t leader = 0;
};
using Done = std::function<void(Result)>;

// One Raft group inside a RaftServer (Ratis calls it a division): the core, its log, its
// state machine and two named threads. The raft thread alone touches the core and the log:
// it steps messages and requests, ticks, persists each Ready (one fdatasync for the batch:
// group commit; a leader sends its appends before syncing, Raft thesis §10.2.1) and hands
// committed entries to the apply thread, which runs the state machine, answers clients and
// starts snapshots that a third, short-lived thread writes while apply goes on.
// All public methods are thread-safe and never block on the network; `done` callbacks run
// on the group's threads and must not block.
class Division {
 public:
  static absl::StatusOr<std::unique_ptr<Division>> Open(GroupOptions options,
                                                        std::unique_ptr<StateMachine> sm,
                                                        Transport* transport);
  ~Division();

  void Start();
  // Stops the threads; requests still waiting fail with Unavailable.
  void Stop();

  // Replicates a client command exactly once per (client_id, seq). A payload larger than
  // max_command_bytes is refused with InvalidArgument.
  void Write(raftpb::ClientCommand cmd, Done done);
  // Served at no older state than req.min_index, whatever the consistency. `deadline`, if
  // sooner than the group's request timeout, is when it stops waiting.
  void Read(raftpb::ReadRequest req, Done done, absl::Time deadline = absl::InfiniteFuture());
  void ChangeMembership(raftpb::MembershipRequest req, Done done);
  // Takes a snapshot now (or reports the one already taken at the applied index); `done`
  // gets the snapshot's index once it is durable.
  void TakeSnapshot(Done done);
  // The newest snapshot file's path (unverified), for a backup; safe from any thread.
  std::optional<std::string> NewestSnapshotPath() const { return snapshots_->NewestPath(); }
  // This member's view of the group, answered from the raft thread.
  void Status(std::function<void(raftpb::GroupStatus)> done);
  // The same, waiting up to `wait` (role "unresponsive" if the raft thread does not answer).
  raftpb::GroupStatus Status(absl::Duration wait = absl::Seconds(5));

  // From the transport. Whatever arrives from the network is checked before the core sees
  // it (CheckPeerMessage); what fails is refused: dropped, logged and counted.
  void Deliver(std::vector<raftpb::Message> msgs);
  // Where to receive the snapshot that `m` opens, or InvalidArgument if `m` is refused.
  absl::StatusOr<std::string> AcceptSnapshot(const raftpb::Message& m);
  // The snapshot `m` arrived whole at `path` (which this member then owns).
  void DeliverSnapshot(raftpb::Message m, std::string path);
  void PeerUnreachable(uint64_t peer);
  // `peer`'s streams to us ended; if it is our leader, campaign without waiting out the
  // election timeout (Raft::ReportLeaderGone).
  void PeerStreamsEnded(uint64_t peer);
  // Drops a message from the network: a rate-limited log line, and one more refused.
  void Refuse(const raftpb::Message& m, const absl::Status& why);

  // How long ago the raft thread and the apply thread last went round their loops. Idle,
  // they go round at least once a tick and once every 100 ms: a thread stuck in a sync, an
  // apply or a lock shows here, while the member still answers on the network.
  struct LoopAges {
    absl::Duration raft;
    absl::Duration apply;
  };
  LoopAges SinceLastLoop() const;

  const std::string& group() const { return options_.group; }
  size_t max_command_bytes() const { return options_.max_command_bytes; }
  uint64_t leader() const { return leader_.load(); }
  std::string AddressOf(uint64_t id) const;

 private:
  using RequestKey = std::pair<uint64_t, uint64_t>;  // (client id, seq)
  struct PendingWrite {
    uint64_t term;
    absl::Time deadline;
    Done done;
    RequestKey request{0, 0};  // (0, 0) for membership changes
  };
  struct PendingRead {
    raftpb::ReadRequest request;
    absl::Time deadline;
    Done done;
    uint64_t index = 0;  // serve once applied reaches it
  };
  struct PendingTransfer {
    uint64_t target;
    absl::Time deadline;
    Done done;
  };
  struct ApplyTask {
    std::optional<SnapshotInfo> restore;
    std::vector<EntryPtr> entries;
    std::vector<PendingRead> reads;
    Done snapshot_done;
  };

  Division(GroupOptions options, std::unique_ptr<StateMachine> sm, Transport* transport);
  absl::Status Recover();
  absl::StatusOr<RestoredState> LoadRaftState();

  // Raft thread. `run` runs there; if the division is stopping, `drop` runs instead.
  void Post(std::function<void()> run, std::function<void()> drop = nullptr);
  // Runs `run` on the raft thread, or answers `done` with Unavailable if stopping.
  void PostRequest(Done done, std::function<void(Done)> run);
  void RaftLoop();
  void HandleReady(Ready rd);
  void SendMessages(std::vector<raftpb::Message> msgs);
  void SendSnapshot(raftpb::Message m);
  void InstallSnapshot(const raftpb::SnapshotMetadata& meta, ApplyTask* task);
  void OnRoleChange(const SoftState& ss);
  // Membership seen from outside the core (removal_notice.h). Whether `m`, from the network,
  // goes on to the core: a not-a-member notice never does, nor what would let a member that
  // was told of its removal campaign; a vote request from outside the configuration gets a
  // notice back, and reaches the core only if its sender might be a member not yet known.
  bool ScreenForMembership(const raftpb::Message& m);
  void HearNotAMember(const raftpb::Message& m);
  // A member told of its removal that has since seen itself added again campaigns again.
  void MaybeReadmitted();
  void ExpireRequests(absl::Time now);
  void FinishSnapshot(const SnapshotInfo& info);
  Result NotLeader() const;
  void ProposeMembership(const raftpb::ConfChange& cc, Done done);

  // Apply thread.
  void PostApply(ApplyTask task);
  void ApplyLoop();
  void RestoreFrom(const SnapshotInfo& info);
  void ApplyEntry(const raftpb::Entry& e);
  void ServeReads(bool expire);
  void MaybeStartSnapshot();
  // The applied index, term and membership, as a snapshot header without clients.
  raftpb::SnapshotHeader AppliedStateHeader() const;
  // Durable state machines: stores what was applied since the last call with the runtime's
  // records. A no-op for the others.
  void PersistDurable();
  // Durable state machines: picks the runtime's records up where the state machine is.
  absl::Status LoadDurableRuntime();
  void FailPendingWrites(const absl::Status& why, bool not_leader);
  void CompleteWrite(uint64_t index, uint64_t term, Result r);

  const GroupOptions options_;
  GroupMetrics* const metrics_;  // options_.metrics: may be null
  std::unique_ptr<StateMachine> sm_;
  Transport* const transport_;
  std::unique_ptr<LogStore> log_;
  std::unique_ptr<SnapshotStore> snapshots_;
  std::unique_ptr<Raft> core_;

  // Raft thread state.
  std::mutex raft_mu_;
  std::condition_variable raft_cv_;
  struct Job {
    std::function<void()> run;
    std::function<void()> drop;
  };
  std::deque<Job> raft_queue_;
  bool stopping_ = false;
  std::thread raft_thread_;
  Role role_ = Role::kFollower;
  // Received snapshot files the core may restore, by (index, term).
  std::map<std::pair<uint64_t, uint64_t>, std::string> incoming_snapshots_;
  std::optional<SnapshotInfo> latest_snapshot_;
  ReadContextNamer read_contexts_;
  std::map<std::string, PendingRead> reads_by_ctx_;
  std::vector<PendingTransfer> transfers_;
  std::atomic<uint64_t> leader_{0};
  std::atomic<uint64_t> refused_messages_{0};
  // steady_clock nanoseconds of each loop's last round (SinceLastLoop).
  std::atomic<int64_t> raft_loop_at_;
  std::atomic<int64_t> apply_loop_at_;
  // Told by a peer that a configuration without this member committed at `removed_at_`, past
  // anything this member knows: it no longer ticks its core, so it never campaigns.
  bool removed_ = false;
  uint64_t removed_at_ = 0;
  NoticeLimiter not_a_member_notices_;

  // Shared by the raft thread (registers) and the apply thread (completes).
  std::mutex writes_mu_;
  std::map<uint64_t, PendingWrite> pending_writes_;    // by log index
  std::map<RequestKey, uint64_t> pending_by_request_;  // client writes among them -> index
  // Takes the pending write at `index` out of both maps. Needs writes_mu_.
  std::optional<PendingWrite> TakePendingWrite(uint64_t index);

  // Apply thread state.
  std::mutex apply_mu_;
  std::condition_variable apply_cv_;
  std::deque<ApplyTask> apply_queue_;
  std::vector<PendingRead> waiting_reads_;
  bool apply_stopping_ = false;
  std::thread apply_thread_;
  DedupTable dedup_;
  raftpb::ConfState conf_;  // membership as of applied_
  std::atomic<uint64_t> applied_{0};
  uint64_t applied_term_ = 0;
  uint64_t last_snapshot_index_ = 0;
  uint64_t persisted_ = 0;  // durable state machines: applied index of the last Persist
  std::vector<Done> snapshot_waiters_;
  std::atomic<bool> snapshot_running_{false};
  std::thread snapshot_thread_;

  // Records where member `id` is and tells the transport.
  void RememberAddress(uint64_t id, const std::string& address);
  mutable std::mutex members_mu_;
  std::map<uint64_t, std::string> addresses_;
};

}  // namespace warren::raft
