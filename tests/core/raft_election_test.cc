// Leader election: randomized timeouts, pre-vote, check-quorum, the no-op (Raft §5.2, §9.6).
#include "gtest/gtest.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::TestCluster;

TEST(ElectionTest, SingleNodeElectsItselfAndCommitsNoop) {
  TestCluster c(1);
  c.Campaign(1);
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), 2u);
  // Entry 1 is the bootstrap membership, entry 2 the leader's no-op.
  EXPECT_EQ(c.node(1).log().committed(), 2u);
  EXPECT_EQ(c.node(1).log().At(2).data(), "");
}

TEST(ElectionTest, ThreeNodesElectExactlyOneLeaderByTimeouts) {
  TestCluster c(3);
  for (int i = 0; i < 40 && c.Leader() == 0; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  uint64_t leader = c.Leader();
  ASSERT_NE(leader, 0u);
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(c.node(id).leader(), leader);
    EXPECT_EQ(c.node(id).term(), c.node(leader).term());
    if (id != leader) {
      EXPECT_EQ(c.node(id).role(), Role::kFollower);
    }
  }
  // The no-op of the new term is committed everywhere.
  EXPECT_EQ(c.node(leader).log().committed(), 2u);
}

TEST(ElectionTest, RandomizedTimeoutsDependOnTheSeed) {
  // Two peers with different seeds do not time out in lockstep.
  std::set<int> first_campaign_tick;
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    TestCluster c(1, [seed](Config& cfg) { cfg.random_seed = seed; });
    for (int t = 1; t <= 20; ++t) {
      c.Tick(1);
      if (c.node(1).role() != Role::kFollower) {
        first_campaign_tick.insert(t);
        break;
      }
    }
  }
  EXPECT_GT(first_campaign_tick.size(), 1u);
  for (int t : first_campaign_tick) {
    EXPECT_GE(t, 10);
    EXPECT_LT(t, 20);
  }
}

TEST(ElectionTest, PreVoteKeepsTermWhenItCannotWin) {
  TestCluster c(3);
  c.Elect(1);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  // Node 3 times out again and again but never wins a pre-vote: its term stays put.
  for (int i = 0; i < 5; ++i) c.Campaign(3);
  EXPECT_EQ(c.node(3).term(), term);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
  // When it returns it does not disrupt the leader.
  c.Heal();
  c.TickAll();
  c.Stabilize();
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
  EXPECT_EQ(c.node(3).leader(), 1u);
}

TEST(ElectionTest, WithoutPreVoteAPartitionedNodeBumpsItsTerm) {
  TestCluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
  c.Elect(1);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  c.Campaign(3);
  EXPECT_GT(c.node(3).term(), term);
}

TEST(ElectionTest, AnEmptyMemberRejectsAPreVoteWithoutRaisingTheCandidatesTerm) {
  // A member started empty to join has term 0. Its refusal must not carry the pre-vote's
  // future term: the candidate would adopt it, which is the disruption pre-vote prevents.
  TestCluster c(3);
  c.AddNode(4, RestoredState{});
  c.Tick(4, 20);  // past an election timeout: no leader lease holds its vote back
  c.Tick(1, 20);  // 1 starts a pre-vote for term 2 while staying in term 1
  ASSERT_EQ(c.node(1).role(), Role::kPreCandidate);
  const uint64_t term = c.node(1).term();
  raftpb::Message pre_vote;
  pre_vote.set_type(raftpb::MSG_PRE_VOTE);
  pre_vote.set_from(1);
  pre_vote.set_to(4);
  pre_vote.set_term(term + 1);
  pre_vote.set_index(c.node(1).log().LastIndex());
  pre_vote.set_log_term(c.node(1).log().LastTerm());
  ASSERT_TRUE(c.node(4).Step(pre_vote).ok());
  Ready rd = c.node(4).GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  const raftpb::Message& refusal = rd.messages[0];
  EXPECT_EQ(refusal.type(), raftpb::MSG_PRE_VOTE_RESP);
  EXPECT_TRUE(refusal.reject());
  EXPECT_LE(refusal.term(), term);
  ASSERT_TRUE(c.node(1).Step(refusal).ok());
  EXPECT_EQ(c.node(1).term(), term);
}

TEST(ElectionTest, CheckQuorumLeaderStepsDownWhenCutOff) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(1);
  // Within two election timeouts the leader notices it hears from no quorum.
  for (int i = 0; i < 20; ++i) {
    c.Tick(1);
    c.Stabilize();
  }
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
}

TEST(ElectionTest, VoteRequiresAnUpToDateLog) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 3);
  c.Propose(1, "only on 1 and 2");
  // Node 3 lacks the entry: it cannot win even when it gets to campaign.
  c.Heal();
  c.Isolate(1);
  c.TickAll(10);
  c.Stabilize();
  c.Campaign(3);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
  // Node 2 has it and can.
  c.Campaign(2);
  EXPECT_EQ(c.node(2).role(), Role::kLeader);
}

TEST(ElectionTest, ANodeVotesOncePerTerm) {
  TestCluster c(3);
  c.TickAll(10);
  raftpb::Message vote;
  vote.set_type(raftpb::MSG_VOTE);
  vote.set_to(3);
  vote.set_term(5);
  vote.set_index(1);
  vote.set_log_term(1);
  vote.set_from(1);
  ASSERT_TRUE(c.node(3).Step(vote).ok());
  vote.set_from(2);
  ASSERT_TRUE(c.node(3).Step(vote).ok());
  Ready rd = c.node(3).GetReady();
  ASSERT_EQ(rd.messages.size(), 2u);
  EXPECT_FALSE(rd.messages[0].reject());
  EXPECT_TRUE(rd.messages[1].reject());
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote(), 1u);  // the vote is persisted before the answer is sent
}

}  // namespace
}  // namespace warren::raft
