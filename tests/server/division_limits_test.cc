// What a group refuses, in one process: commands over its size limit never reach the log, and
// messages no honest peer sends are refused and counted while the group goes on.
#include <future>
#include <limits>

#include "gtest/gtest.h"
#include "raft/server/raft_server.h"
#include "raft/transport/memory_transport.h"
#include "statemachine/counter_state_machine.h"
#include "tests/server/server_cluster.h"

namespace warren::raft {
namespace {

using testing::FastGroupOptions;
using testing::ServerCluster;

// "incr 1" padded to `bytes` (the counter ignores the trailing spaces).
std::string IncrOf(size_t bytes) {
  std::string cmd = "incr 1";
  cmd.resize(bytes, ' ');
  return cmd;
}

TEST(DivisionLimits, ACommandOverTheLimitIsRefusedBeforeAnythingIsAppended) {
  GroupOptions o = FastGroupOptions();
  o.max_command_bytes = 1000;
  ServerCluster c(3, o);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, "incr 1")).status.ok());
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const raftpb::GroupStatus before = c.division(leader)->Status();

  Result over = c.Write(leader, ServerCluster::Command(1, 2, IncrOf(1001)));
  EXPECT_EQ(over.status.code(), absl::StatusCode::kInvalidArgument) << over.status;
  EXPECT_NE(over.status.message().find("1001 bytes"), std::string::npos) << over.status;
  EXPECT_NE(over.status.message().find("limit of 1000"), std::string::npos) << over.status;
  EXPECT_FALSE(over.not_leader);
  const raftpb::GroupStatus after = c.division(leader)->Status();
  EXPECT_EQ(after.last_index(), before.last_index());
  EXPECT_EQ(after.commit(), before.commit());

  // At the limit it commits, everywhere, and the group goes on.
  Result at = c.WriteUntilDone(ServerCluster::Command(1, 3, IncrOf(1000)));
  ASSERT_TRUE(at.status.ok()) << at.status;
  EXPECT_EQ(at.payload, "2");
  Result next = c.WriteUntilDone(ServerCluster::Command(1, 4, "incr 1"));
  ASSERT_TRUE(next.status.ok()) << next.status;
  EXPECT_EQ(next.payload, "3");
  EXPECT_TRUE(c.WaitForApplied(next.index));
}

TEST(DivisionLimits, AMemberAddressTooLongForALogEntryIsRefused) {
  GroupOptions o = FastGroupOptions();
  o.max_command_bytes = 1000;
  ServerCluster c(3, o);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const raftpb::GroupStatus before = c.division(leader)->Status();
  raftpb::MembershipRequest req;
  req.set_op(raftpb::MembershipRequest::ADD_LEARNER);
  req.set_id(4);
  req.set_address(std::string(5000, 'h') + ":1");
  auto p = std::make_shared<std::promise<Result>>();
  c.division(leader)->ChangeMembership(req, [p](Result r) { p->set_value(r); });
  Result r = p->get_future().get();
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << r.status;
  EXPECT_EQ(c.division(leader)->Status().last_index(), before.last_index());
}

TEST(DivisionLimits, CommandLimitsOutsideWhatMembersCarryAreRefusedAtOpen) {
  MemoryNetwork net;
  testing::TempDir dir("division-limits");
  int n = 0;
  auto open = [&](GroupOptions g) {
    auto server =
        RaftServer::Create(ServerOptions{1, ""}, std::make_unique<MemoryTransport>(&net, "m1"));
    EXPECT_TRUE(server.ok());
    g.group = "g";
    g.members = {{1, "m1"}};
    g.data_dir = dir.path() + "/" + std::to_string(++n);
    return (*server)->AddGroup(g, std::make_unique<CounterStateMachine>());
  };
  GroupOptions zero = FastGroupOptions();
  zero.max_command_bytes = 0;
  EXPECT_EQ(open(zero).code(), absl::StatusCode::kInvalidArgument);
  GroupOptions huge = FastGroupOptions();
  huge.max_command_bytes = kMaxCommandBytesCeiling + 1;
  absl::Status s = open(huge);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("max_command_bytes"), std::string::npos) << s;
  GroupOptions batches = FastGroupOptions();
  batches.raft.max_size_per_msg = kMaxCommandBytesCeiling;
  EXPECT_EQ(open(batches).code(), absl::StatusCode::kInvalidArgument);
  GroupOptions ceiling = FastGroupOptions();
  ceiling.max_command_bytes = kMaxCommandBytesCeiling;
  EXPECT_TRUE(open(ceiling).ok());
}

TEST(DivisionLimits, ForgedMessagesAreRefusedAndCountedAndTheGroupGoesOn) {
  ServerCluster c(3, FastGroupOptions());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, "incr 1")).status.ok());
  const uint64_t leader = c.WaitForLeader();
  const uint64_t follower = leader % 3 + 1;
  const raftpb::GroupStatus st = c.division(follower)->Status();

  // A snapshot message without its file, from the leader in a later term: the core would
  // restore a snapshot the member does not have.
  raftpb::Message snap;
  snap.set_type(raftpb::MSG_SNAP);
  snap.set_from(leader);
  snap.set_to(follower);
  snap.set_term(st.term() + 1);
  auto* meta = snap.mutable_snapshot()->mutable_metadata();
  meta->set_index(st.commit() + 100);
  meta->set_term(st.term() + 1);
  for (uint64_t id = 1; id <= 3; ++id) meta->mutable_conf_state()->add_voters(id);
  // A term no election reaches: everyone hearing of it could never campaign again.
  raftpb::Message wrap;
  wrap.set_type(raftpb::MSG_HEARTBEAT);
  wrap.set_from(leader);
  wrap.set_to(follower);
  wrap.set_term(std::numeric_limits<uint64_t>::max());
  // Not contiguous: the core refuses it itself.
  raftpb::Message gap;
  gap.set_type(raftpb::MSG_APP);
  gap.set_from(leader);
  gap.set_to(follower);
  gap.set_term(st.term());
  gap.set_index(st.commit());
  gap.add_entries()->set_index(st.commit() + 2);
  c.division(follower)->Deliver({snap, wrap, gap});

  Result w = c.WriteUntilDone(ServerCluster::Command(1, 2, "incr 1"));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(w.payload, "2");
  ASSERT_TRUE(c.WaitForApplied(w.index));
  const raftpb::GroupStatus now = c.division(follower)->Status();
  EXPECT_EQ(now.refused_messages(), 3u);
  EXPECT_LT(now.term(), uint64_t{1} << 63);
}

}  // namespace
}  // namespace warren::raft
