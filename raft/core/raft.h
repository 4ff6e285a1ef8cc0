#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/raft.pb.h"
#include "raft/core/config.h"
#include "raft/core/raft_log.h"
#include "raft/core/random.h"
#include "raft/core/ready.h"
#include "raft/core/tracker.h"

namespace warren::raft {

// What a peer finds in its storage at start: the latest snapshot's metadata (index 0 if none;
// its conf_state is the membership as of that index), the entries after it, the hard state,
// and how far its state machine has already applied (at least the snapshot's index).
struct RestoredState {
  raftpb::SnapshotMetadata snapshot;
  std::vector<raftpb::Entry> entries;
  raftpb::HardState hard_state;
  uint64_t applied = 0;
};

// At restart, what to do with the log found beside the newest snapshot: keep its entries
// after the snapshot; drop all of it, because it belongs to another history or ends before
// the snapshot (a crash came between installing a snapshot received from the leader and
// dropping the log it replaces); or refuse to start, because entries between the snapshot
// and the log are missing. `log_term_at_snapshot` is the log's term at the snapshot's index,
// if the log holds that index.
enum class LogBesideSnapshot { kKeep, kDrop, kGap };
LogBesideSnapshot CompareLogWithSnapshot(const raftpb::SnapshotMetadata& snapshot,
                                         std::optional<uint64_t> log_term_at_snapshot,
                                         uint64_t first_index, uint64_t last_index);

// The state of a founding member of a new cluster: entry 1 (term 1, committed) carries the
// initial voters, so every founding member starts from the same log. A member that joins
// later starts from an empty RestoredState instead and learns everything from the leader.
RestoredState BootstrapState(const std::vector<uint64_t>& voters);

// One Raft peer's algorithm: pure and deterministic. No I/O, threads or clock inside; time is
// Tick(), randomness comes from Config::random_seed, and all effects come out of GetReady().
// Not thread-safe: one thread drives it.
class Raft {
 public:
  static absl::StatusOr<std::unique_ptr<Raft>> Create(const Config& config, RestoredState state);

  // Feeds a message from a peer. Malformed messages are refused with InvalidArgument and
  // change nothing; stale ones are dropped silently, as Raft prescribes.
  absl::Status Step(const raftpb::Message& m);
  // The same, but the log takes the message's entries instead of copying them. A message
  // refused as malformed is left as it was.
  absl::Status Step(raftpb::Message&& m);
  // Advances logical time by one tick (election and heartbeat timers, the leader lease).
  void Tick();

  // Appends a command to the log. Only the leader accepts; FailedPrecondition otherwise
  // (the message names the leader if known), Unavailable during a leadership transfer.
  absl::StatusOr<EntryId> Propose(std::string data);
  // Appends a membership change; one may be in flight at a time (Unavailable while another
  // is uncommitted).
  absl::StatusOr<EntryId> ProposeConfChange(const raftpb::ConfChange& change);
  // Hands leadership to voter `to`: bring it up to date, then tell it to campaign now.
  absl::Status TransferLeader(uint64_t to);
  // Requests a linearizable read point; answered by a ReadState with the same context.
  absl::Status ReadIndex(std::string context);

  // The runtime finished (or failed) sending the snapshot to `to`.
  void ReportSnapshot(uint64_t to, bool success);
  // The transport could not reach `to`; stop streaming to it until it answers again.
  void ReportUnreachable(uint64_t to);
  // The transport saw every stream from `leader` end: its process exited, or the connection
  // broke. A follower of `leader` stops waiting out its election timeout: it forgets the
  // leader, so that it grants (pre-)votes at once, and campaigns within a few ticks,
  // staggered by its rank among the other voters so that usually one campaigns alone. A
  // leader still alive loses nothing: the followers that still hear from it refuse the
  // pre-vote, and its next heartbeat restores us. A no-op with lease reads, whose safety
  // rests on every follower refusing votes for a whole election timeout after hearing from
  // the leader. Returns whether it will campaign early.
  bool ReportLeaderGone(uint64_t leader);

  // The metadata a snapshot of the state machine at `index` (<= applied) must carry.
  absl::StatusOr<raftpb::SnapshotMetadata> SnapshotMetadataAt(uint64_t index) const;
  // The runtime durably saved a snapshot at `index`: drop the log entries it covers.
  absl::Status Compact(uint64_t index);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t leader() const { return lead_; }
  Role role() const { return role_; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  // True if a lease read issued now would be answered without a heartbeat round.
  bool LeaseValid() const;
  std::string DebugString() const;

 private:
  struct PendingRead {
    uint64_t round;
    uint64_t index;
    uint64_t from;
    std::string context;
  };
  enum class CampaignType { kPreElection, kElection, kTransfer };

  explicit Raft(const Config& config, RestoredState state);

  // Role transitions.
  void Reset(uint64_t term);
  void BecomeFollower(uint64_t term, uint64_t leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Campaign(CampaignType type);
  // Forget any leader, grant votes at once and campaign once after 1 + 2 * rank ticks, rank
  // being our place by id among the voters other than `absent`.
  void CampaignEarly(uint64_t absent);
  // The early campaign is due or no longer needed: back to the usual randomized timeout.
  void EndEarlyCampaign();
  bool Promotable() const { return tracker_.IsVoter(id_); }

  // Message handling.
  absl::Status Validate(const raftpb::Message& m) const;
  void StepByTerm(const raftpb::Message& m, bool* drop);
  void HandleVoteRequest(const raftpb::Message& m);
  // Would a candidate whose log ends at (last_index, last_term) get our vote, logs-wise?
  bool CandidateUpToDate(uint64_t last_index, uint64_t last_term) const;
  // A committed change took our vote away, and nothing after our commit index can give it
  // back.
  bool RemovedFromVoters() const;
  void StepLeader(const raftpb::Message& m);
  void StepCandidate(raftpb::Message& m);
  void StepFollower(raftpb::Message& m);
  void HandleAppendEntries(raftpb::Message& m);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshot(const raftpb::Message& m);
  void HandleAppendResponse(const raftpb::Message& m, Progress& pr);
  void HandleHeartbeatResponse(const raftpb::Message& m, Progress& pr);
  void HeardFromLeader(uint64_t leader);

  // Leader duties.
  void TickElection();
  void TickHeartbeat();
  bool SendAppend(uint64_t to, bool send_if_empty);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void SendTimeoutNow(uint64_t to);
  void AbortLeaderTransfer() { lead_transferee_ = kNoNode; }
  // Advances commit by the quorum rule; on success followers are told at the next flush.
  void MaybeCommit();
  absl::StatusOr<EntryId> AppendLocal(raftpb::EntryType type, std::string data);
  bool CommittedInCurrentTerm() const;
  uint64_t FindConflictByTerm(uint64_t index, uint64_t term) const;

  // Reads.
  void HandleReadRequest(uint64_t from, std::string context);
  void RespondToRead(uint64_t from, uint64_t index, std::string context);
  void ReleaseConfirmedReads();
  void ReleaseQueuedReadRequests();

  // Membership: changes take effect on a peer once it knows they are committed.
  // What every input that may have advanced commit must do next.
  void ReactToCommits();
  void ApplyCommittedConfChanges();
  // Every membership change in the log but the last is known committed.
  void CommitImpliedByConfChanges();
  void OnConfStateChanged();
  // A leader whose removal committed passes leadership on before it leaves.
  void HandOver();
  void MaybeAutoLeaveJoint();
  raftpb::ConfState ConfAt(uint64_t index) const;

  // Work deferred to GetReady so that many inputs share one round of messages.
  void Flush();
  void Send(raftpb::Message m);
  void ResetRandomizedElectionTimeout();
  SoftState soft_state() const { return {lead_, role_}; }
  raftpb::HardState hard_state() const;
  // The commit index a Ready's hard state carries.
  uint64_t StorableCommit() const;
  bool HardStateChanged() const;

  const uint64_t id_;
  const Config config_;
  Random rand_;

  uint64_t term_ = 0;
  uint64_t vote_ = kNoNode;
  uint64_t lead_ = kNoNode;
  Role role_ = Role::kFollower;
  RaftLog log_;
  ProgressTracker tracker_;

  // Ticks since the last election-timer reset, heartbeat, and leader contact.
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  // Ticks since we last heard from a leader (or started): while below election_tick we refuse
  // to vote, which is what makes the leader lease sound.
  uint64_t since_leader_contact_ = 0;
  // CampaignEarly shortened randomized_election_timeout_: one early campaign, then the
  // usual timeouts again.
  bool early_campaign_ = false;
  // When we last sent heartbeats, on Config::clock.
  uint64_t last_lease_time_ = 0;

  uint64_t lead_transferee_ = kNoNode;
  // After telling a peer to campaign, another leader may appear at any time: no lease reads.
  bool lease_revoked_ = false;
  uint64_t pending_conf_index_ = 0;
  uint64_t conf_applied_index_ = 0;
  std::map<uint64_t, raftpb::ConfState> conf_history_;  // index -> membership from then on
  uint64_t uncommitted_bytes_ = 0;

  uint64_t read_round_ = 0;
  std::deque<PendingRead> pending_reads_;  // waiting for a quorum to confirm their round
  std::vector<std::pair<uint64_t, std::string>> queued_read_requests_;  // before a commit in term
  std::vector<ReadState> read_states_;

  bool broadcast_append_pending_ = false;
  bool broadcast_heartbeat_pending_ = false;
  std::vector<raftpb::Message> msgs_;
  std::optional<raftpb::Snapshot> pending_snapshot_;
  SoftState prev_soft_state_;
  raftpb::HardState prev_hard_state_;
};

}  // namespace warren::raft
