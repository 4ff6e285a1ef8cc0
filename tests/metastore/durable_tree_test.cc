// The znode tree under the real Raft runtime (in one process, on an in-memory network):
// restarts from the durable tree keep exactly-once, and a follower that fell behind the log
// gets the tree as a RocksDB checkpoint, ACLs with it.
#include <algorithm>
#include <filesystem>
#include <future>

#include "gtest/gtest.h"
#include "metastore/acl.h"
#include "metastore/znode_tree.h"
#include "tests/server/server_cluster.h"

namespace warren::metastore {
namespace {

using raft::testing::ServerCluster;

raft::GroupOptions Options() {
  raft::GroupOptions o;
  o.tick = absl::Milliseconds(10);
  o.snapshot_entries = 20;
  o.log_retention_entries = 5;
  return o;
}

ServerCluster::StateMachineFactory Trees() {
  return [](uint64_t, const std::string& dir) -> std::unique_ptr<StateMachine> {
    auto tree = ZNodeTree::Open(TreeOptions{dir, Limits{}}, nullptr);
    EXPECT_TRUE(tree.ok()) << tree.status();
    return tree.ok() ? std::move(*tree) : nullptr;
  };
}

std::string CreateCommand(const std::string& path, bool sequential) {
  metastorepb::Command cmd;
  cmd.set_time_ms(1);
  auto* c = cmd.mutable_multi()->add_ops()->mutable_create();
  c->set_path(path);
  c->set_sequential(sequential);
  return cmd.SerializeAsString();
}

metastorepb::CommandReply WriteReply(const raft::Result& r) {
  EXPECT_TRUE(r.status.ok()) << r.status;
  metastorepb::CommandReply reply;
  EXPECT_TRUE(reply.ParseFromString(r.payload));
  return reply;
}

metastorepb::QueryReply AskAt(ServerCluster& c, uint64_t id, uint64_t min_index,
                              const metastorepb::Query& q) {
  raftpb::ReadRequest rr;
  rr.set_query(q.SerializeAsString());
  rr.set_consistency(raftpb::SEQUENTIAL);
  rr.set_min_index(min_index);
  std::promise<raft::Result> done;
  c.division(id)->Read(rr, [&](raft::Result r) { done.set_value(std::move(r)); });
  raft::Result r = done.get_future().get();
  EXPECT_TRUE(r.status.ok()) << r.status;
  metastorepb::QueryReply reply;
  EXPECT_TRUE(reply.ParseFromString(r.payload));
  return reply;
}

// The root's children the test made (ZooKeeper's /zookeeper aside).
size_t ChildrenAt(ServerCluster& c, uint64_t id, uint64_t min_index) {
  metastorepb::Query q;
  q.mutable_get_children()->set_path("/");
  const auto reply = AskAt(c, id, min_index, q);
  return std::count_if(reply.children().begin(), reply.children().end(),
                       [](const auto& child) { return child.name() != "zookeeper"; });
}

TEST(DurableTree, FullRestartKeepsExactlyOnceWithoutReplayingTheLog) {
  ServerCluster c(3, Options(), Trees());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto first =
      WriteReply(c.WriteUntilDone(ServerCluster::Command(7, 1, CreateCommand("/s-", true))));
  ASSERT_EQ(first.error(), metastorepb::OK) << first.message();
  ASSERT_EQ(first.results(0).path(), "/s-0000000000");
  raft::Result last;
  for (uint64_t seq = 1; seq <= 45; ++seq) {  // past two snapshots
    last = c.WriteUntilDone(ServerCluster::Command(8, seq, CreateCommand("/n-", true)));
    ASSERT_TRUE(last.status.ok());
  }
  ASSERT_TRUE(c.WaitForApplied(last.index));
  for (uint64_t id = 1; id <= 3; ++id) c.Stop(id);
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(c.Start(id).ok());
    // Came back from its own tree: nothing before the last applied entry is replayed.
    EXPECT_GE(c.division(id)->Status().applied(), last.index);
  }
  ASSERT_NE(c.WaitForLeader(), 0u);
  // The retry of an already applied create is answered, not applied again.
  auto again =
      WriteReply(c.WriteUntilDone(ServerCluster::Command(7, 1, CreateCommand("/s-", true))));
  EXPECT_EQ(again.results(0).path(), "/s-0000000000");
  auto marker = c.WriteUntilDone(ServerCluster::Command(9, 1, CreateCommand("/marker", false)));
  ASSERT_TRUE(marker.status.ok());
  for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(ChildrenAt(c, id, marker.index), 47u);
}

// A member whose Raft directory was lost while its tree was kept must not found the group
// again, nor join it, as if it had never voted or acknowledged anything.
TEST(DurableTree, AMemberWhoseLogIsLostButTreeKeptRefusesToStart) {
  ServerCluster c(3, Options(), Trees());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_NE(c.WaitForLeader(), 0u);
  raft::Result last;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    last = c.WriteUntilDone(ServerCluster::Command(8, seq, CreateCommand("/n-", true)));
    ASSERT_TRUE(last.status.ok());
  }
  ASSERT_TRUE(c.WaitForApplied(last.index));
  c.Stop(3);
  std::filesystem::remove_all(c.DataDir(3));
  for (bool join : {false, true}) {
    absl::Status s = c.Start(3, join);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_NE(s.message().find("the state machine has applied up to index"), std::string::npos)
        << s;
    EXPECT_NE(s.message().find("re-seed"), std::string::npos) << s;
  }
}

TEST(DurableTree, FollowerBehindTheLogReceivesTheTreeAsACheckpoint) {
  ServerCluster c(3, Options(), Trees());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  uint64_t lagging = leader % 3 + 1;
  c.Stop(lagging);
  raft::Result last;
  for (uint64_t seq = 1; seq <= 60; ++seq) {
    last = c.WriteUntilDone(ServerCluster::Command(3, seq, CreateCommand("/n-", true)));
    ASSERT_TRUE(last.status.ok());
  }
  ASSERT_TRUE(c.Start(lagging).ok());
  ASSERT_TRUE(c.WaitForApplied(last.index, absl::Seconds(30)));
  EXPECT_GT(c.division(lagging)->Status().snapshot_index(), 0u);
  EXPECT_EQ(ChildrenAt(c, lagging, last.index), 60u);
  // It keeps going from there, and survives its own restart.
  c.Stop(lagging);
  ASSERT_TRUE(c.Start(lagging).ok());
  auto more = c.WriteUntilDone(ServerCluster::Command(3, 61, CreateCommand("/n-", true)));
  ASSERT_TRUE(more.status.ok());
  EXPECT_EQ(ChildrenAt(c, lagging, more.index), 61u);
}

TEST(DurableTree, AFollowerBehindTheLogGetsTheAclsWithTheCheckpoint) {
  ServerCluster c(3, Options(), Trees());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  uint64_t lagging = leader % 3 + 1;
  c.Stop(lagging);
  metastorepb::Id alice;
  alice.set_scheme("digest");
  alice.set_id(DigestId("alice", "pw"));
  metastorepb::Command cmd;
  cmd.set_time_ms(1);
  *cmd.add_auth() = alice;
  auto* create = cmd.mutable_multi()->add_ops()->mutable_create();
  create->set_path("/private");
  create->set_data("p");
  auto* acl = create->add_acl();
  acl->set_perms(kPermAll);
  acl->mutable_id()->set_scheme("auth");
  auto* set = cmd.mutable_multi()->add_ops()->mutable_set_acl();
  set->set_path("/private");
  *set->add_acl() = *acl;
  set->mutable_acl(0)->set_perms(kPermRead | kPermAdmin);
  set->set_version(0);
  auto made = WriteReply(c.WriteUntilDone(ServerCluster::Command(5, 1, cmd.SerializeAsString())));
  ASSERT_EQ(made.error(), metastorepb::OK) << made.message();
  raft::Result last;
  for (uint64_t seq = 1; seq <= 60; ++seq) {  // past the log the leader keeps
    last = c.WriteUntilDone(ServerCluster::Command(3, seq, CreateCommand("/n-", true)));
    ASSERT_TRUE(last.status.ok());
  }
  ASSERT_TRUE(c.Start(lagging).ok());
  ASSERT_TRUE(c.WaitForApplied(last.index, absl::Seconds(30)));
  EXPECT_GT(c.division(lagging)->Status().snapshot_index(), 0u);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "from the checkpoint" : "restarted");
    metastorepb::Query get;
    get.mutable_get_data()->set_path("/private");
    EXPECT_EQ(AskAt(c, lagging, last.index, get).error(), metastorepb::NO_AUTH);
    *get.add_auth() = alice;
    EXPECT_EQ(AskAt(c, lagging, last.index, get).data(), "p");
    metastorepb::Query get_acl;
    get_acl.mutable_get_acl()->set_path("/private");
    *get_acl.add_auth() = alice;
    auto got = AskAt(c, lagging, last.index, get_acl);
    ASSERT_EQ(got.error(), metastorepb::OK) << got.message();
    ASSERT_EQ(got.acl_size(), 1);
    EXPECT_EQ(got.acl(0).perms(), kPermRead | kPermAdmin);
    EXPECT_EQ(got.acl(0).id().id(), alice.id());
    EXPECT_EQ(got.stat().aversion(), 1);
    c.Stop(lagging);
    ASSERT_TRUE(c.Start(lagging).ok());
  }
}

}  // namespace
}  // namespace warren::metastore
