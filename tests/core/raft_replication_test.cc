// Log replication: commit rules, flow control, fast back-off, snapshots (Raft §5.3-5.4, §7).
#include "gtest/gtest.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::TestCluster;

TEST(ReplicationTest, ProposalsCommitEverywhereInOrder) {
  TestCluster c(3);
  c.Elect(1);
  for (int i = 0; i < 10; ++i) c.Propose(1, "cmd" + std::to_string(i));
  for (uint64_t id = 1; id <= 3; ++id) {
    auto data = c.AppliedData(id);
    ASSERT_EQ(data.size(), 10u) << "node " << id;
    EXPECT_EQ(data.front(), "cmd0");
    EXPECT_EQ(data.back(), "cmd9");
  }
}

TEST(ReplicationTest, FollowersRefuseProposals) {
  TestCluster c(3);
  c.Elect(1);
  auto r = c.node(2).Propose("x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("leader is 1"), std::string::npos);
}

TEST(ReplicationTest, NoCommitWithoutAQuorum) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 2);
  c.Cut(1, 3);
  EntryId id = c.Propose(1, "lonely");
  EXPECT_LT(c.node(1).log().committed(), id.index);
  c.Heal();
  c.TickAll();
  c.Stabilize();
  EXPECT_GE(c.node(1).log().committed(), id.index);
}

TEST(ReplicationTest, LeaderCountsItselfOnlyOnceDurable) {
  TestCluster c(1);
  c.Campaign(1);
  auto id = c.node(1).Propose("x");
  ASSERT_TRUE(id.ok());
  Ready rd = c.node(1).GetReady();
  // Not committed until the runtime says the entry is on disk.
  EXPECT_LT(c.node(1).log().committed(), id->index);
  c.node(1).Advance(rd);
  EXPECT_EQ(c.node(1).log().committed(), id->index);
}

TEST(ReplicationTest, ProposalsBetweenReadiesShareOneMessage) {
  TestCluster c(3);
  c.Elect(1);
  c.sent().clear();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("b" + std::to_string(i)).ok());
  Ready rd = c.node(1).GetReady();
  int apps = 0;
  for (const auto& m : rd.messages) {
    if (m.type() != raftpb::MSG_APP) continue;
    ++apps;
    EXPECT_EQ(m.entries_size(), 5);
  }
  EXPECT_EQ(apps, 2);  // one batch per follower
  c.node(1).Advance(rd);
}

TEST(ReplicationTest, InflightWindowBoundsUnacknowledgedAppends) {
  TestCluster c(2, [](Config& cfg) {
    cfg.max_inflight_msgs = 3;
    cfg.max_size_per_msg = 1;  // one entry per message
  });
  c.Elect(1);
  c.CutOneWay(2, 1);  // acknowledgements are lost
  c.sent().clear();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.node(1).Propose("x").ok());
    c.Stabilize();
  }
  int apps_with_entries = 0;
  for (const auto& m : c.sent()) {
    if (m.type() == raftpb::MSG_APP && m.from() == 1 && m.entries_size() > 0) ++apps_with_entries;
  }
  EXPECT_EQ(apps_with_entries, 3);
  EXPECT_TRUE(c.node(1).tracker().progress().at(2).IsPaused());
}

TEST(ReplicationTest, LostAppendsAreRecoveredThroughHeartbeats) {
  TestCluster c(3);
  c.Elect(1);
  c.CutOneWay(1, 2);
  EntryId id = c.Propose(1, "x");
  c.Heal();
  // No new proposal: the heartbeat round must find and fill the gap.
  c.TickAll();
  c.Stabilize();
  EXPECT_GE(c.node(2).log().committed(), id.index);
  EXPECT_EQ(c.AppliedData(2).back(), "x");
}

TEST(ReplicationTest, FastBackoffSkipsAWholeConflictingTerm) {
  // Node 3 leads term 2 with 30 entries nobody else gets; node 1 leads later and must
  // overwrite them without one round trip per entry.
  TestCluster c(3);
  c.Elect(3);
  c.Isolate(3);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(c.node(3).Propose("stale").ok());
  c.Stabilize();
  c.Heal();
  c.Cut(3, 1);
  c.Cut(3, 2);
  c.Elect(1);
  c.Propose(1, "fresh");
  c.Heal();
  c.sent().clear();
  c.TickAll();
  c.Stabilize();
  int rejections = 0;
  for (const auto& m : c.sent()) {
    if (m.type() == raftpb::MSG_APP_RESP && m.from() == 3 && m.reject()) ++rejections;
  }
  EXPECT_LE(rejections, 2);
  EXPECT_EQ(c.node(3).log().LastIndex(), c.node(1).log().LastIndex());
  EXPECT_EQ(c.AppliedData(3).back(), "fresh");
}

// Raft paper, Figure 8: a leader may not commit an entry of an earlier term by counting
// replicas, or a later leader could overwrite it. Entry 2 of term 1 is on a majority; the
// leader of term 2 has no entry of its own term there yet.
TEST(ReplicationTest, FigureEightLeaderNeverCommitsAnOldTermEntryAlone) {
  Config cfg;
  cfg.id = 1;
  RestoredState s = BootstrapState({1, 2, 3});
  raftpb::Entry e;
  e.set_index(2);
  e.set_term(1);
  s.entries.push_back(e);
  s.hard_state.set_term(1);
  auto r = Raft::Create(cfg, s);
  ASSERT_TRUE(r.ok());
  Raft& n = **r;
  testing::WinElection(n, {2, 3});
  // Follower 2 acknowledges index 2 (term 1) but not the no-op at 3 (term 2).
  raftpb::Message ack = testing::Ack(2, n, raftpb::MSG_APP_RESP, 2);
  ASSERT_TRUE(n.Step(ack).ok());
  EXPECT_EQ(n.log().committed(), 1u) << "index 2 of term 1 was committed by counting";
  ack.set_index(3);
  ASSERT_TRUE(n.Step(ack).ok());
  EXPECT_EQ(n.log().committed(), 3u);  // the no-op of term 2 commits, and 2 with it
}

TEST(ReplicationTest, UnreachableFollowerFallsBackToProbing) {
  TestCluster c(3);
  c.Elect(1);
  c.Propose(1, "x");
  ASSERT_EQ(c.node(1).tracker().progress().at(2).state, ProgressState::kReplicate);
  c.node(1).ReportUnreachable(2);
  EXPECT_EQ(c.node(1).tracker().progress().at(2).state, ProgressState::kProbe);
  // The next exchange finds where the logs match and streams again.
  c.Propose(1, "y");
  EXPECT_EQ(c.node(1).tracker().progress().at(2).state, ProgressState::kReplicate);
  EXPECT_EQ(c.AppliedData(2).back(), "y");
}

TEST(ReplicationTest, LaggingFollowerGetsASnapshot) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 20; ++i) c.Propose(1, "e" + std::to_string(i));
  c.Compact(1);
  ASSERT_GT(c.node(1).log().FirstIndex(), c.node(3).log().LastIndex() + 1);
  c.Heal();
  c.TickAll();
  c.Stabilize();
  EXPECT_EQ(c.snapshots_restored(3), 1);
  EXPECT_EQ(c.node(3).log().committed(), c.node(1).log().committed());
  // Replication continues normally after the snapshot.
  c.Propose(1, "after");
  EXPECT_EQ(c.AppliedData(3).back(), "after");
  EXPECT_EQ(c.node(1).tracker().progress().at(3).state, ProgressState::kReplicate);
}

TEST(ReplicationTest, SnapshotMetadataCarriesTheMembershipAtItsIndex) {
  TestCluster c(3);
  c.Elect(1);
  c.Propose(1, "x");
  auto meta = c.node(1).SnapshotMetadataAt(c.node(1).log().applied());
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->term(), c.node(1).term());
  EXPECT_EQ(meta->conf_state().voters_size(), 3);
  // Beyond what was applied is refused.
  EXPECT_EQ(c.node(1).SnapshotMetadataAt(c.node(1).log().applied() + 1).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace warren::raft
