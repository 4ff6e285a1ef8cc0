// A quorum whose members serve clients on addresses of their own (--client-address): clients
// are served there, through every member, sessions and forwarded writes included; the calls of
// members and administrators are refused there and served on the members' own addresses, which
// in turn refuse clients' calls.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/metastore.grpc.pb.h"
#include "proto/raft_service.grpc.pb.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

class SeparateDoors : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t id = 1; id <= 3; ++id) {
      client_addresses_[id] = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
    }
    c_.set_member_flags([this](uint64_t id) {
      return std::vector<std::string>{"--client-address=" + client_addresses_[id]};
    });
    c_.StartAll();
    leader_ = c_.WaitForLeader();
    ASSERT_NE(leader_, 0u);
  }

  std::unique_ptr<metastorepb::Metastore::Stub> Stub(const std::string& address) {
    return metastorepb::Metastore::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  // A client of member `id`'s client address alone.
  std::unique_ptr<MetastoreClient> ClientOf(uint64_t id) {
    ClientOptions o = c_.Options();
    o.endpoints = {client_addresses_[id]};
    return c_.Client(o);
  }

  MetastoreCluster c_;
  std::map<uint64_t, std::string> client_addresses_;
  uint64_t leader_ = 0;
};

TEST_F(SeparateDoors, ClientsAreServedOnTheClientAddressesThroughEveryMember) {
  for (uint64_t id = 1; id <= 3; ++id) {  // followers forward to the leader's own address
    auto client = ClientOf(id);
    ASSERT_TRUE(client->Create(absl::StrCat("/door-", id), "x").ok()) << "member " << id;
    ASSERT_TRUE(client->StartSession(absl::Seconds(10)).ok()) << "member " << id;
    metastore::CreateOptions ephemeral;
    ephemeral.ephemeral = true;
    EXPECT_TRUE(client->Create(absl::StrCat("/session-", id), "", ephemeral).ok());
    auto read = client->GetData(absl::StrCat("/door-", id));
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->data, "x");
    EXPECT_TRUE(client->CloseSession().ok());
  }
  auto other = ClientOf(leader_ % 3 + 1);
  auto children = other->GetChildren("/");
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_EQ(children->children.size(), 4u);  // three /door-N, and /zookeeper
}

TEST_F(SeparateDoors, TheClientAddressRefusesMembersAndAdministratorsCalls) {
  for (uint64_t id : {leader_, leader_ % 3 + 1}) {
    auto stub = Stub(client_addresses_[id]);
    auto refused = [](const grpc::Status& s) {
      return s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
             s.error_message().find("--client-address") != std::string::npos;
    };
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      metastorepb::SnapshotResponse resp;
      EXPECT_TRUE(refused(stub->TakeSnapshot(&ctx, {}, &resp))) << "TakeSnapshot at " << id;
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      raftpb::MembershipRequest req;
      req.set_op(raftpb::MembershipRequest::REMOVE);
      req.set_id(leader_ % 3 + 1);
      metastorepb::MembershipResponse resp;
      EXPECT_TRUE(refused(stub->ChangeMembership(&ctx, req, &resp))) << "ChangeMembership";
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      metastorepb::ForwardResponse resp;
      EXPECT_TRUE(refused(stub->Forward(&ctx, {}, &resp))) << "Forward";
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      metastorepb::ForwardBatchResponse resp;
      EXPECT_TRUE(refused(stub->ForwardBatch(&ctx, {}, &resp))) << "ForwardBatch";
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      metastorepb::KeepAlivesResponse resp;
      EXPECT_TRUE(refused(stub->RelayKeepAlives(&ctx, {}, &resp))) << "RelayKeepAlives";
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      auto reader = stub->Backup(&ctx, {});
      metastorepb::BackupChunk chunk;
      EXPECT_FALSE(reader->Read(&chunk));
      EXPECT_TRUE(refused(reader->Finish())) << "Backup";
    }
    {
      // Raft's own service is not there at all.
      auto raft = raftpb::RaftPeer::NewStub(
          grpc::CreateChannel(client_addresses_[id], grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      Deadline(&ctx);
      raftpb::StreamAck ack;
      auto writer = raft->Stream(&ctx, &ack);
      writer->WritesDone();
      EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
    }
    grpc::ClientContext ctx;
    Deadline(&ctx);
    metastorepb::StatusResponse status;
    EXPECT_TRUE(stub->Status(&ctx, {}, &status).ok()) << "Status is served at both";
  }
  // Nothing was done: all three are members still, and the leader took no snapshot.
  auto st = c_.Client()->MemberStatus(c_.Address(leader_), absl::Seconds(5));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->raft().members_size(), 3);
}

TEST_F(SeparateDoors, TheMembersOwnAddressServesAdministratorsAndRefusesClients) {
  auto snapshot = c_.Cli({"snapshot"});
  EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
  auto stub = Stub(c_.Address(leader_));
  grpc::ClientContext ctx;
  Deadline(&ctx);
  metastorepb::GetDataRequest req;
  req.set_path("/");
  metastorepb::GetDataResponse resp;
  const grpc::Status s = stub->GetData(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("client address"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace warren::testing
