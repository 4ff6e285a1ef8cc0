// A member removed while it was cut off is told so by its peers when it comes back asking for
// votes, and stops campaigning (raft/server/removal_notice.h); a valid member is never
// stopped, not even by a peer that lags behind its addition.
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/integration/eventually.h"
#include "tests/server/server_cluster.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::FastGroupOptions;
using testing::Incr;
using testing::ServerCluster;
using warren::testing::Eventually;

// More than several election timeouts of FastGroupOptions (200-400 ms).
constexpr absl::Duration kQuiet = absl::Seconds(2);

void StartAll(ServerCluster& c, uint64_t n) {
  for (uint64_t id = 1; id <= n; ++id) ASSERT_TRUE(c.Start(id).ok());
}

// Cuts `id` off from every other member of 1..n, both ways, or heals that. Members not
// running are left alone.
void CutOff(ServerCluster& c, uint64_t n, uint64_t id) {
  for (uint64_t other = 1; other <= n; ++other) {
    if (other == id || !c.running(other)) continue;
    c.faults(other)->Block(id);
    c.faults(id)->Block(other);
  }
}
void Heal(ServerCluster& c, uint64_t n) {
  for (uint64_t id = 1; id <= n; ++id) {
    if (FaultyTransport* t = c.faults(id)) t->UnblockAll();
  }
}

// A leader other than `not_this`, handing leadership over if `not_this` leads.
uint64_t LeaderOtherThan(ServerCluster& c, uint64_t not_this, uint64_t successor) {
  uint64_t leader = c.WaitForLeader();
  if (leader != not_this) return leader;
  Result r = c.MembershipUntilDone(raftpb::MembershipRequest::TRANSFER_LEADER, successor);
  EXPECT_TRUE(r.status.ok()) << r.status;
  return c.WaitForLeader();
}

uint64_t VoteRequests(ServerCluster& c, uint64_t id) {
  return c.faults(id)->sent(raftpb::MSG_PRE_VOTE) + c.faults(id)->sent(raftpb::MSG_VOTE);
}

std::string Role(ServerCluster& c, uint64_t id) { return c.division(id)->Status().role(); }

// Promotes the learner `id`, asking again while it has not caught up.
Result PromoteOnceCaughtUp(ServerCluster& c, uint64_t id) {
  Result promote;
  Eventually(
      [&] {
        promote = c.MembershipUntilDone(raftpb::MembershipRequest::PROMOTE, id);
        return promote.status.ok();
      },
      absl::Seconds(20));
  return promote;
}

// Member `id` takes over leadership, and the write of increment `seq` (client 1; every
// earlier one was applied) goes through it.
void ExpectToLeadAndWrite(ServerCluster& c, uint64_t id, uint64_t seq) {
  Result transfer = c.MembershipUntilDone(raftpb::MembershipRequest::TRANSFER_LEADER, id);
  ASSERT_TRUE(transfer.status.ok()) << transfer.status;
  EXPECT_EQ(c.WaitForLeader(), id);
  Result w = c.WriteUntilDone(ServerCluster::Command(1, seq, Incr()));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(w.payload, std::to_string(seq));
}

// Removed while cut off, it comes back: told, it stops asking for votes, says "removed", and
// the group's leader and term are as they were.
TEST(DivisionRemovalTest, AMemberRemovedWhileCutOffIsToldAndStopsCampaigning) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  const uint64_t leader = LeaderOtherThan(c, 3, 1);
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());

  CutOff(c, 3, 3);
  Result remove = c.MembershipUntilDone(raftpb::MembershipRequest::REMOVE, 3);
  ASSERT_TRUE(remove.status.ok()) << remove.status;
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 2, Incr())).status.ok());
  // Cut off, it campaigns: what it would go on doing for ever.
  ASSERT_TRUE(Eventually([&] { return VoteRequests(c, 3) >= 2; }, absl::Seconds(10)));
  EXPECT_NE(Role(c, 3), "removed");
  const raftpb::GroupStatus before = c.division(leader)->Status();

  Heal(c, 3);
  ASSERT_TRUE(Eventually([&] { return Role(c, 3) == "removed"; }, absl::Seconds(10))) << Role(c, 3);
  const raftpb::GroupStatus removed = c.division(3)->Status();
  EXPECT_EQ(removed.leader(), 0u);
  EXPECT_LT(removed.commit(), remove.index) << "it never learned of the entry removing it";

  // It asks for no more votes, and the others were never disturbed.
  const uint64_t asked = VoteRequests(c, 3);
  absl::SleepFor(kQuiet);
  EXPECT_EQ(VoteRequests(c, 3), asked);
  EXPECT_EQ(Role(c, 3), "removed");
  for (uint64_t id : {uint64_t{1}, uint64_t{2}}) {
    const raftpb::GroupStatus st = c.division(id)->Status();
    EXPECT_EQ(st.leader(), leader) << id;
    EXPECT_EQ(st.term(), before.term()) << id;
  }
  EXPECT_GE(
      c.faults(1)->sent(raftpb::MSG_NOT_A_MEMBER) + c.faults(2)->sent(raftpb::MSG_NOT_A_MEMBER),
      1u);
  Result w = c.WriteUntilDone(ServerCluster::Command(1, 3, Incr()));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(w.payload, "3");

  // Re-seeded (wiped, started to join, added, promoted) under the same id, it works: the
  // removal was this process's alone.
  c.Stop(3);
  fs::remove_all(c.DataDir(3));
  ASSERT_TRUE(c.Start(3, /*join=*/true).ok());
  ASSERT_TRUE(c.MembershipUntilDone(raftpb::MembershipRequest::ADD_LEARNER, 3).status.ok());
  Result promote = PromoteOnceCaughtUp(c, 3);
  ASSERT_TRUE(promote.status.ok()) << promote.status;
  ExpectToLeadAndWrite(c, 3, 4);
}

// A member told it was removed that is added back without a restart (its data kept) catches
// up and takes part again: its own log then shows a configuration with it, past the removal.
TEST(DivisionRemovalTest, AMemberToldOfItsRemovalTakesPartAgainOnceAddedBack) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  ASSERT_NE(LeaderOtherThan(c, 3, 1), 0u);
  CutOff(c, 3, 3);
  ASSERT_TRUE(c.MembershipUntilDone(raftpb::MembershipRequest::REMOVE, 3).status.ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  Heal(c, 3);
  ASSERT_TRUE(Eventually([&] { return Role(c, 3) == "removed"; }, absl::Seconds(10)));

  ASSERT_TRUE(c.MembershipUntilDone(raftpb::MembershipRequest::ADD_LEARNER, 3).status.ok());
  ASSERT_TRUE(Eventually([&] { return Role(c, 3) == "follower"; }, absl::Seconds(10)))
      << Role(c, 3);
  Result promote = PromoteOnceCaughtUp(c, 3);
  ASSERT_TRUE(promote.status.ok()) << promote.status;
  ExpectToLeadAndWrite(c, 3, 2);
}

// Five members. A is removed, wiped and added back under its id (learner, then voter) while B
// is cut off and knows none of it. Then A is cut off from all but B and campaigns: B, whose
// configuration is from before A came back, tells A it is not a member, and A, knowing more
// committed than B, does not believe it. A stays a voter and can lead.
TEST(DivisionRemovalTest, AMemberLaggingBehindAnAdditionDoesNotStopTheNewMember) {
  constexpr uint64_t kMembers = 5;
  ServerCluster c(kMembers, FastGroupOptions());
  StartAll(c, kMembers);
  const uint64_t a = 4, b = 5;
  uint64_t leader = LeaderOtherThan(c, a, 1);
  if (leader == b) leader = LeaderOtherThan(c, b, 1);
  ASSERT_TRUE(leader != 0 && leader != a && leader != b) << leader;
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());

  ASSERT_TRUE(c.MembershipUntilDone(raftpb::MembershipRequest::REMOVE, a).status.ok());
  c.Stop(a);
  // B has applied A's removal: A is not in its configuration.
  ASSERT_TRUE(c.WaitForApplied(c.division(leader)->Status().commit()));
  fs::remove_all(c.DataDir(a));
  CutOff(c, kMembers, b);
  ASSERT_TRUE(c.Start(a, /*join=*/true).ok());
  c.faults(a)->Block(b);
  c.faults(b)->Block(a);
  ASSERT_TRUE(c.MembershipUntilDone(raftpb::MembershipRequest::ADD_LEARNER, a).status.ok());
  Result promote = PromoteOnceCaughtUp(c, a);
  ASSERT_TRUE(promote.status.ok()) << promote.status;
  ASSERT_TRUE(Eventually([&] { return c.division(a)->Status().commit() >= promote.index; },
                         absl::Seconds(10)));
  const uint64_t b_commit = c.division(b)->Status().commit();
  ASSERT_LT(b_commit, promote.index);

  // A reaches B alone; B still reaches no one else.
  for (uint64_t other = 1; other <= kMembers; ++other) {
    if (other == a || other == b) continue;
    c.faults(other)->Block(a);
    c.faults(a)->Block(other);
  }
  c.faults(a)->Unblock(b);
  c.faults(b)->Unblock(a);
  const uint64_t asked = VoteRequests(c, a);
  ASSERT_TRUE(Eventually([&] { return c.faults(b)->sent(raftpb::MSG_NOT_A_MEMBER) >= 1; },
                         absl::Seconds(10)))
      << "B never told A; A asked for " << VoteRequests(c, a) - asked << " votes";
  absl::SleepFor(absl::Seconds(1));
  EXPECT_NE(Role(c, a), "removed");
  EXPECT_GT(VoteRequests(c, a), asked + 1) << "A went on campaigning";

  Heal(c, kMembers);
  ExpectToLeadAndWrite(c, a, 2);
  for (uint64_t id = 1; id <= kMembers; ++id) EXPECT_NE(Role(c, id), "removed") << id;
}

}  // namespace
}  // namespace warren::raft
