#include "tests/sim/simulator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "raft/core/confchange.h"

namespace warren::sim {

Simulator::Simulator(const SimOptions& options)
    : opt_(options), rng_(options.seed * 0x2545f4914f6cdd1dULL + 17), net_(&rng_) {
  // Each seed also draws its own network and tuning, so many seeds cover many shapes.
  NetworkFaults f;
  if (opt_.faults) {
    f.drop_percent = static_cast<int>(rng_.Uniform(11));
    f.duplicate_percent = static_cast<int>(rng_.Uniform(6));
    f.min_delay = 1;
    f.max_delay = 2 + rng_.Uniform(14);
    f.long_delay_percent = 2;
    f.long_delay_max = 100;
  }
  net_.set_faults(f);
  read_only_ = rng_.Percent(50) ? raft::ReadOnlyOption::kSafe : raft::ReadOnlyOption::kLeaseBased;
  pre_vote_ = !opt_.faults || rng_.Percent(80);
  early_start_ = rng_.Percent(50);
  max_size_per_msg_ = 64 << rng_.Uniform(7);
  max_inflight_ = 1 + static_cast<int>(rng_.Uniform(16));
  compact_every_ = 10 + rng_.Uniform(60);
  max_uncommitted_bytes_ = 1024 << rng_.Uniform(7);

  std::vector<uint64_t> voters;
  for (int i = 1; i <= opt_.nodes; ++i) voters.push_back(i);
  for (uint64_t id : voters) {
    raft::RestoredState boot = raft::BootstrapState(voters);
    DurableState disk;
    disk.hard_state = boot.hard_state;
    disk.entries = boot.entries;
    StartNode(id, std::move(disk));
  }
  for (int i = 1; i <= 3; ++i) spares_.push_back(opt_.nodes + i);
}

raft::Config Simulator::NodeConfig(uint64_t id) const {
  raft::Config c;
  c.id = id;
  c.election_tick = 10;
  c.heartbeat_tick = 2;
  c.pre_vote = pre_vote_;
  c.campaign_early_at_start = early_start_;
  c.check_quorum = true;
  c.read_only = read_only_;
  c.clock = [this] { return now_; };
  c.clock_units_per_tick = kUnitsPerTick;
  c.max_size_per_msg = max_size_per_msg_;
  c.max_inflight_msgs = max_inflight_;
  c.max_uncommitted_bytes = max_uncommitted_bytes_;
  c.random_seed = opt_.seed * 1000003 + id * 7919 + now_;
  return c;
}

void Simulator::StartNode(uint64_t id, DurableState disk) {
  auto node = std::make_unique<SimNode>(id, NodeConfig(id), std::move(disk));
  if (auto s = node->Start(); !s.ok()) {
    checker_.Fail(absl::StrCat("node ", id, " failed to start: ", s.ToString()));
    return;
  }
  nodes_[id] = std::move(node);
}

void Simulator::Trace(const std::string& line) {
  if (opt_.trace != nullptr) {
    *opt_.trace << "[tick " << now_ / kUnitsPerTick << "] " << line << "\n";
  }
}

std::vector<SimNode*> Simulator::UpNodes(bool with_paused) {
  std::vector<SimNode*> up;
  for (auto& [id, n] : nodes_) {
    if (n->up() && (with_paused || !paused_until_.count(id))) up.push_back(n.get());
  }
  return up;
}

SimNode* Simulator::AnyLeader() {
  // The leader of the highest term among those that believe they lead.
  SimNode* best = nullptr;
  for (SimNode* n : UpNodes()) {
    if (n->core().role() == raft::Role::kLeader &&
        (best == nullptr || n->core().term() > best->core().term())) {
      best = n;
    }
  }
  return best;
}

std::vector<const raft::Raft*> Simulator::Leaders() {
  std::vector<const raft::Raft*> out;
  for (SimNode* n : UpNodes(/*with_paused=*/true)) {
    if (n->core().role() == raft::Role::kLeader) out.push_back(&n->core());
  }
  return out;
}

// ---------------------------------------------------------------------------------------

SimResult Simulator::Run() {
  for (uint64_t i = 0; i < opt_.steps && !checker_.violation(); ++i) Step(opt_.faults);

  // Heal: the network calms down, every crashed member comes back; the cluster must settle.
  net_.HealAll();
  net_.set_faults(NetworkFaults{});
  for (auto& [id, n] : nodes_) {
    if (!n->up()) {
      n->set_seed(opt_.seed * 31 + id + now_);
      if (auto s = n->Start(); !s.ok()) checker_.Fail(absl::StrCat("restart: ", s.ToString()));
    }
  }
  Trace("faults healed");
  const uint64_t liveness_ticks = 60 * 10;
  std::string why = "no tick ran";
  bool settled = false;
  for (uint64_t t = 0; t < liveness_ticks * kUnitsPerTick && !checker_.violation(); ++t) {
    Step(false);
    if (now_ % kUnitsPerTick == 0 && Settled(&why)) {
      settled = true;
      break;
    }
  }
  if (!settled) {
    SimNode* l = AnyLeader();
    checker_.Fail(absl::StrCat("liveness: not settled ", liveness_ticks, " ticks after healing: ",
                               why, l ? "\n  leader: " + l->core().DebugString() : ""));
  }
  if (!checker_.violation()) CheckDurability();

  SimResult r;
  r.stats = stats_;
  r.stats.ticks = now_ / kUnitsPerTick;
  r.stats.committed = checker_.max_committed();
  r.stats.proposals_acked = acked_.size();
  r.stats.reads = checker_.reads_served();
  if (checker_.violation()) {
    for (auto& [id, n] : nodes_) {
      Trace(n->up() ? n->core().DebugString() : absl::StrCat("id=", id, " down"));
    }
    r.ok = false;
    r.violation = *checker_.violation();
  }
  return r;
}

void Simulator::Step(bool faulty) {
  ++now_;
  ResumePaused(/*all=*/!faulty);
  if (now_ % kUnitsPerTick == 0) {
    for (SimNode* n : UpNodes()) n->core().Tick();
    ClientRetry(!faulty);
  }
  Deliver();
  if (faulty) InjectFaults();
  // After healing the client only retries: liveness is about what was pending.
  if (faulty && rng_.Percent(20)) ClientPropose();
  if (rng_.Percent(faulty ? 5 : 2)) ClientRead();
  for (SimNode* n : UpNodes()) {
    if (checker_.violation()) return;
    // Nodes persist at their own pace: whatever a crash finds unpersisted is lost.
    if (!n->core().HasReady() || (faulty && !rng_.Percent(70))) continue;
    if (faulty && rng_.Uniform(10000) < 15) {
      CrashMidPersist(*n);
    } else {
      ProcessReady(*n);
    }
  }
}

void Simulator::CrashMidPersist(SimNode& node) {
  raft::Ready rd = node.core().GetReady();
  // The parts of one persist in the order the runtime writes them, or with the hard state
  // first; the disk keeps a prefix. Dropping the log a received snapshot replaces goes with
  // the first entry after it.
  enum Part { kSnapshot, kEntry, kCommit, kTermVote };
  std::vector<Part> parts;
  const bool hard_state_first = rng_.Percent(50);
  if (hard_state_first && rd.hard_state.has_value())
    parts.insert(parts.end(), {kTermVote, kCommit});
  if (rd.snapshot.has_value()) parts.push_back(kSnapshot);
  size_t entry_parts = std::max<size_t>(rd.entries.size(), rd.snapshot.has_value() ? 1 : 0);
  parts.insert(parts.end(), entry_parts, kEntry);
  if (!hard_state_first && rd.hard_state.has_value())
    parts.insert(parts.end(), {kCommit, kTermVote});
  const size_t kept = rng_.Uniform(parts.size() + 1);
  PersistCut cut{false, 0, false, false};
  for (size_t i = 0; i < kept; ++i) {
    switch (parts[i]) {
      case kSnapshot:
        cut.snapshot = true;
        break;
      case kEntry:
        ++cut.entries;
        break;
      case kCommit:
        cut.commit = true;
        break;
      case kTermVote:
        cut.term_vote = true;
        break;
    }
  }
  if (!rd.entries.empty()) {
    auto prev_term = node.core().log().Term(rd.entries.front()->index() - 1);
    checker_.OnPersist(node.id(), rd.entries, prev_term.value_or(0));
  }
  node.Persist(rd, cut);
  node.Crash();
  ++stats_.crashes;
  Trace(absl::StrCat("node ", node.id(), " crashed while persisting: kept ", kept, " of ",
                     parts.size(), " parts", hard_state_first ? " (hard state first)" : ""));
}

void Simulator::Deliver() {
  auto d = net_.DeliverDue(now_);
  // A resumed node reads what waited for it first.
  std::vector<raftpb::Message> arrived;
  for (auto it = backlog_.begin(); it != backlog_.end();) {
    if (paused_until_.count(it->first)) {
      ++it;
      continue;
    }
    for (auto& m : it->second) arrived.push_back(std::move(m));
    it = backlog_.erase(it);
  }
  for (auto& m : d.delivered) {
    if (paused_until_.count(m.to())) {
      backlog_[m.to()].push_back(std::move(m));
    } else {
      arrived.push_back(std::move(m));
    }
  }
  for (auto& m : arrived) {
    auto it = nodes_.find(m.to());
    bool delivered = it != nodes_.end() && it->second->up();
    if (delivered) {
      if (auto s = it->second->core().Step(m); !s.ok()) {
        checker_.Fail(
            absl::StrCat("node ", m.to(), " refused a message of the protocol: ", s.ToString()));
        return;
      }
    }
    if (m.type() == raftpb::MSG_SNAP) ReportSnapshot(m.from(), m.to(), delivered);
  }
  for (auto& m : d.lost) {
    if (m.type() == raftpb::MSG_SNAP) ReportSnapshot(m.from(), m.to(), false);
  }
}

// The transport knows whether a snapshot stream finished; so does the simulated one.
void Simulator::ReportSnapshot(uint64_t from, uint64_t to, bool ok) {
  auto it = nodes_.find(from);
  if (it != nodes_.end() && it->second->up()) it->second->core().ReportSnapshot(to, ok);
}

void Simulator::SendAll(SimNode& node, std::vector<raftpb::Message> msgs) {
  for (auto& m : msgs) {
    if (m.type() == raftpb::MSG_SNAP) {
      // The runtime attaches the snapshot the core refers to.
      const auto& disk_snap = node.disk().snapshot;
      if (disk_snap.metadata().index() != m.snapshot().metadata().index()) {
        checker_.Fail(absl::StrCat("node ", node.id(), " asked to send snapshot ",
                                   m.snapshot().metadata().index(), " but holds ",
                                   disk_snap.metadata().index()));
        return;
      }
      m.mutable_snapshot()->set_data(disk_snap.data());
      ++stats_.snapshots_sent;
    }
    uint64_t from = m.from(), to = m.to();
    bool is_snap = m.type() == raftpb::MSG_SNAP;
    if (!net_.Send(std::move(m), now_) && is_snap) ReportSnapshot(from, to, false);
  }
}

void Simulator::ProcessReady(SimNode& node) {
  raft::Raft& core = node.core();
  raft::Ready rd = core.GetReady();
  const uint64_t id = node.id();
  uint64_t old_commit = node.disk().hard_state.commit();

  // 1. Persist.
  if (!rd.entries.empty()) {
    auto prev_term = core.log().Term(rd.entries.front()->index() - 1);
    checker_.OnPersist(id, rd.entries, prev_term.value_or(0));
  }
  node.Persist(rd);
  if (rd.hard_state.has_value() && rd.hard_state->commit() > old_commit) {
    checker_.OnCommit(id, core, old_commit, Leaders());
  }
  if (rd.soft_state.has_value() && rd.soft_state->role == raft::Role::kLeader) {
    ++stats_.elections;
    checker_.OnLeader(core);
    Trace(absl::StrCat("node ", id, " is leader of term ", core.term()));
  }
  // 2. Send.
  SendAll(node, std::move(rd.messages));
  // 3. Apply.
  if (rd.snapshot.has_value()) {
    node.sm() = SimStateMachine::Parse(rd.snapshot->data());
    if (node.sm().applied != rd.snapshot->metadata().index()) {
      checker_.Fail(absl::StrCat("node ", id, " got snapshot data for index ", node.sm().applied,
                                 " labelled ", rd.snapshot->metadata().index()));
    }
    checker_.OnRestore(id, node.sm().applied, node.sm().chain);
    Trace(absl::StrCat("node ", id, " restored a snapshot at index ", node.sm().applied));
  }
  for (const raft::EntryPtr& entry : rd.committed_entries) {
    const raftpb::Entry& e = *entry;
    uint64_t prev = node.sm().applied;
    node.sm().Apply(e);
    checker_.OnApply(id, prev, e, node.sm().chain);
    // A retried proposal applied twice takes effect once, but its proposer still answers.
    uint64_t pid = ProposalIdOf(e);
    if (pid == 0) continue;
    auto it = landed_.find({e.index(), e.term()});
    if (it != landed_.end() && it->second == std::make_pair(id, pid) && !acked_.count(pid)) {
      // The node the client proposed to has applied it: the client is told "committed".
      acked_[pid] = e.index();
      pending_.erase(pid);
      if (opt_.trace && acked_.size() <= 20) {
        Trace(absl::StrCat("node ", id, " committed proposal ", pid, " at index ", e.index()));
      }
    }
  }
  // 4. Reads.
  for (const auto& rs : rd.read_states) checker_.OnReadState(id, rs);
  core.Advance(rd);

  // Snapshots now and then, so that followers must sometimes be caught up by one.
  if (node.sm().applied >= node.disk().snapshot.metadata().index() + compact_every_ &&
      rng_.Percent(30)) {
    if (auto s = node.SnapshotAndCompact(); !s.ok()) {
      checker_.Fail(absl::StrCat("node ", id, " could not compact: ", s.ToString()));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Faults

void Simulator::InjectFaults() {
  uint64_t r = rng_.Uniform(10000);
  if (r < 20) {
    Crash();
  } else if (r < 120) {
    Restart();
  } else if (r < 150) {
    Partition();
  } else if (r < 250 && net_.Partitioned()) {
    net_.HealAll();
    Trace("partition healed");
  } else if (r < 280) {
    ChangeMembership();
  } else if (r < 300) {
    TransferLeadership();
  } else if (r < 310) {
    Pause();
  } else if (r < 330) {
    BreakLeaderStream();
  }
}

void Simulator::Crash() {
  auto up = UpNodes(/*with_paused=*/true);
  if (up.empty()) return;
  SimNode* n = up[rng_.Uniform(up.size())];
  n->Crash();
  paused_until_.erase(n->id());
  // What waited in the dead process's socket is lost; a snapshot's sender hears of it.
  for (const auto& m : backlog_[n->id()]) {
    if (m.type() == raftpb::MSG_SNAP) ReportSnapshot(m.from(), m.to(), false);
  }
  backlog_.erase(n->id());
  ++stats_.crashes;
  Trace(absl::StrCat("node ", n->id(), " crashed"));
  // Its streams end: the members it could reach see them close, as a runtime would.
  for (SimNode* p : UpNodes(/*with_paused=*/true)) {
    if (!net_.Blocked(n->id(), p->id())) p->core().ReportLeaderGone(n->id());
  }
}

void Simulator::BreakLeaderStream() {
  // A stream from a leader that lives on ends (a connection reset): its follower is told the
  // leader is gone when it is not.
  auto up = UpNodes();
  if (up.empty()) return;
  SimNode* n = up[rng_.Uniform(up.size())];
  const uint64_t leader = n->core().leader();
  if (leader == raft::kNoNode || leader == n->id()) return;
  n->core().ReportLeaderGone(leader);
  Trace(absl::StrCat("node ", n->id(), " lost the stream of leader ", leader));
}

void Simulator::Pause() {
  // A process that stops (SIGSTOP, a long GC or disk stall): no ticks, no work, messages
  // wait in its socket; then it carries on as if no time had passed, except by the clock.
  auto running = UpNodes();
  if (running.empty()) return;
  SimNode* n = running[rng_.Uniform(running.size())];
  if (SimNode* l = AnyLeader(); l != nullptr && rng_.Percent(50)) n = l;
  uint64_t ticks = 15 + rng_.Uniform(40);
  paused_until_[n->id()] = now_ + ticks * kUnitsPerTick;
  ++stats_.pauses;
  Trace(absl::StrCat("node ", n->id(), " paused for ", ticks, " ticks"));
}

void Simulator::ResumePaused(bool all) {
  for (auto it = paused_until_.begin(); it != paused_until_.end();) {
    if (!all && it->second > now_) {
      ++it;
      continue;
    }
    Trace(absl::StrCat("node ", it->first, " resumed"));
    it = paused_until_.erase(it);
  }
}

void Simulator::Restart() {
  std::vector<SimNode*> down;
  for (auto& [id, n] : nodes_) {
    if (!n->up()) down.push_back(n.get());
  }
  if (down.empty()) return;
  SimNode* n = down[rng_.Uniform(down.size())];
  n->set_seed(opt_.seed * 31 + n->id() + now_);
  if (auto s = n->Start(); !s.ok()) {
    checker_.Fail(absl::StrCat("node ", n->id(), " failed to restart: ", s.ToString()));
    return;
  }
  Trace(absl::StrCat("node ", n->id(), " restarted"));
}

void Simulator::Partition() {
  net_.HealAll();
  std::vector<uint64_t> ids;
  for (auto& [id, n] : nodes_) ids.push_back(id);
  // Shuffle (Fisher-Yates with our generator).
  for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[rng_.Uniform(i)]);
  size_t cut = 1 + rng_.Uniform(ids.size() - 1);
  std::vector<uint64_t> a(ids.begin(), ids.begin() + cut), b(ids.begin() + cut, ids.end());
  std::string kind;
  switch (rng_.Uniform(4)) {
    case 0:  // symmetric
      for (uint64_t x : a)
        for (uint64_t y : b) net_.Block(x, y), net_.Block(y, x);
      kind = "symmetric";
      break;
    case 1:  // one-way: a cannot reach b, b still reaches a
      for (uint64_t x : a)
        for (uint64_t y : b) net_.Block(x, y);
      kind = "one-way";
      break;
    case 2: {  // bridge: the first node of b talks to both sides, the rest are split
      uint64_t bridge = b.front();
      for (uint64_t x : a)
        for (uint64_t y : b)
          if (y != bridge) net_.Block(x, y), net_.Block(y, x);
      kind = absl::StrCat("bridge via ", bridge);
      break;
    }
    default: {  // isolate the leader
      SimNode* l = AnyLeader();
      if (l == nullptr) return;
      a = {l->id()};
      b.clear();
      for (uint64_t id : ids)
        if (id != l->id()) b.push_back(id), net_.Block(id, l->id()), net_.Block(l->id(), id);
      kind = "leader isolated";
    }
  }
  ++stats_.partitions;
  Trace(absl::StrCat("partition (", kind, "): {", absl::StrJoin(a, ","), "} | {",
                     absl::StrJoin(b, ","), "}"));
}

void Simulator::ChangeMembership() {
  SimNode* l = AnyLeader();
  if (l == nullptr) return;
  const auto& cs = l->core().tracker().conf_state();
  raftpb::ConfChange cc;
  auto add = [&cc](raftpb::ConfChangeType t, uint64_t id) {
    auto* c = cc.add_changes();
    c->set_type(t);
    c->set_node_id(id);
  };
  if (!cs.voters_outgoing().empty()) {
    if (cs.auto_leave()) return;
    // Explicit joint: we leave it ourselves (an empty change).
  } else {
    switch (rng_.Uniform(5)) {
      case 0:  // add a brand-new node as a learner
        if (spares_.empty()) return;
        add(raftpb::ADD_LEARNER, spares_.front());
        break;
      case 1:  // promote a learner
        if (cs.learners().empty()) return;
        add(raftpb::ADD_VOTER, cs.learners(rng_.Uniform(cs.learners_size())));
        break;
      case 2:  // remove a voter, keeping at least three
        if (cs.voters_size() <= 3) return;
        add(raftpb::REMOVE_NODE, cs.voters(rng_.Uniform(cs.voters_size())));
        break;
      case 3:  // swap a voter for a learner at once: a joint change
        if (cs.learners().empty()) return;
        add(raftpb::ADD_VOTER, cs.learners(rng_.Uniform(cs.learners_size())));
        add(raftpb::ADD_LEARNER, cs.voters(rng_.Uniform(cs.voters_size())));
        cc.set_transition(rng_.Percent(50) ? raftpb::TRANSITION_AUTO
                                           : raftpb::TRANSITION_JOINT_EXPLICIT);
        break;
      default:  // remove a learner
        if (cs.learners().empty()) return;
        add(raftpb::REMOVE_NODE, cs.learners(rng_.Uniform(cs.learners_size())));
    }
  }
  auto r = l->core().ProposeConfChange(cc);
  if (!r.ok()) return;
  ++stats_.conf_changes;
  if (!cc.changes().empty() && cc.changes(0).type() == raftpb::ADD_LEARNER && !spares_.empty() &&
      cc.changes(0).node_id() == spares_.front()) {
    // The new node starts empty and learns everything from the leader.
    uint64_t id = spares_.front();
    spares_.erase(spares_.begin());
    StartNode(id, DurableState{});
  }
  std::string what;
  for (const auto& c : cc.changes()) {
    absl::StrAppend(&what, what.empty() ? "" : ", ", raftpb::ConfChangeType_Name(c.type()), " ",
                    c.node_id());
  }
  Trace(absl::StrCat("node ", l->id(), " proposes conf change [",
                     what.empty() ? "leave joint" : what, "] at index ", r->index));
}

void Simulator::TransferLeadership() {
  SimNode* l = AnyLeader();
  if (l == nullptr) return;
  const auto& voters = l->core().tracker().conf_state().voters();
  if (voters.empty()) return;
  uint64_t to = voters[rng_.Uniform(voters.size())];
  if (to == l->id() || !l->core().TransferLeader(to).ok()) return;
  ++stats_.transfers;
  Trace(absl::StrCat("node ", l->id(), " transfers leadership to ", to));
}

// ---------------------------------------------------------------------------------------
// The client

void Simulator::ClientPropose() {
  SimNode* l = AnyLeader();
  if (l == nullptr) return;
  uint64_t pid = next_proposal_++;
  pending_[pid] = Pending{now_ / kUnitsPerTick};
  ProposeAt(*l, pid);
}

void Simulator::ProposeAt(SimNode& leader, uint64_t pid) {
  // A retry of a proposal this leader holds from its current term joins it rather than
  // being appended again, as the runtime's retries do.
  const raft::RaftLog& log = leader.core().log();
  if (auto it = last_landing_.find(pid); it != last_landing_.end()) {
    auto [node, at] = it->second;
    if (node == leader.id() && at.term == leader.core().term() &&
        (at.index <= log.snapshot().index() || log.Term(at.index) == at.term)) {
      return;
    }
  }
  auto r = leader.core().Propose(ProposalData(pid));
  if (!r.ok()) return;
  landed_[{r->index, r->term}] = {leader.id(), pid};
  last_landing_[pid] = {leader.id(), *r};
}

void Simulator::ClientRetry(bool all) {
  SimNode* l = AnyLeader();
  if (l == nullptr) return;
  uint64_t tick = now_ / kUnitsPerTick;
  int budget = all ? 50 : 5;
  for (auto& [pid, p] : pending_) {
    if (budget == 0) break;
    if (tick < p.last_try_tick + 30) continue;
    p.last_try_tick = tick;
    --budget;
    ProposeAt(*l, pid);
  }
}

void Simulator::ClientRead() {
  auto up = UpNodes();
  if (up.empty()) return;
  SimNode* n = up[rng_.Uniform(up.size())];
  std::string ctx = absl::StrCat("r", next_read_++);
  // Everything committed anywhere right now must be visible to this read.
  uint64_t floor = checker_.max_committed();
  for (SimNode* x : up) floor = std::max(floor, x->core().log().committed());
  if (n->core().ReadIndex(ctx).ok()) checker_.OnReadRequest(ctx, floor);
}

// ---------------------------------------------------------------------------------------
// End of run

bool Simulator::Settled(std::string* why) {
  SimNode* l = AnyLeader();
  if (l == nullptr) {
    *why = "no leader";
    return false;
  }
  const raft::Raft& core = l->core();
  if (core.tracker().config().IsJoint()) {
    *why = absl::StrCat("leader ", l->id(), " is still in a joint configuration");
    if (!core.tracker().conf_state().auto_leave()) ChangeMembership();
    return false;
  }
  if (!pending_.empty()) {
    *why = absl::StrCat(pending_.size(), " proposals not yet acknowledged, first ",
                        pending_.begin()->first);
    return false;
  }
  uint64_t commit = core.log().committed();
  if (core.log().LastIndex() != commit || core.log().Term(commit) != core.term()) {
    *why = absl::StrCat("leader ", l->id(), " has uncommitted entries");
    return false;
  }
  for (const auto& [id, pr] : core.tracker().progress()) {
    SimNode* n = nodes_.count(id) ? nodes_[id].get() : nullptr;
    if (n == nullptr || !n->up() || n->sm().applied != commit) {
      *why = absl::StrCat("member ", id, " has applied ", n && n->up() ? n->sm().applied : 0,
                          " of ", commit);
      return false;
    }
  }
  return true;
}

void Simulator::CheckDurability() {
  SimNode* l = AnyLeader();
  for (const auto& [id, pr] : l->core().tracker().progress()) {
    const auto& sm = nodes_[id]->sm();
    for (const auto& [pid, index] : acked_) {
      if (!sm.proposals.count(pid)) {
        checker_.Fail(absl::StrCat("durability: acknowledged proposal ", pid, " (index ", index,
                                   ") is missing on member ", id));
        return;
      }
    }
  }
}

}  // namespace warren::sim
