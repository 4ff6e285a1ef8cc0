// A RaftServer group end to end in one process: real divisions, logs on disk, snapshots,
// an in-memory network.
#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "gtest/gtest.h"
#include "raft/server/raft_server.h"
#include "statemachine/counter_state_machine.h"
#include "tests/server/server_cluster.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::FastGroupOptions;
using testing::Incr;
using testing::ServerCluster;

class DivisionTest : public ::testing::Test {
 protected:
  void StartAll(ServerCluster& c, int n) {
    for (uint64_t id = 1; id <= static_cast<uint64_t>(n); ++id) ASSERT_TRUE(c.Start(id).ok());
  }
};

TEST_F(DivisionTest, ReplicatesWritesAndServesReadsEverywhere) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  Result last;
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    last = c.WriteUntilDone(ServerCluster::Command(1, seq, Incr()));
    ASSERT_TRUE(last.status.ok()) << last.status;
  }
  EXPECT_EQ(last.payload, "30");
  ASSERT_TRUE(c.WaitForApplied(last.index));
  uint64_t leader = c.WaitForLeader();
  for (uint64_t id = 1; id <= 3; ++id) {
    Result lin = c.Read(id, raftpb::LINEARIZABLE);  // followers ask the leader for its index
    ASSERT_TRUE(lin.status.ok()) << "member " << id << ": " << lin.status;
    EXPECT_EQ(lin.payload, "30") << "member " << id;
    Result seq = c.Read(id, raftpb::SEQUENTIAL, last.index);
    ASSERT_TRUE(seq.status.ok()) << seq.status;
    EXPECT_EQ(seq.payload, "30");
    EXPECT_GE(seq.index, last.index);
  }
  Result at_follower = c.Write(leader % 3 + 1, ServerCluster::Command(1, 31, Incr()));
  EXPECT_TRUE(at_follower.not_leader);
  EXPECT_EQ(at_follower.leader, leader);
}

TEST_F(DivisionTest, SequentialReadWaitsForTheIndexTheClientSaw) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  Result w = c.WriteUntilDone(ServerCluster::Command(1, 1, Incr(5)));
  ASSERT_TRUE(w.status.ok());
  uint64_t leader = c.WaitForLeader();
  uint64_t follower = leader % 3 + 1;
  // Cut the follower off, then write more: it cannot reach what the client has now seen.
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != follower) c.faults(id)->Block(follower);
  }
  c.faults(follower)->Block(leader);
  Result w2 = c.WriteUntilDone(ServerCluster::Command(1, 2, Incr(5)));
  ASSERT_TRUE(w2.status.ok()) << w2.status;
  Result stale = c.Read(follower, raftpb::SEQUENTIAL, w2.index);
  EXPECT_EQ(stale.status.code(), absl::StatusCode::kDeadlineExceeded) << stale.payload;
  for (uint64_t id = 1; id <= 3; ++id) c.faults(id)->UnblockAll();
  Result fresh = c.Read(follower, raftpb::SEQUENTIAL, w2.index);
  ASSERT_TRUE(fresh.status.ok()) << fresh.status;
  EXPECT_EQ(fresh.payload, "10");
}

TEST_F(DivisionTest, RetriedWriteIsAppliedOnceAcrossLeaderChangeAndSnapshots) {
  GroupOptions o = FastGroupOptions();
  o.snapshot_entries = 5;  // the dedup table must survive snapshots and restarts
  o.log_retention_entries = 2;
  ServerCluster c(3, o);
  StartAll(c, 3);
  auto cmd = ServerCluster::Command(42, 1, Incr(7));
  Result first = c.WriteUntilDone(cmd);
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_EQ(first.payload, "7");
  Result again = c.WriteUntilDone(cmd);
  ASSERT_TRUE(again.status.ok());
  EXPECT_EQ(again.payload, "7");  // the first reply, not a second increment

  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(7, seq, Incr())).status.ok());
  }
  uint64_t leader = c.WaitForLeader();
  c.Stop(leader);
  Result after_failover = c.WriteUntilDone(cmd);
  ASSERT_TRUE(after_failover.status.ok());
  EXPECT_EQ(after_failover.payload, "7");
  for (uint64_t id = 1; id <= 3; ++id) c.Stop(id);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  Result after_restart = c.WriteUntilDone(cmd);
  EXPECT_EQ(after_restart.payload, "7");
  Result read = c.ReadUntilDone(raftpb::LINEARIZABLE);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.payload, "27");
  EXPECT_GT(c.division(1)->Status().snapshot_index(), 0u);
}

TEST_F(DivisionTest, AcknowledgedWritesSurviveLeaderCrashAndAllRestart) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, seq, Incr())).status.ok());
  }
  uint64_t old_leader = c.WaitForLeader();
  c.Stop(old_leader);
  for (uint64_t seq = 21; seq <= 40; ++seq) {
    ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, seq, Incr())).status.ok());
  }
  ASSERT_TRUE(c.Start(old_leader).ok());
  Result r = c.ReadUntilDone(raftpb::LINEARIZABLE);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.payload, "40");
  ASSERT_TRUE(c.WaitForApplied(r.index));
  EXPECT_EQ(c.Read(old_leader, raftpb::SEQUENTIAL, r.index).payload, "40");

  for (uint64_t id = 1; id <= 3; ++id) c.Stop(id);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  EXPECT_EQ(c.ReadUntilDone(raftpb::LINEARIZABLE).payload, "40");
}

TEST_F(DivisionTest, FollowerBehindTheRetainedLogCatchesUpBySnapshot) {
  GroupOptions o = FastGroupOptions();
  o.snapshot_entries = 20;
  o.log_retention_entries = 5;
  ServerCluster c(3, o);
  StartAll(c, 3);
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  uint64_t leader = c.WaitForLeader();
  uint64_t lagging = leader % 3 + 1;
  c.Stop(lagging);
  Result last;
  for (uint64_t seq = 2; seq <= 100; ++seq) {
    last = c.WriteUntilDone(ServerCluster::Command(1, seq, Incr()));
    ASSERT_TRUE(last.status.ok());
  }
  leader = c.WaitForLeader();
  raftpb::GroupStatus ls = c.division(leader)->Status();
  ASSERT_GT(ls.first_index(), 10u) << "the leader's log should have been purged";

  ASSERT_TRUE(c.Start(lagging).ok());
  ASSERT_TRUE(c.WaitForApplied(last.index));
  raftpb::GroupStatus fs_ = c.division(lagging)->Status();
  EXPECT_GT(fs_.snapshot_index(), 10u);
  EXPECT_EQ(c.Read(lagging, raftpb::SEQUENTIAL, last.index).payload, "100");
  // And it keeps up by appends afterwards, and survives a restart from its installed snapshot.
  Result more = c.WriteUntilDone(ServerCluster::Command(1, 101, Incr()));
  c.Stop(lagging);
  ASSERT_TRUE(c.Start(lagging).ok());
  ASSERT_TRUE(c.WaitForApplied(more.index));
  EXPECT_EQ(c.Read(lagging, raftpb::SEQUENTIAL, more.index).payload, "101");
}

TEST_F(DivisionTest, LearnerIsAddedPromotedOnlyWhenCaughtUpThenLeadsAndOthersLeave) {
  GroupOptions o = FastGroupOptions();
  o.max_promote_lag = 5;
  ServerCluster c(3, o);
  StartAll(c, 3);
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, seq, Incr())).status.ok());
  }
  ASSERT_TRUE(c.Start(4, /*join=*/true).ok());
  uint64_t leader = c.WaitForLeader();
  c.faults(leader)->Block(4);  // the learner cannot catch up yet
  Result add = c.MembershipUntilDone(raftpb::MembershipRequest::ADD_LEARNER, 4);
  ASSERT_TRUE(add.status.ok()) << add.status;
  Result dup = c.Membership(leader, raftpb::MembershipRequest::ADD_LEARNER, 4);
  EXPECT_EQ(dup.status.code(), absl::StatusCode::kAlreadyExists);
  Result early = c.Membership(leader, raftpb::MembershipRequest::PROMOTE, 4);
  EXPECT_EQ(early.status.code(), absl::StatusCode::kFailedPrecondition) << early.status;
  EXPECT_NE(early.status.message().find("behind"), std::string::npos) << early.status;

  c.faults(leader)->UnblockAll();
  ASSERT_TRUE(c.WaitForApplied(add.index));
  Result promote = c.MembershipUntilDone(raftpb::MembershipRequest::PROMOTE, 4);
  ASSERT_TRUE(promote.status.ok()) << promote.status;
  ASSERT_TRUE(c.WaitForApplied(promote.index));
  raftpb::GroupStatus st = c.division(leader)->Status();
  int voters = 0;
  for (const auto& m : st.members()) voters += m.role() == "voter";
  EXPECT_EQ(voters, 4);

  Result transfer = c.MembershipUntilDone(raftpb::MembershipRequest::TRANSFER_LEADER, 4);
  ASSERT_TRUE(transfer.status.ok()) << transfer.status;
  EXPECT_EQ(c.WaitForLeader(), 4u);

  // Right after the transfer the new leader may not know the promotion committed: retried.
  Result remove = c.MembershipUntilDone(raftpb::MembershipRequest::REMOVE, 1);
  ASSERT_TRUE(remove.status.ok()) << remove.status;
  c.Stop(1);
  Result gone = c.Membership(4, raftpb::MembershipRequest::REMOVE, 1);
  EXPECT_EQ(gone.status.code(), absl::StatusCode::kNotFound);
  Result w = c.WriteUntilDone(ServerCluster::Command(1, 11, Incr()));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(w.payload, "11");
  st = c.division(4)->Status();
  std::set<uint64_t> members;
  for (const auto& m : st.members()) members.insert(m.id());
  EXPECT_EQ(members, (std::set<uint64_t>{2, 3, 4}));
}

TEST_F(DivisionTest, BadMembershipRequestsChangeNothing) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  raftpb::GroupStatus before = c.division(leader)->Status();
  EXPECT_EQ(c.Membership(leader, raftpb::MembershipRequest::PROMOTE, 2).status.code(),
            absl::StatusCode::kFailedPrecondition);  // already a voter
  EXPECT_EQ(c.Membership(leader, raftpb::MembershipRequest::REMOVE, 9).status.code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(c.Membership(leader, raftpb::MembershipRequest::ADD_LEARNER, 0).status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(c.Membership(leader, raftpb::MembershipRequest::TRANSFER_LEADER, 9).status.ok());
  raftpb::MembershipRequest weird;
  weird.set_op(static_cast<raftpb::MembershipRequest::Op>(77));
  weird.set_id(2);
  auto p = std::make_shared<std::promise<Result>>();
  c.division(leader)->ChangeMembership(weird, [p](Result r) { p->set_value(r); });
  EXPECT_EQ(p->get_future().get().status.code(), absl::StatusCode::kInvalidArgument);
  raftpb::GroupStatus after = c.division(leader)->Status();
  EXPECT_EQ(after.last_index(), before.last_index());
  EXPECT_EQ(after.members_size(), 3);
}

TEST_F(DivisionTest, WritesFailWithoutAQuorumAndNothingIsAcknowledged) {
  GroupOptions o = FastGroupOptions();
  o.request_timeout = absl::Seconds(1);
  ServerCluster c(3, o);
  StartAll(c, 3);
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  uint64_t leader = c.WaitForLeader();
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) c.Stop(id);
  }
  Result w = c.Write(leader, ServerCluster::Command(1, 2, Incr()));
  EXPECT_FALSE(w.status.ok());
  Result r = c.Read(leader, raftpb::LINEARIZABLE);
  EXPECT_FALSE(r.status.ok()) << "a lone leader must not serve a linearizable read: " << r.payload;
}

TEST_F(DivisionTest, DataDirectoryOfAnotherMemberIsRefused) {
  ServerCluster c(3, FastGroupOptions());
  ASSERT_TRUE(c.Start(1).ok());
  c.Stop(1);
  MemoryNetwork net;
  auto server =
      RaftServer::Create(ServerOptions{2, ""}, std::make_unique<MemoryTransport>(&net, "x"));
  ASSERT_TRUE(server.ok());
  GroupOptions g = FastGroupOptions();
  g.group = ServerCluster::kGroup;
  g.members = {{1, "m1"}, {2, "m2"}, {3, "m3"}};
  g.data_dir = c.DataDir(1);
  absl::Status s = (*server)->AddGroup(g, std::make_unique<CounterStateMachine>());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("member 1"), std::string::npos) << s;
}

TEST_F(DivisionTest, CorruptHardStateRefusesToStart) {
  ServerCluster c(3, FastGroupOptions());
  StartAll(c, 3);
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  c.Stop(2);
  std::string hs = c.DataDir(2) + "/log/hardstate";
  ASSERT_TRUE(fs::exists(hs));
  {
    std::fstream f(hs, std::ios::in | std::ios::out | std::ios::binary);
    std::string garbage(fs::file_size(hs), '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  absl::Status s = c.Start(2);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST_F(DivisionTest, FoundingMemberMustBeListed) {
  ServerCluster c(3, FastGroupOptions());
  absl::Status s = c.Start(5);  // not a founder and not joining
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warren::raft
