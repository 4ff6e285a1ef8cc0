// RaftClient against real RaftServers talking gRPC on loopback, all in one process.
#include "raft/client/raft_client.h"

#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/raft_service.grpc.pb.h"
#include "raft/server/raft_server.h"
#include "raft/transport/grpc_transport.h"
#include "raft/transport/message_limits.h"
#include "statemachine/counter_state_machine.h"
#include "tests/integration/process.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

using warren::testing::FreeLoopbackPort;

class GrpcGroup {
 public:
  explicit GrpcGroup(int n) : dir_("grpc-group") {
    for (uint64_t id = 1; id <= static_cast<uint64_t>(n); ++id) {
      members_[id] = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
    }
  }
  ~GrpcGroup() {
    for (auto& [id, s] : servers_) s->Shutdown();
  }
  void Start(uint64_t id) {
    auto server = RaftServer::Create(
        ServerOptions{.id = id, .listen_address = members_[id], .client_service = true},
        std::make_unique<GrpcTransport>());
    ASSERT_TRUE(server.ok());
    GroupOptions g;
    g.group = "counter";
    g.members = members_;
    g.data_dir = dir_.path() + "/" + std::to_string(id);
    g.tick = absl::Milliseconds(20);
    g.dedup_max_clients = dedup_max_clients;
    ASSERT_TRUE((*server)->AddGroup(g, std::make_unique<CounterStateMachine>()).ok());
    ASSERT_TRUE((*server)->Start().ok());
    servers_[id] = std::move(*server);
  }
  void Stop(uint64_t id) {
    servers_.at(id)->Shutdown();
    servers_.erase(id);
  }
  std::unique_ptr<RaftClient> Client(std::map<uint64_t, std::string> members,
                                     absl::Duration deadline = absl::Seconds(30)) {
    ClientOptions o;
    o.group = "counter";
    o.members = std::move(members);
    o.deadline = deadline;
    auto c = RaftClient::Create(o);
    CHECK(c.ok()) << c.status();
    return std::move(*c);
  }
  const std::map<uint64_t, std::string>& members() const { return members_; }
  size_t dedup_max_clients = 100000;  // for members started after it is set

 private:
  testing::TempDir dir_;
  std::map<uint64_t, std::string> members_;
  std::map<uint64_t, std::unique_ptr<RaftServer>> servers_;
};

TEST(RaftClient, WritesAndReadsThroughAnyMember) {
  GrpcGroup g(3);
  for (uint64_t id = 1; id <= 3; ++id) g.Start(id);
  auto client = g.Client(g.members());
  for (int i = 1; i <= 20; ++i) {
    auto r = client->Write("incr 1");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->payload, std::to_string(i));
  }
  auto lin = client->Read("get");
  ASSERT_TRUE(lin.ok()) << lin.status();
  EXPECT_EQ(lin->payload, "20");
  auto seq = client->Read("get", raftpb::SEQUENTIAL);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->payload, "20");  // never older than what this client saw
  auto bad = client->Write("launch rockets");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
}

TEST(RaftClient, AsyncWritesAreEachAppliedOnce) {
  GrpcGroup g(3);
  for (uint64_t id = 1; id <= 3; ++id) g.Start(id);
  auto client = g.Client(g.members());
  std::vector<std::future<absl::StatusOr<ClientReply>>> futures;
  for (int i = 0; i < 300; ++i) futures.push_back(client->WriteAsync("incr 1"));
  std::set<std::string> replies;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status();
    replies.insert(r->payload);
  }
  EXPECT_EQ(replies.size(), 300u);  // every increment saw a distinct value
  EXPECT_EQ(client->Read("get")->payload, "300");
}

TEST(RaftClient, FindsALeaderItWasNotToldAbout) {
  GrpcGroup g(3);
  for (uint64_t id = 1; id <= 3; ++id) g.Start(id);
  auto any = g.Client(g.members());
  ASSERT_TRUE(any->Write("incr 1").ok());
  auto st = any->Status(1);
  ASSERT_TRUE(st.ok());
  uint64_t leader = st->leader();
  uint64_t follower = leader % 3 + 1;
  auto narrow = g.Client({{follower, g.members().at(follower)}});
  auto r = narrow->Write("incr 1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->payload, "2");
}

TEST(RaftClient, SurvivesLeaderLossAndGivesUpClearlyWithoutQuorum) {
  GrpcGroup g(3);
  for (uint64_t id = 1; id <= 3; ++id) g.Start(id);
  auto client = g.Client(g.members(), absl::Seconds(20));
  ASSERT_TRUE(client->Write("incr 1").ok());
  uint64_t leader = client->Status(1)->leader();
  g.Stop(leader);
  auto r = client->Write("incr 1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->payload, "2");

  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) g.Stop(id);
  }
  auto hopeless = g.Client(g.members(), absl::Seconds(1));
  auto fail = hopeless->Write("incr 1");
  EXPECT_EQ(fail.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(fail.status().message().find("127.0.0.1:"), std::string::npos) << fail.status();
}

TEST(RaftClient, AForgottenClientsNextWriteAfterItsLeaderDiedIsApplied) {
  // Found in review: the write first went to the dead leader, the connection was refused,
  // and the attempt at the new leader was marked a retry, which a group that had forgotten
  // the client refused as possibly applied. A request that never left is not a retry.
  GrpcGroup g(3);
  g.dedup_max_clients = 1;  // each new client pushes the last one out of the table
  for (uint64_t id = 1; id <= 3; ++id) g.Start(id);
  auto idle = g.Client(g.members(), absl::Seconds(20));
  ASSERT_TRUE(idle->Write("incr 1").ok());
  ASSERT_TRUE(idle->Write("incr 1").ok());
  auto other = g.Client(g.members(), absl::Seconds(20));
  ASSERT_TRUE(other->Write("incr 10").ok());  // the idle client is forgotten
  g.Stop(idle->Status(1)->leader());
  auto r = idle->Write("incr 100");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->payload, "112");
}

TEST(RaftClient, ServerRejectsMalformedRequestsWithoutApplyingThem) {
  GrpcGroup g(1);
  g.Start(1);
  auto stub = raftpb::RaftClientService::NewStub(
      grpc::CreateChannel(g.members().at(1), grpc::InsecureChannelCredentials()));
  auto call = [&](const raftpb::ClientRequest& req) {
    grpc::ClientContext ctx;
    raftpb::ClientReply reply;
    EXPECT_TRUE(stub->Call(&ctx, req, &reply).ok());
    return reply;
  };
  raftpb::ClientRequest no_seq;
  no_seq.set_group("counter");
  no_seq.set_client_id(5);
  no_seq.set_write("incr 1");
  raftpb::ClientReply r = call(no_seq);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(r.message().find("seq"), std::string::npos) << r.message();
  raftpb::ClientRequest other_group = no_seq;
  other_group.set_group("nope");
  other_group.set_seq(1);
  r = call(other_group);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_NE(r.message().find("nope"), std::string::npos);
  auto client = g.Client(g.members());
  EXPECT_EQ(client->Read("get")->payload, "0");
}

TEST(RaftClient, AWriteOverTheGroupLimitIsRefusedAndNotRetried) {
  GrpcGroup g(1);
  g.Start(1);
  auto client = g.Client(g.members());
  GroupOptions defaults;
  auto r = client->Write(std::string(defaults.max_command_bytes + 1, 'x'));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("max_command_bytes"), std::string::npos) << r.status();
  auto huge = client->Write(std::string(kMaxMessageBytes, 'x'));  // gRPC would not send it
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument) << huge.status();
  EXPECT_EQ(client->Read("get")->payload, "0");
  EXPECT_EQ(client->Write("incr 2")->payload, "2");
}

TEST(RaftClient, TheClientServiceIsServedOnlyWhenTheServerOptsIn) {
  testing::TempDir dir("no-client-service");
  const std::string address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto server = RaftServer::Create(ServerOptions{.id = 1, .listen_address = address},
                                   std::make_unique<GrpcTransport>());
  ASSERT_TRUE(server.ok());
  GroupOptions g;
  g.group = "counter";
  g.members = {{1, address}};
  g.data_dir = dir.path();
  ASSERT_TRUE((*server)->AddGroup(g, std::make_unique<CounterStateMachine>()).ok());
  ASSERT_TRUE((*server)->Start().ok());
  auto stub = raftpb::RaftClientService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  raftpb::ClientRequest req;
  req.set_group("counter");
  req.set_client_id(1);
  req.set_seq(1);
  req.set_first_incomplete_seq(1);
  req.set_write("set 42");
  grpc::ClientContext ctx;
  raftpb::ClientReply reply;
  grpc::Status gs = stub->Call(&ctx, req, &reply);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::UNIMPLEMENTED) << gs.error_message();
  (*server)->Shutdown();
}

}  // namespace
}  // namespace warren::raft
