#include "metastore/server/health.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

raftpb::GroupStatus Status(const std::string& role, uint64_t leader, uint64_t commit,
                           uint64_t applied) {
  raftpb::GroupStatus st;
  st.set_id(2);
  st.set_role(role);
  st.set_leader(leader);
  st.set_term(7);
  st.set_commit(commit);
  st.set_applied(applied);
  return st;
}

TEST(Health, LiveWhileBothThreadsGoRoundTheirLoops) {
  EXPECT_TRUE(CheckLiveness({absl::Milliseconds(50), absl::Milliseconds(100)}).ok);
  EXPECT_TRUE(CheckLiveness({kStalledLoop, kStalledLoop}).ok);
  const Health raft = CheckLiveness({kStalledLoop + absl::Seconds(2), absl::ZeroDuration()});
  EXPECT_FALSE(raft.ok);
  EXPECT_EQ(raft.reason, "the raft thread has not gone round its loop for 12.0 s");
  const Health apply = CheckLiveness({absl::ZeroDuration(), absl::Seconds(30)});
  EXPECT_FALSE(apply.ok);
  EXPECT_TRUE(absl::StrContains(apply.reason, "apply thread")) << apply.reason;
}

TEST(Health, ReadyWithALeaderInTouchAndAppliedCloseToCommit) {
  const absl::Status in_touch = absl::OkStatus();
  EXPECT_TRUE(CheckReadiness(Status("follower", 1, 500, 500), in_touch).ok);
  EXPECT_TRUE(CheckReadiness(Status("leader", 2, 500, 500), in_touch).ok);
  EXPECT_TRUE(CheckReadiness(Status("follower", 1, 500 + kMaxApplyLag, 500), in_touch).ok);

  Health h = CheckReadiness(Status("follower", 1, 501 + kMaxApplyLag, 500), in_touch);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason, "applied 500 is 1001 entries behind commit 1501 (at most 1000)");

  h = CheckReadiness(Status("pre-candidate", 0, 500, 500), in_touch);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason, "no leader known (pre-candidate in term 7)");

  h = CheckReadiness(
      Status("follower", 1, 500, 500),
      MetaError(metastorepb::LEADER_UNREACHABLE, "member 2 has not reached a leader for 3000 ms"));
  EXPECT_FALSE(h.ok);
  EXPECT_TRUE(absl::StrContains(h.reason, "has not reached a leader")) << h.reason;

  h = CheckReadiness(Status("removed", 0, 500, 500), in_touch);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason,
            "removed from the group (told by a peer): stop it, or wipe and re-seed it to join "
            "again");

  h = CheckReadiness(Status("unresponsive", 0, 0, 0), in_touch);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason, "the raft thread is unresponsive");
}

}  // namespace
}  // namespace warren::metastore
