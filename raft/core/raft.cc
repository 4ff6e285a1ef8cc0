#include "raft/core/raft.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "raft/core/confchange.h"

namespace warren::raft {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

RestoredState BootstrapState(const std::vector<uint64_t>& voters) {
  raftpb::ConfChange cc;
  for (uint64_t id : voters) {
    auto* c = cc.add_changes();
    c->set_type(raftpb::ADD_VOTER);
    c->set_node_id(id);
  }
  RestoredState s;
  raftpb::Entry e;
  e.set_term(1);
  e.set_index(1);
  e.set_type(raftpb::ENTRY_CONF_CHANGE);
  e.set_data(cc.SerializeAsString());
  s.entries.push_back(std::move(e));
  s.hard_state.set_term(1);
  s.hard_state.set_commit(1);
  return s;
}

LogBesideSnapshot CompareLogWithSnapshot(const raftpb::SnapshotMetadata& snapshot,
                                         std::optional<uint64_t> log_term_at_snapshot,
                                         uint64_t first_index, uint64_t last_index) {
  const uint64_t snap = snapshot.index();
  if (snap == 0) return LogBesideSnapshot::kKeep;
  bool diverged = log_term_at_snapshot.has_value() && *log_term_at_snapshot != snapshot.term();
  if (diverged || last_index < snap) return LogBesideSnapshot::kDrop;
  if (!log_term_at_snapshot.has_value() && first_index != snap + 1) return LogBesideSnapshot::kGap;
  return LogBesideSnapshot::kKeep;
}

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& config, RestoredState state) {
  if (auto s = config.Validate(); !s.ok()) return s;
  uint64_t expect = state.snapshot.index() + 1;
  uint64_t log_term = state.snapshot.term();
  for (const auto& e : state.entries) {
    if (e.index() != expect) {
      return absl::DataLossError(
          absl::StrCat("restored log has a gap: expected index ", expect, ", found ", e.index()));
    }
    if (e.term() < log_term) {
      return absl::DataLossError(absl::StrCat("restored entry ", e.index(), " has term ", e.term(),
                                              " below the term ", log_term, " before it"));
    }
    log_term = e.term();
    ++expect;
  }
  // A crash inside one persist can leave the entries on disk without the hard state written
  // with them, or the other way round; both are repaired here rather than refused.
  if (log_term > state.hard_state.term()) {
    // The entries came from a leader of a later term, and the crash took that term before it
    // was stored. Nothing that depended on it left this peer (votes and acknowledgements
    // wait for the sync), and no vote in it can have been cast: that would have stored it.
    LOG(WARNING) << config.id << " takes term " << log_term << " from its log (hard state has "
                 << state.hard_state.term() << ")";
    state.hard_state.set_term(log_term);
    state.hard_state.set_vote(kNoNode);
  }
  uint64_t last = expect - 1;
  if (state.hard_state.commit() > last) {
    // The commit index reached the disk and the entries it covers did not: they were not
    // acknowledged, so the leader still has them and says again what is committed.
    state.hard_state.set_commit(last);
  }
  if (state.applied > last) {
    return absl::DataLossError(
        absl::StrCat("applied index ", state.applied, " is beyond the last log index ", last));
  }
  if (state.applied < state.snapshot.index()) state.applied = state.snapshot.index();
  return std::unique_ptr<Raft>(new Raft(config, std::move(state)));
}

Raft::Raft(const Config& config, RestoredState state)
    : id_(config.id),
      config_(config),
      rand_(config.random_seed ^ (config.id * 0x9e3779b97f4a7c15ULL)),
      log_(state.snapshot, std::move(state.entries),
           std::max(state.hard_state.commit(), state.applied), state.applied),
      tracker_(config.max_inflight_msgs, config.max_inflight_bytes) {
  term_ = state.hard_state.term();
  vote_ = state.hard_state.vote();
  CommitImpliedByConfChanges();
  tracker_.ApplyConfState(state.snapshot.conf_state(), log_.LastIndex() + 1);
  conf_history_[state.snapshot.index()] = tracker_.conf_state();
  conf_applied_index_ = state.snapshot.index();
  ApplyCommittedConfChanges();
  BecomeFollower(term_, kNoNode);
  if (config_.campaign_early_at_start && config_.read_only == ReadOnlyOption::kSafe &&
      Promotable()) {
    CampaignEarly(kNoNode);
  }
  prev_hard_state_ = hard_state();
  prev_soft_state_ = soft_state();
}

raftpb::HardState Raft::hard_state() const {
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(StorableCommit());
  return hs;
}

uint64_t Raft::StorableCommit() const {
  // The hard state may reach the disk before the Ready's entries or snapshot (a store that
  // writes it first, or a power loss that keeps its file and not the log's): it must not
  // claim committed an entry this Ready replaces. Entries already durable are ours for good
  // up to the commit index; a snapshot not yet durable keeps the commit where it was.
  if (pending_snapshot_.has_value()) return prev_hard_state_.commit();
  return std::min(log_.committed(), log_.persisted());
}

// ---------------------------------------------------------------------------------------
// Role transitions

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      config_.election_tick + static_cast<int>(rand_.Uniform(config_.election_tick));
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  lead_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  early_campaign_ = false;
  AbortLeaderTransfer();
  lease_revoked_ = false;
  last_lease_time_ = 0;
  tracker_.ResetVotes();
  tracker_.ResetProgress(log_.LastIndex());
  pending_reads_.clear();
  queued_read_requests_.clear();
  read_round_ = 0;
  pending_conf_index_ = 0;
  uncommitted_bytes_ = 0;
  broadcast_append_pending_ = false;
  broadcast_heartbeat_pending_ = false;
}

void Raft::BecomeFollower(uint64_t term, uint64_t leader) {
  Reset(term);
  role_ = Role::kFollower;
  lead_ = leader;
  VLOG(1) << id_ << " became follower at term " << term_ << " leader " << leader;
}

void Raft::BecomePreCandidate() {
  CHECK(role_ != Role::kLeader);
  // A pre-candidate keeps its term and vote: nothing changes unless the pre-vote wins.
  role_ = Role::kPreCandidate;
  lead_ = kNoNode;
  tracker_.ResetVotes();
  VLOG(1) << id_ << " became pre-candidate at term " << term_;
}

void Raft::BecomeCandidate() {
  CHECK(role_ != Role::kLeader);
  Reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
  VLOG(1) << id_ << " became candidate at term " << term_;
}

void Raft::BecomeLeader() {
  CHECK(role_ != Role::kFollower);
  Reset(term_);
  role_ = Role::kLeader;
  lead_ = id_;
  if (Progress* self = tracker_.Get(id_)) {
    self->BecomeReplicate();
    self->MaybeUpdate(log_.persisted());
  }
  // Whatever conf change may sit uncommitted in our log must commit before another starts;
  // the no-op below is after all of them.
  pending_conf_index_ = log_.LastIndex() + 1;
  // Raft §8: a no-op entry of our own term lets us learn what is committed.
  CHECK(AppendLocal(raftpb::ENTRY_NORMAL, "").ok());
  VLOG(1) << id_ << " became leader at term " << term_;
}

void Raft::Campaign(CampaignType type) {
  if (!Promotable()) return;
  raftpb::MessageType msg_type;
  uint64_t vote_term;
  if (type == CampaignType::kPreElection) {
    BecomePreCandidate();
    msg_type = raftpb::MSG_PRE_VOTE;
    vote_term = term_ + 1;
  } else {
    BecomeCandidate();
    msg_type = raftpb::MSG_VOTE;
    vote_term = term_;
  }
  tracker_.RecordVote(id_, true);
  if (tracker_.TallyVotes() == VoteResult::kWon) {
    // A single voter wins at once.
    if (type == CampaignType::kPreElection) {
      Campaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t voter : tracker_.config().AllVoters()) {
    if (voter == id_) continue;
    raftpb::Message m;
    m.set_type(msg_type);
    m.set_to(voter);
    m.set_term(vote_term);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    m.set_leader_transfer(type == CampaignType::kTransfer);
    Send(std::move(m));
  }
}

// ---------------------------------------------------------------------------------------
// Input: ticks

void Raft::Tick() {
  ++since_leader_contact_;
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    EndEarlyCampaign();
    Campaign(config_.pre_vote ? CampaignType::kPreElection : CampaignType::kElection);
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!tracker_.QuorumActive()) {
        VLOG(1) << id_ << " steps down: no quorum heard from in an election timeout";
        BecomeFollower(term_, kNoNode);
        return;
      }
      tracker_.ClearRecentActive(id_);
    }
    // A transfer that did not finish within an election timeout is abandoned; a removed
    // leader that could not hand over leaves anyway (see HandOver).
    if (lead_transferee_ != kNoNode) {
      if (!tracker_.IsVoter(id_)) {
        VLOG(1) << id_ << " steps down: removed, and " << lead_transferee_ << " did not take over";
        BecomeFollower(term_, kNoNode);
        return;
      }
      AbortLeaderTransfer();
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat_pending_ = true;
  }
}

// ---------------------------------------------------------------------------------------
// Input: messages

absl::Status Raft::Validate(const raftpb::Message& m) const {
  if (m.from() == kNoNode) return absl::InvalidArgumentError("message has no sender (from=0)");
  if (m.from() == id_) return absl::InvalidArgumentError("message claims to come from ourselves");
  if (m.to() != id_) {
    return absl::InvalidArgumentError(
        absl::StrCat("message addressed to ", m.to(), " delivered to ", id_));
  }
  if (m.term() == 0) return absl::InvalidArgumentError("message has term 0");
  switch (m.type()) {
    case raftpb::MSG_APP: {
      uint64_t expect = m.index() + 1;
      for (const auto& e : m.entries()) {
        if (e.index() != expect) {
          return absl::InvalidArgumentError(absl::StrCat(
              "MSG_APP entries not contiguous: expected index ", expect, ", got ", e.index()));
        }
        if (e.term() > m.term() || e.term() < m.log_term()) {
          return absl::InvalidArgumentError(
              absl::StrCat("MSG_APP entry ", e.index(), " has out-of-order term ", e.term()));
        }
        ++expect;
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_SNAP: {
      const auto& meta = m.snapshot().metadata();
      if (meta.index() == 0)
        return absl::InvalidArgumentError("MSG_SNAP carries an empty snapshot");
      if (meta.term() == 0 || meta.term() > m.term()) {
        return absl::InvalidArgumentError(
            absl::StrCat("MSG_SNAP snapshot term ", meta.term(), " is not in [1, ", m.term(), "]"));
      }
      if (meta.conf_state().voters().empty()) {
        return absl::InvalidArgumentError("MSG_SNAP snapshot has no voters");
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_APP_RESP:
      if (role_ == Role::kLeader && m.term() == term_ && !m.reject() &&
          m.index() > log_.LastIndex()) {
        return absl::InvalidArgumentError(absl::StrCat("MSG_APP_RESP acknowledges index ",
                                                       m.index(), " beyond our last index ",
                                                       log_.LastIndex()));
      }
      return absl::OkStatus();
    case raftpb::MSG_VOTE:
    case raftpb::MSG_VOTE_RESP:
    case raftpb::MSG_PRE_VOTE:
    case raftpb::MSG_PRE_VOTE_RESP:
    case raftpb::MSG_HEARTBEAT:
    case raftpb::MSG_HEARTBEAT_RESP:
    case raftpb::MSG_TIMEOUT_NOW:
    case raftpb::MSG_READ_INDEX:
    case raftpb::MSG_READ_INDEX_RESP:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown message type ", static_cast<int>(m.type())));
  }
}

absl::Status Raft::Step(const raftpb::Message& m) {
  raftpb::Message copy = m;
  return Step(std::move(copy));
}

absl::Status Raft::Step(raftpb::Message&& m) {
  if (auto s = Validate(m); !s.ok()) return s;
  bool drop = false;
  StepByTerm(m, &drop);
  if (!drop) {
    switch (m.type()) {
      case raftpb::MSG_VOTE:
      case raftpb::MSG_PRE_VOTE:
        HandleVoteRequest(m);
        break;
      default:
        if (role_ == Role::kLeader) {
          StepLeader(m);
        } else if (role_ == Role::kFollower) {
          StepFollower(m);
        } else {
          StepCandidate(m);
        }
    }
  }
  ReactToCommits();
  return absl::OkStatus();
}

void Raft::ReactToCommits() {
  ApplyCommittedConfChanges();
  MaybeAutoLeaveJoint();
}

void Raft::StepByTerm(const raftpb::Message& m, bool* drop) {
  const bool is_vote_request = m.type() == raftpb::MSG_VOTE || m.type() == raftpb::MSG_PRE_VOTE;
  if (m.term() > term_) {
    if (is_vote_request && config_.check_quorum && !m.leader_transfer()) {
      // Someone has heard from the leader (or is the leader) within an election timeout:
      // refuse, or a partitioned node could depose a healthy leader; and the leader lease
      // depends on this refusal.
      bool in_lease = role_ == Role::kLeader ||
                      since_leader_contact_ < static_cast<uint64_t>(config_.election_tick);
      if (in_lease) {
        *drop = true;
        return;
      }
    }
    if (m.type() == raftpb::MSG_PRE_VOTE) return;  // a pre-vote changes no term
    if (m.type() == raftpb::MSG_PRE_VOTE_RESP && !m.reject()) return;
    bool from_leader = m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT ||
                       m.type() == raftpb::MSG_SNAP;
    BecomeFollower(m.term(), from_leader ? m.from() : kNoNode);
    return;
  }
  if (m.term() < term_) {
    *drop = true;
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT)) {
      // A stale leader (perhaps back from a partition) learns our term and steps down.
      raftpb::Message resp;
      resp.set_type(raftpb::MSG_APP_RESP);
      resp.set_to(m.from());
      Send(std::move(resp));
    } else if (m.type() == raftpb::MSG_PRE_VOTE) {
      raftpb::Message resp;
      resp.set_type(raftpb::MSG_PRE_VOTE_RESP);
      resp.set_to(m.from());
      resp.set_reject(true);
      Send(std::move(resp));
    }
  }
}

void Raft::HandleVoteRequest(const raftpb::Message& m) {
  const bool pre = m.type() == raftpb::MSG_PRE_VOTE;
  // We may vote again for the same candidate (its request may have been duplicated), or for
  // anyone if we have neither voted nor followed a leader in this term. A pre-vote for a
  // later term binds nothing.
  bool can_vote =
      vote_ == m.from() || (vote_ == kNoNode && lead_ == kNoNode) || (pre && m.term() > term_);
  // A member that knows no membership yet was started empty to join and has not been added.
  // It may reuse the id of a member that was removed and wiped: a candidate that has not seen
  // the removal still counts that id as a voter, and an empty log would give it the vote its
  // predecessor's log refused (warren-jepsen's membership nemesis lost acknowledged writes
  // so). It votes once a leader has given it the configuration.
  const raftpb::ConfState& conf = tracker_.conf_state();
  if (conf.voters().empty() && conf.voters_outgoing().empty()) can_vote = false;
  raftpb::Message resp;
  resp.set_type(pre ? raftpb::MSG_PRE_VOTE_RESP : raftpb::MSG_VOTE_RESP);
  resp.set_to(m.from());
  if (can_vote && CandidateUpToDate(m.index(), m.log_term())) {
    // Answer in the term asked: a pre-candidate has not bumped its own term yet.
    resp.set_term(m.term());
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    // A new member has no term of its own yet: it refuses in the candidate's current term
    // (a pre-vote asks for the term after it), so the refusal moves nobody's term.
    resp.set_term(term_ != 0 ? term_ : pre ? std::max<uint64_t>(1, m.term() - 1) : m.term());
    resp.set_reject(true);
  }
  Send(std::move(resp));
}

bool Raft::CandidateUpToDate(uint64_t last_index, uint64_t last_term) const {
  if (!RemovedFromVoters()) return log_.IsUpToDate(last_index, last_term);
  // We know a committed change took our vote away, and our log holds no later change that
  // could have given it back, so no entry past our commit index was committed with our
  // vote: a candidate that still counts us needs only hold what we know committed (the
  // change included). Later commits were made by quorums that exclude us, and the
  // candidate must win some of their members, who judge it by their own logs. Comparing
  // by our longer log instead can refuse every candidate forever (HandOver).
  uint64_t commit = log_.committed();
  uint64_t commit_term = log_.Term(commit).value_or(0);
  return last_term > commit_term || (last_term == commit_term && last_index >= commit);
}

bool Raft::RemovedFromVoters() const {
  const raftpb::ConfState& conf = tracker_.conf_state();
  if (tracker_.IsVoter(id_) || (conf.voters().empty() && conf.voters_outgoing().empty())) {
    return false;
  }
  return log_.LastConfChange() <= log_.committed();
}

void Raft::StepFollower(raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_APP:
      HeardFromLeader(m.from());
      HandleAppendEntries(m);
      break;
    case raftpb::MSG_HEARTBEAT:
      HeardFromLeader(m.from());
      HandleHeartbeat(m);
      break;
    case raftpb::MSG_SNAP:
      HeardFromLeader(m.from());
      HandleSnapshot(m);
      break;
    case raftpb::MSG_TIMEOUT_NOW:
      VLOG(1) << id_ << " told by " << m.from() << " to campaign (leader transfer)";
      log_.CommitTo(std::min(m.commit(), log_.LastIndex()));
      ApplyCommittedConfChanges();
      Campaign(CampaignType::kTransfer);
      break;
    case raftpb::MSG_READ_INDEX_RESP:
      read_states_.push_back({m.index(), m.context()});
      break;
    default:
      break;  // responses to a role we no longer have
  }
}

void Raft::StepCandidate(raftpb::Message& m) {
  const auto my_resp =
      role_ == Role::kPreCandidate ? raftpb::MSG_PRE_VOTE_RESP : raftpb::MSG_VOTE_RESP;
  switch (m.type()) {
    case raftpb::MSG_APP:
    case raftpb::MSG_HEARTBEAT:
    case raftpb::MSG_SNAP:
      // Someone won this term.
      BecomeFollower(m.term(), m.from());
      StepFollower(m);
      break;
    default:
      if (m.type() != my_resp) break;
      tracker_.RecordVote(m.from(), !m.reject());
      switch (tracker_.TallyVotes()) {
        case VoteResult::kWon:
          if (role_ == Role::kPreCandidate) {
            Campaign(CampaignType::kElection);
          } else {
            BecomeLeader();
          }
          break;
        case VoteResult::kLost:
          BecomeFollower(term_, kNoNode);
          break;
        case VoteResult::kPending:
          break;
      }
  }
}

void Raft::HeardFromLeader(uint64_t leader) {
  election_elapsed_ = 0;
  since_leader_contact_ = 0;
  lead_ = leader;
  EndEarlyCampaign();
}

void Raft::HandleAppendEntries(raftpb::Message& m) {
  raftpb::Message resp;
  resp.set_type(raftpb::MSG_APP_RESP);
  resp.set_to(m.from());
  if (m.index() < log_.committed()) {
    // Everything up to our commit index matches the leader's log already.
    resp.set_index(log_.committed());
    Send(std::move(resp));
    return;
  }
  if (auto last =
          log_.MaybeAppend(m.index(), m.log_term(), m.commit(), std::move(*m.mutable_entries()))) {
    CommitImpliedByConfChanges();
    resp.set_index(*last);
    Send(std::move(resp));
    return;
  }
  // Fast back-off: point the leader at the last index where our logs may still agree,
  // skipping every entry of ours with a term above the one the leader expected.
  uint64_t hint = FindConflictByTerm(std::min(m.index(), log_.LastIndex()), m.log_term());
  resp.set_index(m.index());
  resp.set_reject(true);
  resp.set_reject_hint_index(hint);
  resp.set_reject_hint_term(log_.Term(hint).value_or(0));
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const raftpb::Message& m) {
  log_.CommitTo(std::min(m.commit(), log_.LastIndex()));
  raftpb::Message resp;
  resp.set_type(raftpb::MSG_HEARTBEAT_RESP);
  resp.set_to(m.from());
  resp.set_read_round(m.read_round());
  resp.set_lease_time(m.lease_time());
  Send(std::move(resp));
}

void Raft::HandleSnapshot(const raftpb::Message& m) {
  const auto& meta = m.snapshot().metadata();
  raftpb::Message resp;
  resp.set_type(raftpb::MSG_APP_RESP);
  resp.set_to(m.from());
  if (meta.index() <= log_.committed()) {
    resp.set_index(log_.committed());
  } else if (log_.MatchTerm(meta.index(), meta.term())) {
    // We already hold the snapshot's last entry: just learn that it is committed.
    log_.CommitTo(meta.index());
    resp.set_index(meta.index());
  } else {
    VLOG(1) << id_ << " restores snapshot at index " << meta.index() << " term " << meta.term();
    log_.Restore(meta);
    tracker_.ApplyConfState(meta.conf_state(), log_.LastIndex() + 1);
    conf_history_.clear();
    conf_history_[meta.index()] = tracker_.conf_state();
    conf_applied_index_ = meta.index();
    pending_snapshot_ = m.snapshot();
    resp.set_index(meta.index());
  }
  Send(std::move(resp));
}

void Raft::CommitImpliedByConfChanges() {
  // Membership takes effect when a peer knows it committed, so a peer that holds a change
  // without knowing that the change before it committed would run two configurations
  // behind, and the quorums of those need not overlap. That happens when the commit index
  // sent with the entries is lost (a crash between writing them and the hard state, or a
  // leader that restarted with a stale commit index). The log itself says more: a leader
  // proposes a change only once the one before it has committed.
  log_.CommitTo(log_.PenultimateConfChange());
}

uint64_t Raft::FindConflictByTerm(uint64_t index, uint64_t term) const {
  while (index > 0) {
    auto t = log_.Term(index);
    if (!t.has_value() || *t <= term) break;  // compacted entries are committed: stop there
    --index;
  }
  return index;
}

// ---------------------------------------------------------------------------------------
// Leader

void Raft::StepLeader(const raftpb::Message& m) {
  if (m.type() == raftpb::MSG_READ_INDEX) {
    HandleReadRequest(m.from(), m.context());
    return;
  }
  Progress* pr = tracker_.Get(m.from());
  if (pr == nullptr) return;  // not (or no longer) a member
  switch (m.type()) {
    case raftpb::MSG_APP_RESP:
      HandleAppendResponse(m, *pr);
      break;
    case raftpb::MSG_HEARTBEAT_RESP:
      HandleHeartbeatResponse(m, *pr);
      break;
    default:
      break;
  }
}

void Raft::HandleAppendResponse(const raftpb::Message& m, Progress& pr) {
  pr.recent_active = true;
  if (m.reject()) {
    uint64_t hint = FindConflictByTerm(m.reject_hint_index(), m.reject_hint_term());
    if (pr.MaybeDecrTo(m.index(), hint)) {
      if (pr.state == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from(), /*send_if_empty=*/true);
    }
    return;
  }
  bool was_paused = pr.IsPaused();
  if (!pr.MaybeUpdate(m.index())) {
    if (was_paused && !pr.IsPaused()) SendAppend(m.from(), false);
    return;
  }
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match >= pr.pending_snapshot) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights.FreeTo(m.index());
      break;
  }
  MaybeCommit();
  // Pipelining: keep the window full.
  while (SendAppend(m.from(), false)) {
  }
  if (m.from() == lead_transferee_ && pr.match == log_.LastIndex()) SendTimeoutNow(m.from());
}

void Raft::HandleHeartbeatResponse(const raftpb::Message& m, Progress& pr) {
  pr.recent_active = true;
  pr.probe_sent = false;
  // Echoes of rounds we never started prove nothing (a correct peer cannot send them).
  pr.acked_read_round = std::max(pr.acked_read_round, std::min(m.read_round(), read_round_));
  pr.acked_lease_time = std::max(pr.acked_lease_time, std::min(m.lease_time(), last_lease_time_));
  if (pr.match < log_.LastIndex()) {
    // Appends may have been lost. Free a slot of a full window and send even an empty
    // append: if the follower misses entries it rejects it, and we fall back to probing.
    if (pr.state == ProgressState::kReplicate && pr.inflights.Full()) pr.inflights.FreeFirst();
    SendAppend(m.from(), /*send_if_empty=*/true);
  }
  ReleaseConfirmedReads();
}

bool Raft::SendAppend(uint64_t to, bool send_if_empty) {
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr || to == id_ || pr->IsPaused()) return false;
  raftpb::Message m;
  m.set_to(to);
  uint64_t prev = pr->next - 1;
  auto prev_term = log_.Term(prev);
  if (!prev_term.has_value()) {
    // The follower needs entries we compacted: it gets the snapshot instead.
    if (!pr->recent_active) return false;
    m.set_type(raftpb::MSG_SNAP);
    *m.mutable_snapshot()->mutable_metadata() = log_.snapshot();
    pr->BecomeSnapshot(log_.snapshot().index());
    VLOG(1) << id_ << " sends snapshot at " << log_.snapshot().index() << " to " << to;
    Send(std::move(m));
    return true;
  }
  const uint64_t end = log_.SliceEnd(pr->next, log_.LastIndex() + 1, config_.max_size_per_msg);
  if (end <= pr->next && !send_if_empty) return false;
  m.set_type(raftpb::MSG_APP);
  m.set_index(prev);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  uint64_t bytes = 0;
  if (end > pr->next) m.mutable_entries()->Reserve(static_cast<int>(end - pr->next));
  for (uint64_t i = pr->next; i < end; ++i) {
    const raftpb::Entry& e = log_.At(i);
    bytes += EntrySize(e);
    *m.add_entries() = e;  // the message owns what it sends: one copy per follower
  }
  if (m.entries_size() > 0) pr->SentEntries(prev + m.entries_size(), bytes);
  Send(std::move(m));
  return true;
}

void Raft::BroadcastAppend() {
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendAppend(id, true);
  }
}

void Raft::BroadcastHeartbeat() {
  if (config_.clock) {
    last_lease_time_ = config_.clock();
    // The leader's own acknowledgement is as fresh as anything it sends.
    if (Progress* self = tracker_.Get(id_)) self->acked_lease_time = last_lease_time_;
  }
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id == id_) continue;
    raftpb::Message m;
    m.set_type(raftpb::MSG_HEARTBEAT);
    m.set_to(id);
    // Never tell a follower to commit beyond what it is known to hold.
    m.set_commit(std::min(pr.match, log_.committed()));
    m.set_read_round(read_round_);
    m.set_lease_time(last_lease_time_);
    Send(std::move(m));
  }
}

void Raft::SendTimeoutNow(uint64_t to) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TIMEOUT_NOW);
  m.set_to(to);
  // What we know committed, as far as the target holds it: it must campaign in the newest
  // configuration (HandOver).
  if (const Progress* pr = tracker_.Get(to)) m.set_commit(std::min(pr->match, log_.committed()));
  lease_revoked_ = true;
  Send(std::move(m));
}

void Raft::MaybeCommit() {
  uint64_t old = log_.committed();
  uint64_t index = tracker_.QuorumValue(&Progress::match);
  // Raft §5.4.2: only entries of the current term are committed by counting replicas.
  if (index == std::numeric_limits<uint64_t>::max() || !log_.MaybeCommit(index, term_)) {
    return;
  }
  broadcast_append_pending_ = true;  // followers learn the new commit index
  for (uint64_t i = old + 1; i <= log_.committed(); ++i) {
    uint64_t size = EntrySize(log_.At(i));
    uncommitted_bytes_ = size > uncommitted_bytes_ ? 0 : uncommitted_bytes_ - size;
  }
  if (CommittedInCurrentTerm()) ReleaseQueuedReadRequests();
}

bool Raft::CommittedInCurrentTerm() const { return log_.Term(log_.committed()) == term_; }

absl::StatusOr<EntryId> Raft::AppendLocal(raftpb::EntryType type, std::string data) {
  raftpb::Entry e;
  e.set_term(term_);
  e.set_index(log_.LastIndex() + 1);
  e.set_type(type);
  e.set_data(std::move(data));
  uint64_t size = EntrySize(e);
  if (config_.max_uncommitted_bytes > 0 && uncommitted_bytes_ > 0 &&
      uncommitted_bytes_ + size > config_.max_uncommitted_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many uncommitted bytes (", uncommitted_bytes_, "); retry after commits catch up"));
  }
  uncommitted_bytes_ += size;
  EntryId id{e.index(), e.term()};
  log_.Append(std::move(e));
  broadcast_append_pending_ = true;
  return id;
}

absl::StatusOr<EntryId> Raft::Propose(std::string data) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(absl::StrCat("not leader; leader is ", lead_));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is being transferred to ", lead_transferee_));
  }
  return AppendLocal(raftpb::ENTRY_NORMAL, std::move(data));
}

absl::StatusOr<EntryId> Raft::ProposeConfChange(const raftpb::ConfChange& change) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(absl::StrCat("not leader; leader is ", lead_));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is being transferred to ", lead_transferee_));
  }
  if (pending_conf_index_ > log_.committed()) {
    // Transient, like a transfer in progress: it clears once that entry commits.
    return absl::UnavailableError(absl::StrCat(
        "a configuration change at index ", pending_conf_index_, " is not committed yet; retry"));
  }
  if (auto next = ApplyConfChange(tracker_.conf_state(), change); !next.ok()) {
    return next.status();
  }
  auto id = AppendLocal(raftpb::ENTRY_CONF_CHANGE, change.SerializeAsString());
  if (id.ok()) pending_conf_index_ = id->index;
  return id;
}

absl::Status Raft::TransferLeader(uint64_t to) {
  if (role_ != Role::kLeader) {
    return absl::FailedPreconditionError(absl::StrCat("not leader; leader is ", lead_));
  }
  if (to == id_) return absl::OkStatus();
  if (!tracker_.IsVoter(to)) {
    return absl::InvalidArgumentError(absl::StrCat("node ", to, " is not a voter"));
  }
  if (lead_transferee_ == to) return absl::OkStatus();
  lead_transferee_ = to;
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  if (tracker_.Get(to)->match == log_.LastIndex()) {
    SendTimeoutNow(to);
  } else {
    SendAppend(to, true);
  }
  return absl::OkStatus();
}

void Raft::ReportSnapshot(uint64_t to, bool success) {
  Progress* pr = tracker_.Get(to);
  if (role_ != Role::kLeader || pr == nullptr || pr->state != ProgressState::kSnapshot) return;
  // On success resume after the snapshot; on failure probe again, which sends it again.
  if (!success) pr->pending_snapshot = 0;
  pr->BecomeProbe();
  pr->probe_sent = true;  // wait for the follower's answer or the next heartbeat
}

void Raft::ReportUnreachable(uint64_t to) {
  Progress* pr = tracker_.Get(to);
  if (role_ == Role::kLeader && pr != nullptr && pr->state == ProgressState::kReplicate) {
    pr->BecomeProbe();
  }
}

bool Raft::ReportLeaderGone(uint64_t leader) {
  if (leader == kNoNode || role_ != Role::kFollower || lead_ != leader || !Promotable() ||
      config_.read_only == ReadOnlyOption::kLeaseBased) {
    return false;
  }
  VLOG(1) << id_ << " lost leader " << leader << "'s stream; campaigning early";
  CampaignEarly(leader);
  return true;
}

void Raft::CampaignEarly(uint64_t absent) {
  lead_ = kNoNode;
  since_leader_contact_ = config_.election_tick;
  // The lowest id campaigns on the next tick; if its log is behind, the next one two ticks
  // later, and so on.
  int rank = 0;
  for (uint64_t voter : tracker_.config().AllVoters()) {
    if (voter != absent && voter < id_) ++rank;
  }
  randomized_election_timeout_ = election_elapsed_ + 1 + 2 * rank;
  early_campaign_ = true;
}

void Raft::EndEarlyCampaign() {
  if (!early_campaign_) return;
  early_campaign_ = false;
  ResetRandomizedElectionTimeout();
}

// ---------------------------------------------------------------------------------------
// Reads

absl::Status Raft::ReadIndex(std::string context) {
  if (role_ == Role::kLeader) {
    HandleReadRequest(id_, std::move(context));
    return absl::OkStatus();
  }
  if (lead_ == kNoNode) return absl::UnavailableError("no leader known; cannot read");
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX);
  m.set_to(lead_);
  m.set_context(std::move(context));
  Send(std::move(m));
  return absl::OkStatus();
}

bool Raft::LeaseValid() const {
  if (role_ != Role::kLeader || lease_revoked_ || !config_.check_quorum) return false;
  if (tracker_.IsSingleton(id_)) return true;
  // The lease starts when a quorum-acknowledged heartbeat was sent: none of its voters will
  // vote for anyone else until an election timeout after receiving it (Config::clock).
  uint64_t start = tracker_.QuorumValue(&Progress::acked_lease_time);
  if (start == 0 || !config_.clock) return false;
  uint64_t lease = (config_.election_tick - 2) * config_.clock_units_per_tick *
                   (100 - config_.lease_clock_drift_percent) / 100;
  if (config_.unsafe_lease_without_margin) {
    // As long as this leader's own (randomized) election timeout: the naive lease.
    lease = static_cast<uint64_t>(randomized_election_timeout_) * config_.clock_units_per_tick;
  }
  return config_.clock() < start + lease;
}

void Raft::HandleReadRequest(uint64_t from, std::string context) {
  // Raft thesis §6.4: until an entry of our term commits we may not know the commit index.
  // A single voter too: the commit index it restarted with may be older than its last answer.
  if (!CommittedInCurrentTerm()) {
    queued_read_requests_.emplace_back(from, std::move(context));
    return;
  }
  if (tracker_.IsSingleton(id_)) {
    RespondToRead(from, log_.committed(), std::move(context));
    return;
  }
  if (config_.read_only == ReadOnlyOption::kLeaseBased && LeaseValid()) {
    RespondToRead(from, log_.committed(), std::move(context));
    return;
  }
  ++read_round_;
  if (Progress* self = tracker_.Get(id_)) self->acked_read_round = read_round_;
  pending_reads_.push_back({read_round_, log_.committed(), from, std::move(context)});
  broadcast_heartbeat_pending_ = true;
}

void Raft::RespondToRead(uint64_t from, uint64_t index, std::string context) {
  if (from == id_) {
    read_states_.push_back({index, std::move(context)});
    return;
  }
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX_RESP);
  m.set_to(from);
  m.set_index(index);
  m.set_context(std::move(context));
  Send(std::move(m));
}

void Raft::ReleaseConfirmedReads() {
  if (pending_reads_.empty()) return;
  uint64_t confirmed = tracker_.QuorumValue(&Progress::acked_read_round);
  while (!pending_reads_.empty() && pending_reads_.front().round <= confirmed) {
    auto& r = pending_reads_.front();
    RespondToRead(r.from, r.index, std::move(r.context));
    pending_reads_.pop_front();
  }
}

void Raft::ReleaseQueuedReadRequests() {
  auto queued = std::move(queued_read_requests_);
  queued_read_requests_.clear();
  for (auto& [from, context] : queued) HandleReadRequest(from, std::move(context));
}

// ---------------------------------------------------------------------------------------
// Membership

void Raft::ApplyCommittedConfChanges() {
  bool changed = false;
  for (uint64_t i = conf_applied_index_ + 1; i <= log_.committed(); ++i) {
    const auto& e = log_.At(i);
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) {
      LOG(ERROR) << id_ << " skips unparsable conf change at index " << i;
      continue;
    }
    // Every peer reaches the same verdict on the same entry, so skipping is consistent.
    auto next = ApplyConfChange(tracker_.conf_state(), cc);
    if (!next.ok()) {
      LOG(WARNING) << id_ << " skips conf change at index " << i << ": " << next.status();
      continue;
    }
    tracker_.ApplyConfState(*next, log_.LastIndex() + 1);
    conf_history_[i] = tracker_.conf_state();
    VLOG(1) << id_ << " applied conf change at " << i << ": " << ConfStateString(*next);
    changed = true;
  }
  conf_applied_index_ = std::max(conf_applied_index_, log_.committed());
  if (changed) OnConfStateChanged();
}

void Raft::OnConfStateChanged() {
  if (role_ != Role::kLeader) {
    if ((role_ == Role::kCandidate || role_ == Role::kPreCandidate) && !Promotable()) {
      BecomeFollower(term_, kNoNode);
    }
    return;
  }
  if (lead_transferee_ != kNoNode && !tracker_.IsVoter(lead_transferee_)) AbortLeaderTransfer();
  MaybeCommit();
  broadcast_append_pending_ = true;  // new members need appends, quorum or not
  if (!tracker_.IsVoter(id_)) HandOver();
}

void Raft::HandOver() {
  // Raft thesis §4.2.2 has a removed leader step down once its removal commits. But the
  // members learn that commit from the leader: until they do they still count it as a
  // voter, and if its log is the longest it refuses them (ARemovedMember... in the tests),
  // so stepping down at once can leave no quorum able to elect anyone. Instead the leader
  // stays, proposing nothing (a transfer is under way) and no longer counting itself,
  // brings the most up-to-date voter of the new configuration level with its log and
  // tells it to campaign; TimeoutNow carries the commit index, so that voter campaigns in
  // the new configuration. If it has not taken over within an election timeout, the
  // leader steps down (TickHeartbeat).
  if (lead_transferee_ != kNoNode) return;
  uint64_t best = kNoNode, best_match = 0;
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id == id_ || !tracker_.IsVoter(id)) continue;
    if (best == kNoNode || pr.match > best_match) best = id, best_match = pr.match;
  }
  if (best == kNoNode) return;  // a configuration always has a voter; nothing to do otherwise
  VLOG(1) << id_ << " is removed and hands over to " << best;
  lead_transferee_ = best;
  election_elapsed_ = 0;
  if (best_match == log_.LastIndex()) {
    SendTimeoutNow(best);
  } else {
    SendAppend(best, true);
  }
}

void Raft::MaybeAutoLeaveJoint() {
  if (role_ != Role::kLeader || !tracker_.conf_state().auto_leave()) return;
  if (!tracker_.config().IsJoint() || pending_conf_index_ > log_.committed()) return;
  if (lead_transferee_ != kNoNode) return;
  raftpb::ConfChange leave;
  auto id = AppendLocal(raftpb::ENTRY_CONF_CHANGE, leave.SerializeAsString());
  if (id.ok()) {
    pending_conf_index_ = id->index;
    VLOG(1) << id_ << " proposes leaving the joint configuration at " << id->index;
  }
}

raftpb::ConfState Raft::ConfAt(uint64_t index) const {
  auto it = conf_history_.upper_bound(index);
  CHECK(it != conf_history_.begin());
  return std::prev(it)->second;
}

absl::StatusOr<raftpb::SnapshotMetadata> Raft::SnapshotMetadataAt(uint64_t index) const {
  if (index < log_.snapshot().index() || index > log_.applied()) {
    return absl::OutOfRangeError(absl::StrCat("snapshot index ", index, " outside [",
                                              log_.snapshot().index(), ", ", log_.applied(),
                                              "] (compacted .. applied)"));
  }
  raftpb::SnapshotMetadata meta;
  meta.set_index(index);
  meta.set_term(*log_.Term(index));
  *meta.mutable_conf_state() = ConfAt(index);
  return meta;
}

absl::Status Raft::Compact(uint64_t index) {
  if (index > log_.persisted()) {
    return absl::OutOfRangeError(
        absl::StrCat("cannot compact to ", index, ": only ", log_.persisted(), " is durable"));
  }
  auto meta = SnapshotMetadataAt(index);
  if (!meta.ok()) return meta.status();
  log_.Compact(*meta);
  // Keep the membership in force at the snapshot and everything after it.
  auto keep = conf_history_.upper_bound(index);
  conf_history_.erase(conf_history_.begin(), keep);
  conf_history_[index] = meta->conf_state();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Output

void Raft::Send(raftpb::Message m) {
  m.set_from(id_);
  if (m.term() == 0) m.set_term(term_);
  msgs_.push_back(std::move(m));
}

void Raft::Flush() {
  if (role_ != Role::kLeader) return;
  if (broadcast_append_pending_) {
    broadcast_append_pending_ = false;
    BroadcastAppend();
  }
  if (broadcast_heartbeat_pending_) {
    broadcast_heartbeat_pending_ = false;
    BroadcastHeartbeat();
  }
}

bool Raft::HardStateChanged() const {
  return term_ != prev_hard_state_.term() || vote_ != prev_hard_state_.vote() ||
         StorableCommit() != prev_hard_state_.commit();
}

bool Raft::HasReady() const {
  if (soft_state() != prev_soft_state_ || HardStateChanged()) return true;
  if (pending_snapshot_.has_value() || !msgs_.empty() || !read_states_.empty()) return true;
  if (log_.persisted() < log_.LastIndex()) return true;
  if (log_.HasNextCommitted()) return true;
  return role_ == Role::kLeader && (broadcast_append_pending_ || broadcast_heartbeat_pending_);
}

Ready Raft::GetReady() {
  Flush();
  Ready rd;
  if (soft_state() != prev_soft_state_) rd.soft_state = soft_state();
  if (HardStateChanged()) rd.hard_state = hard_state();
  rd.snapshot = pending_snapshot_;
  rd.entries = log_.UnpersistedEntries();
  rd.committed_entries = log_.NextCommitted(config_.max_apply_bytes_per_ready);
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  return rd;
}

void Raft::Advance(const Ready& rd) {
  if (rd.soft_state.has_value()) prev_soft_state_ = *rd.soft_state;
  if (rd.hard_state.has_value()) prev_hard_state_ = *rd.hard_state;
  if (rd.snapshot.has_value() && pending_snapshot_.has_value() &&
      pending_snapshot_->metadata().index() == rd.snapshot->metadata().index()) {
    pending_snapshot_.reset();
  }
  if (!rd.entries.empty()) {
    log_.PersistedTo(rd.entries.back()->index(), rd.entries.back()->term());
  }
  if (!rd.committed_entries.empty()) log_.AppliedTo(rd.committed_entries.back()->index());
  if (role_ == Role::kLeader) {
    // The leader counts itself toward a quorum only for what it has made durable, which is
    // what lets it send entries to followers before writing them (Raft thesis §10.2.1).
    Progress* self = tracker_.Get(id_);
    if (self != nullptr && self->MaybeUpdate(log_.persisted())) MaybeCommit();
  }
  ReactToCommits();
}

std::string Raft::DebugString() const {
  std::string out = absl::StrCat(
      "id=", id_, " ", RoleName(role_), " term=", term_, " vote=", vote_, " lead=", lead_, " log=[",
      log_.FirstIndex(), ",", log_.LastIndex(), "] commit=", log_.committed(),
      " applied=", log_.applied(), " ", ConfStateString(tracker_.conf_state()));
  if (role_ == Role::kLeader) {
    for (const auto& [id, pr] : tracker_.progress()) {
      absl::StrAppend(&out, "\n  ", id, ": ", pr.DebugString());
    }
  }
  return out;
}

}  // namespace warren::raft
