#include "raft/server/division.h"

#include <chrono>
#include <filesystem>
#include <future>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "raft/core/confchange.h"
#include "raft/log/memory_log_store.h"
#include "raft/log/reseed.h"
#include "raft/log/rocksdb_log_store.h"
#include "raft/log/segmented_log_store.h"
#include "raft/server/data_dir.h"
#include "raft/server/peer_message_check.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<LogStore>> OpenLog(const GroupOptions& o) {
  if (o.make_log) return o.make_log(o.data_dir);
  switch (o.log) {
    case LogKind::kMemory:
      return std::make_unique<MemoryLogStore>();
    case LogKind::kRocksDb: {
      auto s = RocksDbLogStore::Open((fs::path(o.data_dir) / "log-rocksdb").string());
      if (!s.ok()) return s.status();
      return std::unique_ptr<LogStore>(std::move(*s));
    }
    case LogKind::kSegmented:
      break;
  }
  SegmentedLogOptions so;
  so.segment_bytes = o.log_segment_bytes;
  so.unsafe_skip_checksums = o.unsafe_skip_checksums;
  auto s = SegmentedLogStore::Open((fs::path(o.data_dir) / "log").string(), so);
  if (!s.ok()) return s.status();
  return std::unique_ptr<LogStore>(std::move(*s));
}

void CheckIo(const absl::Status& s, std::string_view what) {
  // A log that cannot be written cannot keep Raft's promises; stop rather than lie.
  LOG_IF(FATAL, !s.ok()) << "raft log " << std::string(what) << " failed: " << s;
}

Result Unavailable(std::string msg, bool not_leader = false) {
  return Result{absl::UnavailableError(std::move(msg)), "", 0, not_leader, 0};
}

// A member's address travels in a conf change and in every snapshot: host:port, not a payload.
constexpr size_t kMaxAddressBytes = 1024;

absl::Status CommandTooLarge(size_t bytes, size_t limit) {
  return absl::InvalidArgumentError(absl::StrCat("a command of ", bytes,
                                                 " bytes exceeds the group's limit of ", limit,
                                                 " bytes (max_command_bytes)"));
}

using Clock = std::chrono::steady_clock;

int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Where a durable state machine keeps the runtime's records (see StateMachine::Persist).
constexpr char kAppliedStateKey[] = "raft/applied-state";
constexpr char kClientKeyPrefix[] = "raft/client/";

}  // namespace

Division::Division(GroupOptions options, std::unique_ptr<StateMachine> sm, Transport* transport)
    : options_(std::move(options)),
      metrics_(options_.metrics.get()),
      sm_(std::move(sm)),
      transport_(transport),
      read_contexts_(options_.id),
      raft_loop_at_(Nanos(Clock::now())),
      apply_loop_at_(Nanos(Clock::now())),
      not_a_member_notices_(absl::ToChronoNanoseconds(options_.tick * options_.raft.election_tick)),
      dedup_(absl::ToInt64Milliseconds(options_.dedup_ttl), options_.dedup_max_clients) {
  if (sm_->durable()) dedup_.TrackChanges();
}

Division::LoopAges Division::SinceLastLoop() const {
  const int64_t now = Nanos(Clock::now());
  return {absl::Nanoseconds(now - raft_loop_at_.load()),
          absl::Nanoseconds(now - apply_loop_at_.load())};
}

Division::~Division() { Stop(); }

absl::StatusOr<std::unique_ptr<Division>> Division::Open(GroupOptions options,
                                                         std::unique_ptr<StateMachine> sm,
                                                         Transport* transport) {
  if (options.id == kNoNode) return absl::InvalidArgumentError("member id must be > 0");
  if (options.group.empty()) return absl::InvalidArgumentError("group id must not be empty");
  if (!options.join && options.members.count(options.id) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "member ", options.id, " is not among the founding members; pass it or use join"));
  }
  if (auto s = CheckCommandLimit("max_command_bytes", options.max_command_bytes); !s.ok()) return s;
  if (options.raft.max_size_per_msg > kMaxCommandBytesCeiling / 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft.max_size_per_msg is ", options.raft.max_size_per_msg,
                     "; a member accepts messages of entries up to ", kMaxCommandBytesCeiling / 2));
  }
  std::unique_ptr<Division> d(new Division(std::move(options), std::move(sm), transport));
  if (auto s = d->Recover(); !s.ok()) return s;
  return d;
}

absl::Status Division::Recover() {
  if (auto s = ClaimDataDir(options_.data_dir, options_.group, options_.id); !s.ok()) return s;
  auto log = OpenLog(options_);
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  auto snaps = SnapshotStore::Open((fs::path(options_.data_dir) / "snapshots").string(),
                                   options_.unsafe_skip_checksums);
  if (!snaps.ok()) return snaps.status();
  snapshots_ = std::move(*snaps);
  for (const auto& [id, address] : options_.members) RememberAddress(id, address);
  auto latest = snapshots_->Latest();
  if (!latest.ok()) return latest.status();
  latest_snapshot_ = std::move(*latest);
  const uint64_t snap = latest_snapshot_.has_value() ? latest_snapshot_->index() : 0;
  if (sm_->durable() && sm_->LastApplied() > 0 && sm_->LastApplied() >= snap) {
    if (auto s = LoadDurableRuntime(); !s.ok()) return s;
  } else if (latest_snapshot_.has_value()) {
    RestoreFrom(*latest_snapshot_);
  }

  auto state = LoadRaftState();
  if (!state.ok()) return state.status();
  Config config = options_.raft;
  config.id = options_.id;
  config.random_seed = absl::Uniform<uint64_t>(absl::BitGen());
  if (!config.clock) {
    config.clock = [] {
      auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
      return static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(since_boot).count());
    };
    config.clock_units_per_tick = absl::ToInt64Microseconds(options_.tick);
  }
  auto core = Raft::Create(config, std::move(*state));
  if (!core.ok()) return core.status();
  core_ = std::move(*core);
  LOG(INFO) << "group " << options_.group << " member " << options_.id
            << " recovered: " << core_->DebugString();
  return absl::OkStatus();
}

absl::StatusOr<RestoredState> Division::LoadRaftState() {
  raftpb::HardState hs = log_->hard_state();
  bool fresh = log_->LastIndex() == 0 && hs.term() == 0 && !latest_snapshot_.has_value();
  if (fresh && applied_ > 0) {
    // The state machine kept its own data (a durable one) while the log, the vote and the
    // snapshots were lost: starting the group afresh, or joining, would forget the votes and
    // entries this member acknowledged, and apply entries again over a state that holds them.
    return absl::DataLossError(absl::StrCat(
        "the state machine has applied up to index ", applied_.load(), " but the Raft log, ",
        "vote and snapshots in ", options_.data_dir, " are gone; ", kReseedAdvice));
  }
  if (fresh && options_.join) return RestoredState{};
  if (fresh) {
    std::vector<uint64_t> voters;
    for (const auto& [id, address] : options_.members) voters.push_back(id);
    RestoredState state = BootstrapState(voters);
    CheckIo(log_->Append(state.entries), "append");
    CheckIo(log_->SetHardState(state.hard_state), "hard state");
    CheckIo(log_->Sync(), "sync");
    return state;
  }

  RestoredState state;
  if (latest_snapshot_.has_value()) state.snapshot = latest_snapshot_->header.metadata();
  const uint64_t snap = state.snapshot.index();
  auto term_at_snap = log_->Term(snap);
  switch (CompareLogWithSnapshot(state.snapshot,
                                 term_at_snap.ok() ? std::optional(*term_at_snap) : std::nullopt,
                                 log_->FirstIndex(), log_->LastIndex())) {
    case LogBesideSnapshot::kKeep:
      break;
    case LogBesideSnapshot::kDrop:
      CheckIo(log_->TruncateSuffix(log_->FirstIndex()), "truncate");
      CheckIo(log_->PurgePrefix(snap), "purge");
      CheckIo(log_->Sync(), "sync");
      break;
    case LogBesideSnapshot::kGap:
      return absl::DataLossError(absl::StrCat(
          "log in ", options_.data_dir, " starts at index ", log_->FirstIndex(),
          " but the newest snapshot ends at ", snap, "; entries in between are missing"));
  }
  uint64_t from = std::max(log_->FirstIndex(), snap + 1);
  auto entries = log_->Read(from, log_->LastIndex() + 1);
  if (!entries.ok()) return entries.status();
  state.entries = std::move(*entries);
  uint64_t last = state.entries.empty() ? snap : state.entries.back().index();
  hs.set_commit(std::clamp<uint64_t>(hs.commit(), snap, last));
  state.hard_state = hs;
  state.applied = std::max(snap, applied_.load());
  return state;
}

void Division::Start() {
  raft_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("raft-" + options_.group).substr(0, 15).c_str());
    RaftLoop();
  });
  apply_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("apply-" + options_.group).substr(0, 15).c_str());
    ApplyLoop();
  });
}

void Division::Stop() {
  {
    std::lock_guard lock(raft_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  raft_cv_.notify_all();
  if (raft_thread_.joinable()) raft_thread_.join();
  {
    std::lock_guard lock(apply_mu_);
    apply_stopping_ = true;
  }
  apply_cv_.notify_all();
  if (apply_thread_.joinable()) apply_thread_.join();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();

  // Nothing runs any more: answer everything still waiting.
  std::deque<Job> work;
  {
    std::lock_guard lock(raft_mu_);
    work.swap(raft_queue_);
  }
  for (auto& job : work) {
    if (job.drop) job.drop();
  }
  const Result down = Unavailable("server is shutting down");
  FailPendingWrites(down.status, false);
  for (auto& [ctx, r] : reads_by_ctx_) r.done(down);
  reads_by_ctx_.clear();
  for (auto& t : transfers_) t.done(down);
  transfers_.clear();
  for (auto& task : apply_queue_) {
    for (auto& r : task.reads) r.done(down);
    if (task.snapshot_done) task.snapshot_done(down);
  }
  apply_queue_.clear();
  for (auto& done : snapshot_waiters_) done(down);
  snapshot_waiters_.clear();
  for (auto& r : waiting_reads_) r.done(down);
  waiting_reads_.clear();
}

// ---------------------------------------------------------------------------------------
// Requests

void Division::Post(std::function<void()> run, std::function<void()> drop) {
  {
    std::lock_guard lock(raft_mu_);
    if (!stopping_) {
      raft_queue_.push_back({std::move(run), std::move(drop)});
      raft_cv_.notify_one();
      return;
    }
  }
  if (drop) drop();
}

void Division::PostRequest(Done done, std::function<void(Done)> run) {
  auto shared = std::make_shared<Done>(std::move(done));
  Post([shared, run = std::move(run)] { run(std::move(*shared)); },
       [shared] { (*shared)(Unavailable("server is shutting down")); });
}

Result Division::NotLeader() const {
  uint64_t lead = leader_.load();
  std::string who = lead == kNoNode ? "unknown" : absl::StrCat(lead);
  return Result{absl::FailedPreconditionError(absl::StrCat("not leader; leader is ", who)), "", 0,
                true, lead};
}

void Division::Write(raftpb::ClientCommand cmd, Done done) {
  if (cmd.payload().size() > options_.max_command_bytes) {
    if (metrics_ != nullptr) metrics_->ProposalRefused(ProposalRefusal::kTooLarge);
    return done(
        Result{CommandTooLarge(cmd.payload().size(), options_.max_command_bytes), "", 0, false, 0});
  }
  PostRequest(std::move(done), [this, cmd = std::move(cmd)](Done done) mutable {
    if (role_ != Role::kLeader) {
      if (metrics_ != nullptr) metrics_->ProposalRefused(ProposalRefusal::kNotLeader);
      return done(NotLeader());
    }
    const absl::Time deadline = absl::Now() + options_.request_timeout;
    const RequestKey key{cmd.client_id(), cmd.seq()};
    {
      // A retry of a write this leader is still replicating waits for that one, as in
      // Ratis' retry cache. Appending it again would apply once all the same, but would
      // cost an entry per retry, and retries then outpace slow followers for good.
      std::lock_guard lock(writes_mu_);
      if (auto it = pending_by_request_.find(key); it != pending_by_request_.end()) {
        PendingWrite& w = pending_writes_.at(it->second);
        w.done = [first = std::move(w.done), retry = std::move(done)](Result r) {
          first(r);
          retry(std::move(r));
        };
        w.deadline = std::max(w.deadline, deadline);
        return;
      }
    }
    cmd.set_time_ms(absl::ToUnixMillis(absl::Now()));
    auto id = core_->Propose(cmd.SerializeAsString());
    const bool leading = core_->role() == Role::kLeader;
    if (metrics_ != nullptr) {
      if (id.ok()) {
        metrics_->Proposed();
      } else {
        metrics_->ProposalRefused(leading ? ProposalRefusal::kRejected
                                          : ProposalRefusal::kNotLeader);
      }
    }
    if (!id.ok()) {
      Result r = NotLeader();
      if (leading) r = Result{id.status(), "", 0, false, options_.id};
      return done(r);
    }
    std::lock_guard lock(writes_mu_);
    pending_writes_[id->index] = {id->term, deadline, std::move(done), key};
    pending_by_request_[key] = id->index;
  });
}

std::optional<Division::PendingWrite> Division::TakePendingWrite(uint64_t index) {
  auto it = pending_writes_.find(index);
  if (it == pending_writes_.end()) return std::nullopt;
  PendingWrite w = std::move(it->second);
  pending_writes_.erase(it);
  if (auto r = pending_by_request_.find(w.request);
      r != pending_by_request_.end() && r->second == index) {
    pending_by_request_.erase(r);
  }
  return w;
}

void Division::Read(raftpb::ReadRequest req, Done done, absl::Time deadline) {
  PendingRead read{std::move(req), std::min(deadline, absl::Now() + options_.request_timeout),
                   std::move(done)};
  if (read.request.consistency() == raftpb::SEQUENTIAL) {
    read.index = read.request.min_index();
    ApplyTask task;
    task.reads.push_back(std::move(read));
    return PostApply(std::move(task));
  }
  Done done_read = std::move(read.done);
  PostRequest(std::move(done_read), [this, read = std::move(read)](Done done) mutable {
    read.done = std::move(done);
    std::string ctx = read_contexts_.Next();
    if (auto s = core_->ReadIndex(ctx); !s.ok()) {
      return read.done(Result{s, "", 0, true, leader_.load()});
    }
    reads_by_ctx_.emplace(ctx, std::move(read));
  });
}

void Division::ChangeMembership(raftpb::MembershipRequest req, Done done) {
  PostRequest(std::move(done), [this, req = std::move(req)](Done done) mutable {
    if (role_ != Role::kLeader) return done(NotLeader());
    if (req.id() == kNoNode) {
      return done(Result{absl::InvalidArgumentError("member id must be > 0"), "", 0, false, 0});
    }
    const ProgressTracker& tracker = core_->tracker();
    raftpb::ConfChange cc;
    auto* change = cc.add_changes();
    change->set_node_id(req.id());
    switch (req.op()) {
      case raftpb::MembershipRequest::ADD_LEARNER: {
        if (req.address().empty() || req.address().size() > kMaxAddressBytes) {
          return done(Result{absl::InvalidArgumentError(
                                 absl::StrCat("add learner needs the member's address, of at most ",
                                              kMaxAddressBytes, " bytes")),
                             "", 0, false, 0});
        }
        if (tracker.IsMember(req.id())) {
          return done(Result{absl::AlreadyExistsError(
                                 absl::StrCat("member ", req.id(), " is already in the group")),
                             "", 0, false, 0});
        }
        RememberAddress(req.id(), req.address());
        change->set_type(raftpb::ADD_LEARNER);
        raftpb::MemberAddress ma;
        ma.set_id(req.id());
        ma.set_address(req.address());
        cc.set_context(ma.SerializeAsString());
        return ProposeMembership(cc, std::move(done));
      }
      case raftpb::MembershipRequest::PROMOTE: {
        if (!tracker.IsMember(req.id()) || tracker.IsVoter(req.id())) {
          return done(Result{
              absl::FailedPreconditionError(absl::StrCat("member ", req.id(), " is not a learner")),
              "", 0, false, 0});
        }
        uint64_t commit = core_->log().committed();
        uint64_t match = tracker.progress().at(req.id()).match;  // a member: it has progress
        // A learner that has received nothing knows no membership and so would grant no
        // vote: made a voter, it would count toward quorums it cannot help form.
        if (match == 0 || match + options_.max_promote_lag < commit) {
          return done(
              Result{absl::FailedPreconditionError(absl::StrCat(
                         "learner ", req.id(), " is ", commit - match, " entries behind (match ",
                         match, ", commit ", commit, "); promote it once it has caught up")),
                     "", 0, false, 0});
        }
        change->set_type(raftpb::ADD_VOTER);
        return ProposeMembership(cc, std::move(done));
      }
      case raftpb::MembershipRequest::REMOVE:
        if (!tracker.IsMember(req.id())) {
          return done(
              Result{absl::NotFoundError(absl::StrCat("member ", req.id(), " is not in the group")),
                     "", 0, false, 0});
        }
        change->set_type(raftpb::REMOVE_NODE);
        return ProposeMembership(cc, std::move(done));
      case raftpb::MembershipRequest::TRANSFER_LEADER:
        if (auto s = core_->TransferLeader(req.id()); !s.ok()) {
          return done(Result{s, "", 0, false, options_.id});
        }
        transfers_.push_back({req.id(), absl::Now() + options_.request_timeout, std::move(done)});
        return;
      default:
        return done(
            Result{absl::InvalidArgumentError("unknown membership operation"), "", 0, false, 0});
    }
  });
}

void Division::ProposeMembership(const raftpb::ConfChange& cc, Done done) {
  if (cc.ByteSizeLong() > options_.max_command_bytes) {
    return done(
        Result{CommandTooLarge(cc.ByteSizeLong(), options_.max_command_bytes), "", 0, false, 0});
  }
  auto id = core_->ProposeConfChange(cc);
  if (!id.ok()) return done(Result{id.status(), "", 0, false, leader_.load()});
  std::lock_guard lock(writes_mu_);
  pending_writes_[id->index] = {id->term, absl::Now() + options_.request_timeout, std::move(done)};
}

void Division::Status(std::function<void(raftpb::GroupStatus)> done) {
  auto shared = std::make_shared<std::function<void(raftpb::GroupStatus)>>(std::move(done));
  Post(
      [this, shared] {
        raftpb::GroupStatus st;
        st.set_id(options_.id);
        st.set_role(removed_ ? "removed" : RoleName(core_->role()));
        st.set_leader(removed_ ? kNoNode : core_->leader());
        st.set_term(core_->term());
        st.set_commit(core_->log().committed());
        st.set_applied(applied_.load());
        st.set_first_index(core_->log().FirstIndex());
        st.set_last_index(core_->log().LastIndex());
        st.set_snapshot_index(latest_snapshot_.has_value() ? latest_snapshot_->index() : 0);
        st.set_refused_messages(refused_messages_.load());
        const raftpb::ConfState& cs = core_->tracker().conf_state();
        auto add = [&](uint64_t id, const char* role) {
          auto* m = st.add_members();
          m->set_id(id);
          m->set_role(role);
          m->set_address(AddressOf(id));
          const auto& progress = core_->tracker().progress();
          if (auto pr = progress.find(id); pr != progress.end()) m->set_match(pr->second.match);
        };
        for (uint64_t id : cs.voters()) add(id, "voter");
        for (uint64_t id : cs.learners()) add(id, "learner");
        (*shared)(std::move(st));
      },
      [this, shared] {
        raftpb::GroupStatus st;
        st.set_id(options_.id);
        st.set_role("stopped");
        (*shared)(std::move(st));
      });
}

raftpb::GroupStatus Division::Status(absl::Duration wait) {
  auto promise = std::make_shared<std::promise<raftpb::GroupStatus>>();
  auto future = promise->get_future();
  Status([promise](raftpb::GroupStatus st) { promise->set_value(std::move(st)); });
  if (future.wait_for(absl::ToChronoNanoseconds(wait)) != std::future_status::ready) {
    raftpb::GroupStatus st;
    st.set_id(options_.id);
    st.set_role("unresponsive");
    return st;
  }
  return future.get();
}

void Division::RememberAddress(uint64_t id, const std::string& address) {
  {
    std::lock_guard lock(members_mu_);
    addresses_[id] = address;
  }
  if (id != options_.id) transport_->SetPeer(id, address);  // no connection to ourselves
}

std::string Division::AddressOf(uint64_t id) const {
  std::lock_guard lock(members_mu_);
  auto it = addresses_.find(id);
  return it == addresses_.end() ? "" : it->second;
}

void Division::Refuse(const raftpb::Message& m, const absl::Status& why) {
  const uint64_t n = ++refused_messages_;
  LOG_EVERY_T(WARNING, 1.0) << "group " << options_.group << " refused " << DescribeMessage(m)
                            << ": " << why.message() << " (" << n << " refused so far)";
}

void Division::Deliver(std::vector<raftpb::Message> msgs) {
  std::erase_if(msgs, [this](const raftpb::Message& m) {
    absl::Status s = CheckPeerMessage(m, options_.id);
    if (!s.ok()) Refuse(m, s);
    return !s.ok();
  });
  if (msgs.empty()) return;
  Post([this, msgs = std::move(msgs)]() mutable {
    for (auto& m : msgs) {
      if (!ScreenForMembership(m)) continue;
      if (auto s = core_->Step(std::move(m)); !s.ok()) Refuse(m, s);
    }
  });
}

absl::StatusOr<std::string> Division::AcceptSnapshot(const raftpb::Message& m) {
  if (auto s = CheckSnapshotMessage(m, options_.id); !s.ok()) {
    Refuse(m, s);
    return s;
  }
  return snapshots_->NewIncomingPath();
}

void Division::DeliverSnapshot(raftpb::Message m, std::string path) {
  auto drop = [path] {
    std::error_code ec;
    fs::remove(path, ec);
  };
  auto info = SnapshotStore::Verify(path);
  absl::Status s = info.status();
  if (s.ok()) {
    const auto& want = m.snapshot().metadata();
    const auto& got = info->header.metadata();
    if (got.index() != want.index() || got.term() != want.term()) {
      s = absl::InvalidArgumentError(absl::StrCat("the file holds the snapshot at ", got.index(),
                                                  " in term ", got.term(), ", the message says ",
                                                  want.index(), " in term ", want.term()));
    }
  }
  if (s.ok()) {
    // What is installed is the file: the core takes the membership from the same header.
    *m.mutable_snapshot()->mutable_metadata() = info->header.metadata();
    s = CheckSnapshotMessage(m, options_.id);
  }
  if (!s.ok()) {
    Refuse(m, s);
    return drop();
  }
  Post(
      [this, m = std::move(m), path, drop] {
        const auto& meta = m.snapshot().metadata();
        const std::pair key{meta.index(), meta.term()};
        // A second copy of a snapshot already waiting here is not needed.
        const bool kept = incoming_snapshots_.emplace(key, path).second;
        const raftpb::SnapshotMetadata before = core_->log().snapshot();
        if (auto s = core_->Step(m); !s.ok()) Refuse(m, s);
        const auto& after = core_->log().snapshot();
        const bool restored = (after.index() != before.index() || after.term() != before.term()) &&
                              after.index() == meta.index() && after.term() == meta.term();
        if (kept && !restored) incoming_snapshots_.erase(key);
        if (!kept || !restored) drop();  // not needed: we already had all of it
      },
      drop);
}

void Division::PeerUnreachable(uint64_t peer) {
  Post([this, peer] { core_->ReportUnreachable(peer); });
}

void Division::PeerStreamsEnded(uint64_t peer) {
  Post([this, peer] {
    if (core_->ReportLeaderGone(peer)) {
      LOG(INFO) << "group " << options_.group << " member " << options_.id << ": leader " << peer
                << "'s streams ended; campaigning without waiting out the election timeout";
    }
  });
}

// ---------------------------------------------------------------------------------------
// The raft thread

void Division::RaftLoop() {
  // Ticks are timed on the monotonic clock, as the lease is (Config::clock): on the wall
  // clock, a step backwards stopped them for as long as it stepped (a leader's heartbeats
  // too, so that the others elected another), and a clock running fast ran them fast.
  const Clock::duration tick = absl::ToChronoNanoseconds(options_.tick);
  Clock::time_point next_tick = Clock::now() + tick;
  while (true) {
    std::deque<Job> work;
    {
      std::unique_lock lock(raft_mu_);
      raft_cv_.wait_until(lock, next_tick, [&] { return stopping_ || !raft_queue_.empty(); });
      if (stopping_) return;
      work.swap(raft_queue_);
    }
    for (auto& job : work) job.run();
    if (removed_) MaybeReadmitted();
    const Clock::time_point now = Clock::now();
    raft_loop_at_.store(Nanos(now), std::memory_order_relaxed);
    if (now >= next_tick) {
      if (!removed_) core_->Tick();  // a removed member's core has no timer but elections
      ExpireRequests(absl::Now());   // requests' deadlines are of the wall clock
      next_tick = std::max(next_tick + tick, now);
    }
    while (core_->HasReady()) HandleReady(core_->GetReady());
  }
}

void Division::HandleReady(Ready rd) {
  if (rd.soft_state.has_value()) OnRoleChange(*rd.soft_state);
  ApplyTask task;
  if (rd.snapshot.has_value()) InstallSnapshot(rd.snapshot->metadata(), &task);

  // A leader's appends and heartbeats promise nothing about its own disk: send them first
  // and write in parallel. Everything else (votes, acknowledgements) waits for the sync.
  std::vector<raftpb::Message> after_sync;
  if (role_ == Role::kLeader) {
    std::vector<raftpb::Message> early;
    for (auto& m : rd.messages) {
      bool safe = m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT ||
                  m.type() == raftpb::MSG_SNAP;
      (safe ? early : after_sync).push_back(std::move(m));
    }
    SendMessages(std::move(early));
  } else {
    after_sync = std::move(rd.messages);
  }

  bool must_sync = !rd.entries.empty() || rd.snapshot.has_value();
  if (!rd.entries.empty()) {
    // The log store takes entries by value: the one copy of them this path makes.
    std::vector<raftpb::Entry> entries;
    entries.reserve(rd.entries.size());
    for (const EntryPtr& e : rd.entries) entries.push_back(*e);
    CheckIo(log_->Append(entries), "append");
  }
  if (rd.hard_state.has_value()) {
    // Term and vote must be durable before anyone hears of them. The commit index need not
    // (it is relearned from the leader; recovery clamps it), so a Ready that only moves it
    // applies at once instead of waiting for a sync of its own; the next sync covers it.
    const raftpb::HardState before = log_->hard_state();
    must_sync |= rd.hard_state->term() != before.term() || rd.hard_state->vote() != before.vote();
    CheckIo(log_->SetHardState(*rd.hard_state), "hard state");
  }
  if (must_sync) {
    const Clock::time_point start = metrics_ != nullptr ? Clock::now() : Clock::time_point();
    CheckIo(log_->Sync(), "sync");
    if (metrics_ != nullptr) {
      metrics_->LogSynced(absl::FromChrono(Clock::now() - start), rd.entries.size());
    }
  }
  SendMessages(std::move(after_sync));

  for (const auto& rs : rd.read_states) {
    auto it = reads_by_ctx_.find(rs.context);
    if (it == reads_by_ctx_.end()) continue;
    it->second.index = std::max(rs.index, it->second.request.min_index());
    task.reads.push_back(std::move(it->second));
    reads_by_ctx_.erase(it);
  }
  core_->Advance(rd);  // before the committed entries are moved out of `rd`
  task.entries = std::move(rd.committed_entries);
  if (task.restore.has_value() || !task.entries.empty() || !task.reads.empty()) {
    PostApply(std::move(task));
  }
}

void Division::SendMessages(std::vector<raftpb::Message> msgs) {
  std::vector<raftpb::Message> plain;
  for (auto& m : msgs) {
    if (m.type() == raftpb::MSG_SNAP) {
      SendSnapshot(std::move(m));
    } else {
      plain.push_back(std::move(m));
    }
  }
  if (!plain.empty()) transport_->Send(options_.group, std::move(plain));
}

void Division::SendSnapshot(raftpb::Message m) {
  uint64_t to = m.to();
  if (!latest_snapshot_.has_value()) {
    LOG(ERROR) << "group " << options_.group << ": follower " << to
               << " needs a snapshot but none exists";
    return Post([this, to] { core_->ReportSnapshot(to, false); });
  }
  // Send our newest snapshot; it covers at least what the core compacted.
  *m.mutable_snapshot()->mutable_metadata() = latest_snapshot_->header.metadata();
  transport_->SendSnapshot(options_.group, std::move(m), latest_snapshot_->path,
                           [this, to](absl::Status s) {
                             if (!s.ok()) LOG(WARNING) << "snapshot to " << to << ": " << s;
                             if (metrics_ != nullptr) metrics_->SnapshotSent(s.ok());
                             Post([this, to, ok = s.ok()] { core_->ReportSnapshot(to, ok); });
                           });
}

void Division::InstallSnapshot(const raftpb::SnapshotMetadata& meta, ApplyTask* task) {
  // The core restores a snapshot only on a MSG_SNAP, which reaches it only from
  // DeliverSnapshot (Deliver refuses it), after its file was verified and registered here.
  auto it = incoming_snapshots_.find({meta.index(), meta.term()});
  CHECK(it != incoming_snapshots_.end()) << "core restored a snapshot we did not receive";
  auto info = snapshots_->Install(it->second);
  // It verified on arrival: failing now is the disk's doing, as for the log.
  CheckIo(info.status(), "install snapshot");
  for (auto& [key, path] : incoming_snapshots_) {
    std::error_code ec;
    if (path != it->second) fs::remove(path, ec);
  }
  incoming_snapshots_.clear();
  // The log before the snapshot belongs to another history or is behind: drop all of it.
  CheckIo(log_->TruncateSuffix(log_->FirstIndex()), "truncate");
  CheckIo(log_->PurgePrefix(meta.index()), "purge");
  latest_snapshot_ = *info;
  task->restore = *info;
  snapshots_->Prune(2);
  if (metrics_ != nullptr) metrics_->SnapshotInstalled();
}

void Division::OnRoleChange(const SoftState& ss) {
  bool was_leader = role_ == Role::kLeader;
  if (metrics_ != nullptr && ss.leader != kNoNode && ss.leader != leader_.load()) {
    metrics_->LeaderChanged();
  }
  role_ = ss.role;
  leader_ = ss.leader;
  LOG(INFO) << "group " << options_.group << " member " << options_.id << " is "
            << RoleName(ss.role) << " in term " << core_->term() << ", leader " << ss.leader;
  if (was_leader && ss.role != Role::kLeader) {
    FailPendingWrites(absl::UnavailableError("leadership lost; outcome unknown, retry"), true);
    for (auto& [ctx, r] : reads_by_ctx_) r.done(Unavailable("leadership lost; retry", true));
    reads_by_ctx_.clear();
  }
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (it->target != ss.leader) {
      ++it;
      continue;
    }
    it->done(Result{absl::OkStatus(), "", 0, false, ss.leader});
    it = transfers_.erase(it);
  }
}

void Division::ExpireRequests(absl::Time now) {
  for (auto it = reads_by_ctx_.begin(); it != reads_by_ctx_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    it->second.done(Result{absl::DeadlineExceededError("read not confirmed by a leader in time"),
                           "", 0, true, leader_.load()});
    it = reads_by_ctx_.erase(it);
  }
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    it->done(Result{absl::DeadlineExceededError(absl::StrCat(
                        "member ", it->target, " did not take over leadership in time")),
                    "", 0, false, leader_.load()});
    it = transfers_.erase(it);
  }
  std::vector<Done> expired;
  {
    std::lock_guard lock(writes_mu_);
    std::vector<uint64_t> due;
    for (const auto& [index, w] : pending_writes_) {
      if (w.deadline <= now) due.push_back(index);
    }
    for (uint64_t index : due) expired.push_back(std::move(TakePendingWrite(index)->done));
  }
  for (auto& done : expired) {
    done(Result{absl::DeadlineExceededError(
                    "not committed in time; outcome unknown, retry with the same sequence number"),
                "", 0, false, leader_.load()});
  }
}

void Division::FinishSnapshot(const SnapshotInfo& info) {
  auto meta = core_->SnapshotMetadataAt(info.index());
  if (!meta.ok()) {
    LOG(INFO) << "snapshot at " << info.index() << " is already superseded: " << meta.status();
    return;
  }
  const auto& mine = info.header.metadata();
  if (meta->term() != mine.term() || ConfStateString(Normalize(meta->conf_state())) !=
                                         ConfStateString(Normalize(mine.conf_state()))) {
    LOG(ERROR) << "snapshot at " << info.index() << " disagrees with the log (term " << mine.term()
               << " vs " << meta->term() << "); discarding it";
    fs::remove(info.path);
    return;
  }
  latest_snapshot_ = info;
  snapshots_->Prune(2);
  uint64_t retain = options_.log_retention_entries;
  uint64_t compact_to = info.index() > retain ? info.index() - retain : 0;
  if (compact_to <= core_->log().snapshot().index()) return;
  if (auto s = core_->Compact(compact_to); !s.ok()) {
    VLOG(1) << "compaction to " << compact_to << " postponed: " << s;
    return;
  }
  CheckIo(log_->PurgePrefix(compact_to), "purge");
}

void Division::FailPendingWrites(const absl::Status& why, bool not_leader) {
  std::map<uint64_t, PendingWrite> failed;
  {
    std::lock_guard lock(writes_mu_);
    failed.swap(pending_writes_);
    pending_by_request_.clear();
  }
  for (auto& [index, w] : failed) w.done(Result{why, "", 0, not_leader, leader_.load()});
}

// ---------------------------------------------------------------------------------------
// The apply thread

void Division::PostApply(ApplyTask task) {
  {
    std::lock_guard lock(apply_mu_);
    if (!apply_stopping_) {
      apply_queue_.push_back(std::move(task));
      apply_cv_.notify_one();
      return;
    }
  }
  for (auto& r : task.reads) r.done(Unavailable("server is shutting down"));
  if (task.snapshot_done) task.snapshot_done(Unavailable("server is shutting down"));
}

void Division::TakeSnapshot(Done done) {
  ApplyTask task;
  task.snapshot_done = std::move(done);
  PostApply(std::move(task));
}

void Division::ApplyLoop() {
  while (true) {
    std::deque<ApplyTask> tasks;
    {
      std::unique_lock lock(apply_mu_);
      apply_cv_.wait_for(lock, std::chrono::milliseconds(100),
                         [&] { return apply_stopping_ || !apply_queue_.empty(); });
      if (apply_stopping_) return;
      apply_loop_at_.store(Nanos(Clock::now()), std::memory_order_relaxed);
      tasks.swap(apply_queue_);
    }
    for (auto& task : tasks) {
      if (task.restore.has_value()) RestoreFrom(*task.restore);
      for (const EntryPtr& e : task.entries) ApplyEntry(*e);
      for (auto& r : task.reads) waiting_reads_.push_back(std::move(r));
      if (task.snapshot_done) snapshot_waiters_.push_back(std::move(task.snapshot_done));
    }
    PersistDurable();
    ServeReads(/*expire=*/true);
    MaybeStartSnapshot();
  }
}

void Division::RestoreFrom(const SnapshotInfo& info) {
  auto reader = snapshots_->OpenData(info);
  CHECK(reader.ok()) << "open snapshot " << info.path << ": " << reader.status();
  absl::Status s = sm_->RestoreSnapshot(info.index(), **reader);
  CHECK(s.ok()) << "state machine could not restore " << info.path << ": " << s;
  CHECK_EQ(sm_->LastApplied(), info.index())
      << "the state machine's LastApplied() does not match the snapshot it restored";
  dedup_.RestoreFrom(info.header.clients());
  conf_ = info.header.metadata().conf_state();
  for (const auto& m : info.header.members()) RememberAddress(m.id(), m.address());
  applied_ = info.index();
  applied_term_ = info.header.metadata().term();
  last_snapshot_index_ = info.index();
  PersistDurable();
  LOG(INFO) << "group " << options_.group << " restored snapshot at " << info.index();
}

raftpb::SnapshotHeader Division::AppliedStateHeader() const {
  raftpb::SnapshotHeader header;
  auto* meta = header.mutable_metadata();
  meta->set_index(applied_);
  meta->set_term(applied_term_);
  *meta->mutable_conf_state() = conf_;
  std::lock_guard lock(members_mu_);
  for (const auto& [id, address] : addresses_) {
    auto* m = header.add_members();
    m->set_id(id);
    m->set_address(address);
  }
  return header;
}

void Division::PersistDurable() {
  if (!sm_->durable() || persisted_ == applied_) return;
  StateMachine::RuntimeRecords records;
  for (auto& [id, client] : dedup_.TakeChanges()) {
    std::string key = absl::StrCat(kClientKeyPrefix, id);
    if (client.has_value()) {
      records[key] = client->SerializeAsString();
    } else {
      records[key] = std::nullopt;
    }
  }
  records[std::string(kAppliedStateKey)] = AppliedStateHeader().SerializeAsString();
  CheckIo(sm_->Persist(applied_, records), "persist the state machine");
  persisted_ = applied_;
}

absl::Status Division::LoadDurableRuntime() {
  const uint64_t index = sm_->LastApplied();
  auto records = sm_->LoadRuntimeRecords();
  if (!records.ok()) return records.status();
  raftpb::SnapshotHeader state;
  auto it = records->find(std::string(kAppliedStateKey));
  if (it == records->end() || !state.ParseFromString(it->second) ||
      state.metadata().index() != index) {
    return absl::DataLossError(absl::StrCat("the state machine in ", options_.data_dir,
                                            " has applied up to ", index,
                                            " but holds no matching membership record"));
  }
  google::protobuf::RepeatedPtrField<raftpb::DedupClient> clients;
  for (const auto& [key, bytes] : *records) {
    if (!key.starts_with(kClientKeyPrefix)) continue;
    if (!clients.Add()->ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("unreadable exactly-once record ", key));
    }
  }
  dedup_.RestoreFrom(clients);
  dedup_.TakeChanges();  // already stored
  conf_ = state.metadata().conf_state();
  for (const auto& m : state.members()) RememberAddress(m.id(), m.address());
  applied_ = index;
  persisted_ = index;
  applied_term_ = state.metadata().term();
  last_snapshot_index_ = latest_snapshot_.has_value() ? latest_snapshot_->index() : 0;
  LOG(INFO) << "group " << options_.group << " state machine is durable up to " << index
            << "; replaying only what follows";
  return absl::OkStatus();
}

void Division::ApplyEntry(const raftpb::Entry& e) {
  if (e.index() <= applied_) return;
  Result r;
  r.index = e.index();
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) {
      r.status = absl::DataLossError("unreadable conf change");
    } else if (auto next = ApplyConfChange(conf_, cc); next.ok()) {
      conf_ = *next;
      raftpb::MemberAddress ma;
      if (!cc.context().empty() && ma.ParseFromString(cc.context()) && ma.id() != kNoNode) {
        RememberAddress(ma.id(), ma.address());
      }
    } else {
      r.status = next.status();
    }
  } else if (!e.data().empty()) {
    raftpb::ClientCommand cmd;
    if (!cmd.ParseFromString(e.data())) {
      r.status = absl::DataLossError(absl::StrCat("unreadable command at index ", e.index()));
    } else if (auto seen = dedup_.Lookup(cmd); seen.has_value()) {
      r.status = seen->status;
      r.payload = seen->payload;
    } else {
      const Clock::time_point start = metrics_ != nullptr ? Clock::now() : Clock::time_point();
      auto reply = sm_->Apply(e.index(), cmd.payload());
      if (metrics_ != nullptr) metrics_->EntryApplied(absl::FromChrono(Clock::now() - start));
      WriteReply wr{reply.status(), reply.ok() ? *reply : ""};
      dedup_.Record(cmd, wr);
      r.status = wr.status;
      r.payload = wr.payload;
    }
  }
  applied_ = e.index();
  applied_term_ = e.term();
  CompleteWrite(e.index(), e.term(), std::move(r));
}

void Division::CompleteWrite(uint64_t index, uint64_t term, Result r) {
  PendingWrite w;
  {
    std::lock_guard lock(writes_mu_);
    auto taken = TakePendingWrite(index);
    if (!taken.has_value()) return;
    w = std::move(*taken);
  }
  if (w.term != term) {
    r = Unavailable("the entry was replaced by another leader's; retry", true);
  }
  w.done(std::move(r));
}

void Division::ServeReads(bool expire) {
  absl::Time now = absl::Now();
  for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
    if (applied_ >= it->index) {
      auto reply = sm_->Query(it->request.query());
      it->done(Result{reply.status(), reply.ok() ? *reply : "", applied_.load(), false, 0});
    } else if (expire && now > it->deadline) {
      it->done(Result{absl::DeadlineExceededError(absl::StrCat(
                          "this member has applied ", applied_.load(), ", not yet ", it->index)),
                      "", 0, false, leader_.load()});
    } else {
      ++it;
      continue;
    }
    it = waiting_reads_.erase(it);
  }
}

void Division::MaybeStartSnapshot() {
  if (snapshot_running_) return;
  std::vector<Done> waiters = std::move(snapshot_waiters_);
  snapshot_waiters_.clear();
  if (!waiters.empty() && applied_ == last_snapshot_index_ && applied_ > 0) {
    for (auto& done : waiters) done(Result{absl::OkStatus(), "", applied_.load(), false, 0});
    return;
  }
  if (waiters.empty() && applied_ < last_snapshot_index_ + options_.snapshot_entries) return;
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  const Clock::time_point start = Clock::now();
  raftpb::SnapshotHeader header = AppliedStateHeader();
  dedup_.SaveTo(header.mutable_clients());
  StateMachine::SnapshotFn write = sm_->TakeSnapshot();
  last_snapshot_index_ = applied_;
  snapshot_running_ = true;
  snapshot_thread_ = std::thread([this, start, header = std::move(header), write = std::move(write),
                                  waiters = std::move(waiters)] {
    pthread_setname_np(pthread_self(), ("snap-" + options_.group).substr(0, 15).c_str());
    auto info = snapshots_->Write(header, write);
    if (metrics_ != nullptr) {
      if (info.ok()) {
        metrics_->SnapshotTaken(absl::FromChrono(Clock::now() - start));
      } else {
        metrics_->SnapshotFailed();
      }
    }
    if (info.ok()) {
      Post([this, info = *info] { FinishSnapshot(info); });
    } else {
      LOG(ERROR) << "group " << options_.group << ": snapshot failed: " << info.status();
    }
    for (auto& done : waiters) {
      done(Result{info.status(), "", header.metadata().index(), false, 0});
    }
    snapshot_running_ = false;
  });
}

}  // namespace warren::raft
