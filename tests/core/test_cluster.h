#pragma once

// A small, deterministic in-memory cluster for unit tests of the core: every Ready is
// persisted and applied at once, messages are delivered in send order, and a test can cut
// any link. Snapshots carry "snap@<index>" as their data.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raft/core/raft.h"

namespace warren::raft::testing {

class TestCluster {
 public:
  using Tweak = std::function<void(Config&)>;

  explicit TestCluster(int voters, Tweak tweak = {}) : tweak_(std::move(tweak)) {
    std::vector<uint64_t> ids;
    for (int i = 1; i <= voters; ++i) ids.push_back(i);
    for (uint64_t id : ids) AddNode(id, BootstrapState(ids));
  }

  Config MakeConfig(uint64_t id) const {
    Config c;
    c.id = id;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.random_seed = id;
    c.clock = [this] { return clock_; };
    c.clock_units_per_tick = kClockPerTick;
    if (tweak_) tweak_(c);
    return c;
  }

  // Starts a node; a new member passes an empty RestoredState.
  void AddNode(uint64_t id, RestoredState state) {
    auto core = Raft::Create(MakeConfig(id), std::move(state));
    ASSERT_TRUE(core.ok()) << core.status();
    nodes_[id] = std::move(*core);
  }

  Raft& node(uint64_t id) { return *nodes_.at(id); }
  const std::vector<raftpb::Entry>& applied(uint64_t id) { return applied_[id]; }
  std::vector<ReadState>& read_states(uint64_t id) { return read_states_[id]; }
  std::vector<raftpb::Message>& sent() { return sent_; }
  int snapshots_restored(uint64_t id) { return snapshots_restored_[id]; }

  void Cut(uint64_t a, uint64_t b) { cut_.insert({a, b}), cut_.insert({b, a}); }
  void CutOneWay(uint64_t from, uint64_t to) { cut_.insert({from, to}); }
  void Isolate(uint64_t id) {
    for (auto& [other, n] : nodes_)
      if (other != id) Cut(id, other);
  }
  void Heal() { cut_.clear(); }

  // Ticking moves the clock on by a tick; so does Pass, without ticking anyone.
  void Tick(uint64_t id, int n = 1) {
    for (int i = 0; i < n; ++i) {
      clock_ += kClockPerTick;
      node(id).Tick();
    }
  }
  void TickAll(int n = 1) {
    for (int i = 0; i < n; ++i) {
      clock_ += kClockPerTick;
      for (auto& [id, r] : nodes_) r->Tick();
    }
  }
  void Pass(uint64_t clock_units) { clock_ += clock_units; }
  static constexpr uint64_t kClockPerTick = 100;

  // Processes Readies and delivers messages until nothing moves (bounded).
  void Stabilize() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (auto& [id, r] : nodes_) {
        if (!r->HasReady()) continue;
        moved = true;
        Ready rd = r->GetReady();
        if (rd.snapshot.has_value()) {
          ++snapshots_restored_[id];
          EXPECT_EQ(rd.snapshot->data(), absl::StrCat("snap@", rd.snapshot->metadata().index()));
        }
        for (const EntryPtr& e : rd.committed_entries) applied_[id].push_back(*e);
        for (auto& rs : rd.read_states) read_states_[id].push_back(rs);
        for (auto& m : rd.messages) {
          if (m.type() == raftpb::MSG_SNAP) {
            m.mutable_snapshot()->set_data(absl::StrCat("snap@", m.snapshot().metadata().index()));
          }
          sent_.push_back(m);
          inbox_.push_back(m);
        }
        r->Advance(rd);
      }
      std::vector<raftpb::Message> inbox = std::move(inbox_);
      inbox_.clear();
      for (auto& m : inbox) {
        moved = true;
        if (cut_.count({m.from(), m.to()}) || !nodes_.count(m.to())) {
          if (m.type() == raftpb::MSG_SNAP) node(m.from()).ReportSnapshot(m.to(), false);
          continue;
        }
        const absl::Status stepped = node(m.to()).Step(m);
        EXPECT_TRUE(stepped.ok()) << stepped;
        if (m.type() == raftpb::MSG_SNAP) node(m.from()).ReportSnapshot(m.to(), true);
      }
      if (!moved) return;
    }
    ADD_FAILURE() << "cluster did not stabilize";
  }

  // Makes `id` campaign the natural way: its election timeout elapses.
  void Campaign(uint64_t id) {
    Tick(id, 20);  // 2 * election_tick: past any randomized timeout
    Stabilize();
  }

  // Elects `id` at once, as a leader transfer would (voters set their lease aside).
  void Elect(uint64_t id) {
    raftpb::Message m;
    m.set_type(raftpb::MSG_TIMEOUT_NOW);
    m.set_to(id);
    m.set_from(id == 1 ? 2 : 1);
    m.set_term(node(id).term());
    ASSERT_TRUE(node(id).Step(m).ok());
    Stabilize();
  }

  uint64_t Leader() {
    uint64_t leader = 0;
    for (auto& [id, r] : nodes_)
      if (r->role() == Role::kLeader) leader = id;
    return leader;
  }

  EntryId Propose(uint64_t id, std::string data) {
    auto r = node(id).Propose(std::move(data));
    EXPECT_TRUE(r.ok()) << r.status();
    Stabilize();
    return r.ok() ? *r : EntryId{};
  }

  // Data of the normal, non-empty entries `id` applied.
  std::vector<std::string> AppliedData(uint64_t id) {
    std::vector<std::string> out;
    for (const auto& e : applied_[id])
      if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) out.push_back(e.data());
    return out;
  }

  // Snapshot at `id`'s applied index and compact its log.
  void Compact(uint64_t id) {
    uint64_t applied = node(id).log().applied();
    ASSERT_TRUE(node(id).Compact(applied).ok());
  }

 private:
  Tweak tweak_;
  uint64_t clock_ = 1000;
  std::map<uint64_t, std::unique_ptr<Raft>> nodes_;
  std::map<uint64_t, std::vector<raftpb::Entry>> applied_;
  std::map<uint64_t, std::vector<ReadState>> read_states_;
  std::map<uint64_t, int> snapshots_restored_;
  std::vector<raftpb::Message> inbox_;
  std::vector<raftpb::Message> sent_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
};

// Makes a lone core leader by ticking it into a campaign and granting it every vote from
// `peers`, without delivering anything it sends.
inline void WinElection(Raft& n, const std::vector<uint64_t>& peers) {
  for (int i = 0; i < 25 && n.role() != Role::kLeader; ++i) {
    if (n.role() == Role::kFollower) n.Tick();
    for (uint64_t from : peers) {
      if (n.role() == Role::kFollower || n.role() == Role::kLeader) break;
      bool pre = n.role() == Role::kPreCandidate;
      raftpb::Message v;
      v.set_from(from);
      v.set_to(n.id());
      v.set_term(pre ? n.term() + 1 : n.term());
      v.set_type(pre ? raftpb::MSG_PRE_VOTE_RESP : raftpb::MSG_VOTE_RESP);
      ASSERT_TRUE(n.Step(v).ok());
    }
  }
  ASSERT_EQ(n.role(), Role::kLeader);
  Ready rd = n.GetReady();
  n.Advance(rd);
}

inline raftpb::Message Ack(uint64_t from, const Raft& leader, raftpb::MessageType type,
                           uint64_t index = 0) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(leader.id());
  m.set_term(leader.term());
  m.set_index(index);
  return m;
}

inline raftpb::ConfChange Change(std::vector<std::pair<raftpb::ConfChangeType, uint64_t>> cs,
                                 raftpb::ConfChangeTransition t = raftpb::TRANSITION_AUTO) {
  raftpb::ConfChange cc;
  for (auto [type, id] : cs) {
    auto* c = cc.add_changes();
    c->set_type(type);
    c->set_node_id(id);
  }
  cc.set_transition(t);
  return cc;
}

}  // namespace warren::raft::testing
