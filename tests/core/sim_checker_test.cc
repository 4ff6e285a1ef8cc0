// The simulator's checker must be able to fail: feed it histories that break each invariant.
#include "gtest/gtest.h"
#include "tests/sim/checker.h"
#include "tests/sim/sim_node.h"

namespace warren::sim {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term, std::string data) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

raft::EntryPtr P(uint64_t index, uint64_t term, std::string data) {
  return std::make_shared<const raftpb::Entry>(E(index, term, std::move(data)));
}

TEST(CheckerTest, LogMatchingCatchesDifferentDataAtTheSameIndexAndTerm) {
  Checker c;
  c.OnPersist(1, {P(2, 1, "a")}, 1);
  c.OnPersist(2, {P(2, 1, "a")}, 1);
  EXPECT_FALSE(c.violation());
  c.OnPersist(3, {P(2, 1, "b")}, 1);
  ASSERT_TRUE(c.violation());
  EXPECT_NE(c.violation()->find("log matching"), std::string::npos);
}

TEST(CheckerTest, LogMatchingCatchesADifferentPredecessor) {
  Checker c;
  c.OnPersist(1, {P(3, 2, "x")}, 1);
  c.OnPersist(2, {P(3, 2, "x")}, 2);
  EXPECT_TRUE(c.violation());
}

TEST(CheckerTest, ApplyingDifferentSequencesIsCaught) {
  Checker c;
  SimStateMachine a, b;
  a.Apply(E(1, 1, "x"));
  b.Apply(E(1, 1, "y"));
  c.OnApply(1, 0, E(1, 1, "x"), a.chain);
  EXPECT_FALSE(c.violation());
  c.OnApply(2, 0, E(1, 1, "y"), b.chain);
  ASSERT_TRUE(c.violation());
  EXPECT_NE(c.violation()->find("state machine safety"), std::string::npos);
}

TEST(CheckerTest, ApplyingOutOfOrderIsCaught) {
  Checker c;
  c.OnApply(1, 3, E(5, 1, "x"), 0);
  EXPECT_TRUE(c.violation());
}

TEST(CheckerTest, StaleReadIsCaught) {
  Checker c;
  c.OnReadRequest("r1", 10);
  c.OnReadState(1, raft::ReadState{10, "r1"});
  EXPECT_FALSE(c.violation());
  c.OnReadRequest("r2", 10);
  c.OnReadState(1, raft::ReadState{9, "r2"});
  ASSERT_TRUE(c.violation());
  EXPECT_NE(c.violation()->find("linearizable read"), std::string::npos);
}

TEST(CheckerTest, SnapshotStateMustMatchTheCommonSequence) {
  Checker c;
  c.OnApply(1, 0, E(1, 1, "x"), 42);
  c.OnRestore(2, 1, 42);
  EXPECT_FALSE(c.violation());
  c.OnRestore(3, 1, 43);
  EXPECT_TRUE(c.violation());
}

// Builds a core whose log holds `terms` (entry i+1 has terms[i]), committed up to `commit`.
std::unique_ptr<raft::Raft> Core(uint64_t id, uint64_t term, std::vector<uint64_t> terms,
                                 uint64_t commit) {
  raft::RestoredState s = raft::BootstrapState({1, 2, 3});
  for (size_t i = 1; i < terms.size(); ++i) s.entries.push_back(E(i + 1, terms[i], "d"));
  s.hard_state.set_term(term);
  s.hard_state.set_commit(commit);
  raft::Config cfg;
  cfg.id = id;
  return std::move(*raft::Raft::Create(cfg, s));
}

TEST(CheckerTest, NewLeaderLackingACommittedEntryIsCaught) {
  Checker c;
  auto follower = Core(1, 2, {1, 2, 2}, 3);
  c.OnCommit(1, *follower, 1, {});
  EXPECT_FALSE(c.violation());
  auto leader = Core(2, 3, {1, 2}, 1);  // lacks entry 3 of term 2
  c.OnLeader(*leader);
  ASSERT_TRUE(c.violation());
  EXPECT_NE(c.violation()->find("leader completeness"), std::string::npos);
}

TEST(CheckerTest, TwoLeadersInOneTermAreCaught) {
  Checker c;
  c.OnLeader(*Core(1, 4, {1}, 1));
  EXPECT_FALSE(c.violation());
  c.OnLeader(*Core(2, 4, {1}, 1));
  ASSERT_TRUE(c.violation());
  EXPECT_NE(c.violation()->find("election safety"), std::string::npos);
}

TEST(CheckerTest, CommitsBindOnlyLeadersOfLaterTermsThanTheCommitter) {
  // A stale leader of term 3 lacks entry 3 (term 2) that a node at term 4 commits late.
  auto stale = Core(3, 3, {1, 1, 3}, 1);
  auto committer = Core(1, 4, {1, 1, 2}, 3);
  Checker ok;
  ok.OnCommit(1, *committer, 1, {stale.get()});
  EXPECT_FALSE(ok.violation());
  // But a leader of a later term than the committer's must hold it.
  auto later = Core(2, 5, {1, 1, 3}, 1);
  Checker bad;
  bad.OnCommit(1, *committer, 1, {later.get()});
  EXPECT_TRUE(bad.violation());
}

TEST(CheckerTest, ALeaderOfAnOlderTermElectedLateNeedNotHoldNewerCommits) {
  // Entry 3 is committed by a node in term 5; a leader of term 4 elected afterwards (its
  // votes were held up while it was paused) may lack it; a leader of term 6 may not.
  auto committer = Core(1, 5, {1, 2, 2}, 3);
  auto late = Core(2, 4, {1, 2}, 1);
  Checker ok;
  ok.OnCommit(1, *committer, 1, {});
  ok.OnLeader(*late);
  EXPECT_FALSE(ok.violation());
  auto newer = Core(3, 6, {1, 2}, 1);
  ok.OnLeader(*newer);
  EXPECT_TRUE(ok.violation());
}

TEST(StateMachineTest, SnapshotRoundTrips) {
  SimStateMachine sm;
  sm.Apply(E(1, 1, ProposalData(7)));
  sm.Apply(E(2, 1, ProposalData(9)));
  SimStateMachine back = SimStateMachine::Parse(sm.Serialize());
  EXPECT_EQ(back.applied, 2u);
  EXPECT_EQ(back.chain, sm.chain);
  EXPECT_EQ(back.proposals, sm.proposals);
}

}  // namespace
}  // namespace warren::sim
