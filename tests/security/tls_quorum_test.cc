// A real quorum of three warrend processes with TLS on, and callers that try what the issue's
// attacker would: plaintext, certificates from another CA, a client's certificate on the peer
// service, a member's certificate speaking for another member, and a certificate rotated on
// disk while the members run.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/data_layout.h"
#include "proto/metastore.grpc.pb.h"
#include "proto/raft_service.grpc.pb.h"
#include "raft/transport/message_limits.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

// A PKI made by MAKE_CERTS in the quorum's directory: ca.pem signs member-1..3 and alice;
// rogue-ca.pem signs rogue (common name member-1).
class TlsQuorum : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = c_.dir() + "/pki";
    fs::create_directories(pki_);
    MakeCerts({"member-1", "member-2", "member-3", "alice"});
    c_.set_member_flags([this](uint64_t id) {
      const std::string name = absl::StrCat(pki_, "/member-", id);
      return std::vector<std::string>{"--tls-ca=" + pki_ + "/ca.pem", "--tls-cert=" + name + ".pem",
                                      "--tls-key=" + name + ".key", "--tls-reload-seconds=1",
                                      "--tls-admin-cn=admin"};
    });
    c_.set_client_tls(Files("", "ca"));
  }

  void MakeCerts(const std::vector<std::string>& names) {
    std::string command = absl::StrCat(MAKE_CERTS, " ", pki_);
    for (const auto& n : names) absl::StrAppend(&command, " ", n);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // `name`'s certificate and key (none if empty), trusting `ca`.
  TlsFiles Files(const std::string& name, const std::string& ca) const {
    TlsFiles tls;
    tls.ca = absl::StrCat(pki_, "/", ca, ".pem");
    if (!name.empty()) {
      tls.cert = absl::StrCat(pki_, "/", name, ".pem");
      tls.key = absl::StrCat(pki_, "/", name, ".key");
    }
    return tls;
  }

  std::shared_ptr<grpc::Channel> Channel(uint64_t member, const TlsFiles& tls) {
    return MemberChannel(c_.Address(member), raft::kMaxMessageBytes, tls);
  }

  uint64_t TermOf(uint64_t member) {
    auto st = c_.Client()->MemberStatus(c_.Address(member), absl::Seconds(5));
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? st->raft().term() : 0;
  }

  // One RaftPeer.Stream call over `channel` carrying a heartbeat from `from` to `to` in `term`.
  static grpc::Status Heartbeat(grpc::Channel* channel, uint64_t from, uint64_t to, uint64_t term) {
    auto stub = raftpb::RaftPeer::NewStub(std::shared_ptr<grpc::Channel>(channel, [](auto*) {}));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    raftpb::StreamAck ack;
    auto writer = stub->Stream(&ctx, &ack);
    raftpb::Envelope env;
    env.set_group(metastore::kMetastoreGroup);
    raftpb::Message* m = env.add_messages();
    m->set_type(raftpb::MSG_HEARTBEAT);
    m->set_from(from);
    m->set_to(to);
    m->set_term(term);
    writer->Write(env);
    writer->WritesDone();
    return writer->Finish();
  }

  MetastoreCluster c_;
  std::string pki_;
};

TEST_F(TlsQuorum, ServesClientsThatTrustItsCaAndNoOneOverPlaintextOrAnotherCa) {
  c_.StartAll();
  ASSERT_NE(c_.WaitForLeader(), 0u);
  auto client = c_.Client();
  ASSERT_TRUE(client->Create("/tls", "over TLS").ok());
  auto read = client->GetData("/tls");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->data, "over TLS");
  auto cli = c_.Cli({"get", "/tls"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("over TLS"), std::string::npos) << cli.out;

  for (const auto& [what, tls] : {std::pair{"plaintext", TlsFiles{}},
                                  {"a client trusting another CA", Files("", "rogue-ca")}}) {
    ClientOptions options = c_.Options(absl::Seconds(3));
    options.tls = tls;
    auto other = c_.Client(options);
    auto refused = other->GetData("/tls");
    EXPECT_FALSE(refused.ok()) << what << " read the node";
  }
  // A certificate of another CA, even one calling itself member-1, is not taken.
  ClientOptions rogue = c_.Options(absl::Seconds(3));
  rogue.tls = Files("rogue", "ca");
  EXPECT_FALSE(c_.Client(rogue)->GetData("/tls").ok());
}

TEST_F(TlsQuorum, TakesRaftMessagesOnlyFromAMembersCertificateAndOnlyInItsOwnName) {
  c_.StartAll();
  const uint64_t leader = c_.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t target = leader % 3 + 1;
  const uint64_t other = target % 3 + 1;
  const uint64_t term = TermOf(target);
  ASSERT_NE(term, 0u);

  // A client's certificate, a client with none, and a certificate of another CA: the call is
  // refused before any message is read.
  for (const auto& [what, tls] : {std::pair{"alice's certificate", Files("alice", "ca")},
                                  {"no certificate", Files("", "ca")}}) {
    auto channel = Channel(target, tls);
    grpc::Status s = Heartbeat(channel.get(), other, target, term + 100);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << what << ": " << s.error_message();
  }
  auto rogue = Channel(target, Files("rogue", "ca"));
  EXPECT_FALSE(Heartbeat(rogue.get(), other, target, term + 100).ok());

  // A member's certificate (`other`'s) speaking for the third member: refused.
  const uint64_t third = 6 - target - other;
  auto member = Channel(target, Files(absl::StrCat("member-", other), "ca"));
  EXPECT_TRUE(Heartbeat(member.get(), third, target, term + 100).ok());

  // None of it reached the core: a heartbeat 100 terms ahead would have moved its term.
  EXPECT_LT(TermOf(target), term + 100);
  auto client = c_.Client();
  EXPECT_TRUE(client->Create("/still-serving", "").ok());
}

TEST_F(TlsQuorum, TakesForwardsAndKeepAliveRelaysOnlyFromMembers) {
  c_.StartAll();
  const uint64_t leader = c_.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader % 3 + 1;

  // What a client would forward to skip the ACL checks: a write carrying the superuser's id.
  metastorepb::ForwardRequest forward;
  forward.mutable_command()->add_auth()->set_scheme("super");
  auto* create = forward.mutable_command()->mutable_multi()->add_ops()->mutable_create();
  create->set_path("/forged");
  auto alice = metastorepb::Metastore::NewStub(Channel(leader, Files("alice", "ca")));
  {
    grpc::ClientContext ctx;
    metastorepb::ForwardResponse resp;
    grpc::Status s = alice->Forward(&ctx, forward, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  }
  {  // Nor in a batch.
    grpc::ClientContext ctx;
    metastorepb::ForwardBatchRequest batch;
    *batch.add_writes() = forward;
    metastorepb::ForwardBatchResponse resp;
    grpc::Status s = alice->ForwardBatch(&ctx, batch, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  }
  // A member relaying keep-alives in another member's name.
  metastorepb::KeepAlivesRequest relay;
  relay.set_from(6 - leader - follower);
  relay.add_session_ids(1);
  auto member = metastorepb::Metastore::NewStub(
      Channel(leader, Files(absl::StrCat("member-", follower), "ca")));
  {
    grpc::ClientContext ctx;
    metastorepb::KeepAlivesResponse resp;
    grpc::Status s = member->RelayKeepAlives(&ctx, relay, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  {  // In its own name it is taken.
    relay.set_from(follower);
    grpc::ClientContext ctx;
    metastorepb::KeepAlivesResponse resp;
    EXPECT_TRUE(member->RelayKeepAlives(&ctx, relay, &resp).ok());
  }
  auto forged = c_.Client()->Exists("/forged");
  ASSERT_TRUE(forged.ok()) << forged.status();
  EXPECT_FALSE(forged->has_value());
}

TEST_F(TlsQuorum, RefusesClientsWithoutACertificateWhenAskedTo) {
  c_.set_member_flags([this](uint64_t id) {
    const std::string name = absl::StrCat(pki_, "/member-", id);
    return std::vector<std::string>{"--tls-ca=" + pki_ + "/ca.pem", "--tls-cert=" + name + ".pem",
                                    "--tls-key=" + name + ".key", "--tls-require-client-cert"};
  });
  c_.set_client_tls(Files("alice", "ca"));
  c_.StartAll();
  ASSERT_NE(c_.WaitForLeader(), 0u);
  EXPECT_TRUE(c_.Client()->Create("/alice", "").ok());
  ClientOptions anonymous = c_.Options(absl::Seconds(3));
  anonymous.tls = Files("", "ca");
  EXPECT_FALSE(c_.Client(anonymous)->Exists("/alice").ok());
}

TEST_F(TlsQuorum, ChangesMembershipAndTakesSnapshotsOnlyForAnAdminsOrAMembersCertificate) {
  MakeCerts({"admin"});
  c_.StartAll();  // every member with --tls-admin-cn=admin (SetUp's flags)
  const uint64_t leader = c_.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto alice = metastorepb::Metastore::NewStub(Channel(leader, Files("alice", "ca")));
  {
    grpc::ClientContext ctx;
    metastorepb::SnapshotResponse resp;
    grpc::Status s = alice->TakeSnapshot(&ctx, metastorepb::SnapshotRequest(), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  {
    raftpb::MembershipRequest remove;
    remove.set_op(raftpb::MembershipRequest::REMOVE);
    remove.set_id(leader % 3 + 1);
    grpc::ClientContext ctx;
    metastorepb::MembershipResponse resp;
    grpc::Status s = alice->ChangeMembership(&ctx, remove, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    auto reader = alice->Backup(&ctx, metastorepb::BackupRequest());
    metastorepb::BackupChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  auto members = c_.Client()->MemberStatus(c_.Address(leader), absl::Seconds(5));
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_EQ(members->raft().members_size(), 3);

  // Through the CLI: refused to alice, done for the admin.
  c_.set_client_tls(Files("alice", "ca"));
  auto refused = c_.Cli({"snapshot"});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.err.find("admin"), std::string::npos) << refused.err;
  c_.set_client_tls(Files("admin", "ca"));
  auto taken = c_.Cli({"snapshot"});
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
}

TEST_F(TlsQuorum, ServesARotatedCertificateWithoutARestart) {
  c_.StartAll();
  ASSERT_NE(c_.WaitForLeader(), 0u);
  auto presented = [this] {
    auto channel = Channel(1, Files("", "ca"));
    auto stub = metastorepb::Metastore::NewStub(channel);
    grpc::ClientContext ctx;
    metastorepb::StatusResponse resp;
    if (!stub->Status(&ctx, metastorepb::StatusRequest(), &resp).ok()) return std::string();
    auto pem = ctx.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    return pem.empty() ? std::string() : std::string(pem.front().data(), pem.front().size());
  };
  const std::string before = presented();
  ASSERT_FALSE(before.empty());

  // A new certificate for member 1, made aside and moved into place as an operator would.
  const std::string next = pki_ + "/next";
  fs::create_directories(next);
  for (const char* f : {"ca.pem", "ca.key", "rogue-ca.pem"}) {
    fs::copy_file(pki_ + "/" + f, next + "/" + f);
  }
  ASSERT_EQ(std::system(absl::StrCat(MAKE_CERTS, " ", next, " member-1").c_str()), 0);
  fs::rename(next + "/member-1.key", pki_ + "/member-1.key");
  fs::rename(next + "/member-1.pem", pki_ + "/member-1.pem");

  std::string after;
  EXPECT_TRUE(Eventually(
      [&] {
        after = presented();
        return !after.empty() && after != before;
      },
      absl::Seconds(30)))
      << "member 1 still presents its old certificate";
  // The group still works with the member on its new certificate.
  EXPECT_TRUE(c_.Client()->Create("/rotated", "").ok());
}

}  // namespace
}  // namespace warren::testing
