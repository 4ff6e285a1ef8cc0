#include "raft/core/progress.h"

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

TEST(InflightsTest, BoundedByCountAndBytes) {
  Inflights by_count(3, 1 << 20);
  by_count.Add(1, 10);
  by_count.Add(2, 10);
  EXPECT_FALSE(by_count.Full());
  by_count.Add(3, 10);
  EXPECT_TRUE(by_count.Full());
  by_count.FreeTo(2);
  EXPECT_EQ(by_count.count(), 1);
  EXPECT_FALSE(by_count.Full());

  Inflights by_bytes(100, 50);
  by_bytes.Add(1, 30);
  EXPECT_FALSE(by_bytes.Full());
  by_bytes.Add(2, 30);
  EXPECT_TRUE(by_bytes.Full());
  by_bytes.FreeFirst();
  EXPECT_EQ(by_bytes.bytes(), 30u);
}

TEST(ProgressTest, ProbeSendsOneAtATime) {
  Progress p(5, 10, 1 << 20, false);
  EXPECT_FALSE(p.IsPaused());
  p.SentEntries(7, 100);
  EXPECT_TRUE(p.IsPaused());
  EXPECT_TRUE(p.MaybeUpdate(7));
  EXPECT_FALSE(p.IsPaused());
  EXPECT_EQ(p.next, 8u);
}

TEST(ProgressTest, ReplicatePipelinesUpToTheWindow) {
  Progress p(1, 2, 1 << 20, false);
  p.BecomeReplicate();
  p.SentEntries(3, 10);
  EXPECT_EQ(p.next, 4u);
  EXPECT_FALSE(p.IsPaused());
  p.SentEntries(5, 10);
  EXPECT_TRUE(p.IsPaused());
  p.MaybeUpdate(3);
  p.inflights.FreeTo(3);
  EXPECT_FALSE(p.IsPaused());
}

TEST(ProgressTest, RejectionsMoveNextBackOnlyWhenFresh) {
  struct Case {
    ProgressState state;
    uint64_t match, next, rejected, hint;
    bool want_ok;
    uint64_t want_next;
  };
  const Case cases[] = {
      // Replicate: stale rejection of something already matched is ignored.
      {ProgressState::kReplicate, 5, 10, 5, 5, false, 10},
      // Replicate: a fresh rejection restarts from match + 1.
      {ProgressState::kReplicate, 5, 10, 9, 9, true, 6},
      // Probe: a rejection of a message we did not just send is stale.
      {ProgressState::kProbe, 0, 10, 5, 3, false, 10},
      // Probe: use the hint to skip ahead.
      {ProgressState::kProbe, 0, 10, 9, 3, true, 4},
      // Probe: never go below match + 1.
      {ProgressState::kProbe, 6, 10, 9, 2, true, 7},
  };
  for (const auto& c : cases) {
    Progress p(c.next, 10, 1 << 20, false);
    p.match = c.match;
    if (c.state == ProgressState::kReplicate) {
      p.state = ProgressState::kReplicate;
    }
    EXPECT_EQ(p.MaybeDecrTo(c.rejected, c.hint), c.want_ok);
    EXPECT_EQ(p.next, c.want_next);
  }
}

}  // namespace
}  // namespace warren::raft
