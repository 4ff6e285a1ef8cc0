// A follower told that its leader's stream ended, or a member just started, campaigns within
// a few ticks instead of an election timeout, and a leader that is still alive loses nothing
// by it.
#include "gtest/gtest.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::TestCluster;

// Ticks `ids` (not the others) one tick at a time, delivering everything after each, until
// one of them leads or `max_ticks` pass; returns the ticks taken (max_ticks + 1 if none led).
int TicksUntilOneLeads(TestCluster& c, const std::vector<uint64_t>& ids, int max_ticks) {
  for (int t = 1; t <= max_ticks; ++t) {
    for (uint64_t id : ids) c.Tick(id);
    c.Stabilize();
    for (uint64_t id : ids)
      if (c.node(id).role() == Role::kLeader) return t;
  }
  return max_ticks + 1;
}

TEST(LeaderGoneTest, TheFollowersElectANewLeaderWithinTwoTicks) {
  TestCluster c(3);
  c.Elect(1);
  const uint64_t term = c.node(1).term();
  c.Propose(1, "before");
  c.Isolate(1);  // the leader's process is gone
  c.node(2).ReportLeaderGone(1);
  c.node(3).ReportLeaderGone(1);
  EXPECT_EQ(c.node(2).leader(), kNoNode);
  EXPECT_LE(TicksUntilOneLeads(c, {2, 3}, 20), 2);
  EXPECT_EQ(c.node(2).role(), Role::kLeader);  // the lowest id goes first
  EXPECT_EQ(c.node(2).term(), term + 1);
  EXPECT_EQ(c.node(3).leader(), 2u);
  c.Propose(2, "after");
  EXPECT_EQ(c.AppliedData(3), (std::vector<std::string>{"before", "after"}));
}

TEST(LeaderGoneTest, WithoutTheReportTheFollowersWaitOutTheElectionTimeout) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(1);
  EXPECT_GT(TicksUntilOneLeads(c, {2, 3}, 20), 10);
}

TEST(LeaderGoneTest, AFollowerBehindYieldsToTheNextInLine) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 2);
  c.Propose(1, "2 misses this");  // committed by 1 and 3
  c.Isolate(1);
  c.node(2).ReportLeaderGone(1);
  c.node(3).ReportLeaderGone(1);
  // 2 campaigns first and is refused for its log; 3, next in line, wins two ticks later.
  EXPECT_LE(TicksUntilOneLeads(c, {2, 3}, 20), 4);
  EXPECT_EQ(c.node(3).role(), Role::kLeader);
  c.Propose(3, "next");
  EXPECT_EQ(c.AppliedData(2), (std::vector<std::string>{"2 misses this", "next"}));
}

TEST(LeaderGoneTest, ALeaderStillAliveKeepsItsTermWhenOneFollowerThinksItGone) {
  TestCluster c(3);
  c.Elect(1);
  const uint64_t term = c.node(1).term();
  c.node(2).ReportLeaderGone(1);  // say its stream broke, but the leader runs on
  for (int i = 0; i < 30; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
  EXPECT_EQ(c.node(2).leader(), 1u);
  EXPECT_EQ(c.node(2).role(), Role::kFollower);
}

TEST(LeaderGoneTest, TheEarlyCampaignIsOneShot) {
  // A follower cut off from everyone after the report campaigns once early, then only at
  // the usual timeouts: it does not pre-vote every tick.
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(2);
  c.node(2).ReportLeaderGone(1);
  int pre_votes = 0;
  for (int i = 0; i < 20; ++i) {
    c.sent().clear();
    c.Tick(2);
    c.Stabilize();
    for (const auto& m : c.sent())
      if (m.type() == raftpb::MSG_PRE_VOTE) ++pre_votes;
  }
  // One early campaign (two pre-votes, to 1 and 3) and at most one more after an election
  // timeout of 10 to 19 ticks.
  EXPECT_GE(pre_votes, 2);
  EXPECT_LE(pre_votes, 4);
}

TEST(LeaderGoneTest, IgnoredForAMemberThatIsNotTheLeader) {
  TestCluster c(3);
  c.Elect(1);
  c.node(2).ReportLeaderGone(3);
  EXPECT_EQ(c.node(2).leader(), 1u);
  c.Isolate(1);
  EXPECT_GT(TicksUntilOneLeads(c, {2, 3}, 20), 10);
}

TEST(LeaderGoneTest, IgnoredWithLeaseReads) {
  // The lease is sound only if every follower refuses votes for an election timeout after
  // hearing from the leader, whatever it was told.
  TestCluster c(3, [](Config& cfg) { cfg.read_only = ReadOnlyOption::kLeaseBased; });
  c.Elect(1);
  c.Isolate(1);
  c.node(2).ReportLeaderGone(1);
  c.node(3).ReportLeaderGone(1);
  EXPECT_EQ(c.node(2).leader(), 1u);
  EXPECT_GT(TicksUntilOneLeads(c, {2, 3}, 20), 10);
}

TEST(EarlyStartTest, AQuorumStartedTogetherElectsWithinTwoTicks) {
  TestCluster c(3, [](Config& cfg) { cfg.campaign_early_at_start = true; });
  EXPECT_LE(TicksUntilOneLeads(c, {1, 2, 3}, 30), 2);
  EXPECT_EQ(c.Leader(), 1u);
}

TEST(EarlyStartTest, WithoutItTheFirstElectionWaitsAnElectionTimeout) {
  TestCluster c(3);
  EXPECT_GT(TicksUntilOneLeads(c, {1, 2, 3}, 30), 10);
}

TEST(EarlyStartTest, IgnoredWithLeaseReads) {
  TestCluster c(3, [](Config& cfg) {
    cfg.campaign_early_at_start = true;
    cfg.read_only = ReadOnlyOption::kLeaseBased;
  });
  EXPECT_GT(TicksUntilOneLeads(c, {1, 2, 3}, 30), 10);
}

TEST(EarlyStartTest, AMemberStartedBesideALiveLeaderLeavesItInOffice) {
  // A fourth member, started with its early campaign, while the others have a leader: its
  // pre-vote is refused, and the leader keeps its term.
  TestCluster c(3, [](Config& cfg) { cfg.campaign_early_at_start = true; });
  c.Elect(1);
  const uint64_t term = c.node(1).term();
  c.AddNode(4, BootstrapState({1, 2, 3, 4}));
  for (int i = 0; i < 30; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
}

}  // namespace
}  // namespace warren::raft
