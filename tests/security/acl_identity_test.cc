// The znode ACLs on the gRPC API of a real quorum with TLS on: the member names each caller
// from the call itself (ip:<address>, x509:<certificate subject>, digest:... from warren-auth
// credentials, super), and a caller without the identity an ACL asks for is refused, through
// any member, for reads, writes and watches; the same ACL set through ZooKeeper's port holds
// on the gRPC API.
#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/acl.h"
#include "metastore/errors.h"
#include "proto/metastore.grpc.pb.h"
#include "raft/transport/message_limits.h"
#include "tests/integration/eventually.h"
#include "tests/integration/metastore_cluster.h"
#include "tests/security/test_pki.h"

namespace warren::testing {
namespace {

using metastore::DigestId;

constexpr int32_t kRead = 1, kAll = 31;

metastorepb::Acl Entry(int32_t perms, const std::string& scheme, const std::string& id) {
  metastorepb::Acl a;
  a.set_perms(perms);
  a.mutable_id()->set_scheme(scheme);
  a.mutable_id()->set_id(id);
  return a;
}

// Who calls: a certificate (none if empty) and warren-auth values.
struct Caller {
  std::string cert;
  std::vector<std::string> auth;
};

// A PKI made by make_certs.sh (ca.pem signs member-1..3, alice and bob, each of subject
// /O=warren-test/CN=NAME), and a quorum whose members take clients with or without a
// certificate, know the superuser super:test, and serve ZooKeeper's port too.
class AclIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string failed;
    ASSERT_TRUE(pki_.Make({"alice", "bob"}, &failed)) << failed;
    for (uint64_t id = 1; id <= 3; ++id) zk_ports_[id] = FreeLoopbackPort();
    c_.set_member_flags([this](uint64_t id) {
      std::vector<std::string> flags = pki_.MemberFlags(id);
      flags.push_back("--super-digest=" + DigestId("super", "test"));
      flags.push_back(absl::StrCat("--zk-port=", zk_ports_[id]));
      return flags;
    });
    c_.set_client_tls(Files(""));
    c_.StartAll();
    leader_ = c_.WaitForLeader();
    ASSERT_NE(leader_, 0u);
    follower_ = leader_ % 3 + 1;
    // Every member serves once it has heard from the leader (until then: LeaderUnreachable).
    for (uint64_t member = 1; member <= 3; ++member) {
      ASSERT_TRUE(Eventually([&] { return Get(member, super_, "/") == metastorepb::OK; },
                             absl::Seconds(30)))
          << "member " << member;
    }
  }

  TlsFiles Files(const std::string& name) const { return pki_.Files(name); }

  std::unique_ptr<metastorepb::Metastore::Stub> Stub(uint64_t member, const Caller& who) {
    return metastorepb::Metastore::NewStub(
        MemberChannel(c_.Address(member), raft::kMaxMessageBytes, Files(who.cert)));
  }
  static void Prepare(grpc::ClientContext* ctx, const Caller& who) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    for (const auto& a : who.auth) ctx->AddMetadata("warren-auth", a);
  }
  // The call's metastore error (its response's header, read once `call` has run);
  // SYSTEM_ERROR if the call itself failed.
  template <typename Resp>
  static metastorepb::Error ErrorOf(const grpc::Status& s, const Resp& resp) {
    EXPECT_TRUE(s.ok()) << s.error_message();
    return s.ok() ? resp.header().error() : metastorepb::SYSTEM_ERROR;
  }

  metastorepb::Error Create(uint64_t member, const Caller& who, const std::string& path,
                            const std::string& data, std::vector<metastorepb::Acl> acl) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::CreateRequest req;
    req.set_path(path);
    req.set_data(data);
    for (auto& a : acl) *req.add_acl() = std::move(a);
    metastorepb::CreateResponse resp;
    return ErrorOf(Stub(member, who)->Create(&ctx, req, &resp), resp);
  }
  metastorepb::Error Set(uint64_t member, const Caller& who, const std::string& path,
                         const std::string& data) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::SetDataRequest req;
    req.set_path(path);
    req.set_data(data);
    metastorepb::SetDataResponse resp;
    return ErrorOf(Stub(member, who)->SetData(&ctx, req, &resp), resp);
  }
  metastorepb::Error SetAclByMulti(uint64_t member, const Caller& who, const std::string& path,
                                   std::vector<metastorepb::Acl> acl) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::MultiRequest req;
    auto* set = req.add_ops()->mutable_set_acl();
    set->set_path(path);
    for (auto& a : acl) *set->add_acl() = std::move(a);
    metastorepb::MultiResponse resp;
    return ErrorOf(Stub(member, who)->Multi(&ctx, req, &resp), resp);
  }
  // Reads `path` at `member`; `data` gets what was read.
  metastorepb::Error Get(uint64_t member, const Caller& who, const std::string& path,
                         std::string* data = nullptr, std::string* message = nullptr) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::GetDataRequest req;
    req.set_path(path);
    metastorepb::GetDataResponse resp;
    const auto e = ErrorOf(Stub(member, who)->GetData(&ctx, req, &resp), resp);
    if (data != nullptr) *data = resp.data();
    if (message != nullptr) *message = resp.header().message();
    return e;
  }
  metastorepb::Error Children(uint64_t member, const Caller& who, const std::string& path) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::GetChildrenRequest req;
    req.set_path(path);
    metastorepb::GetChildrenResponse resp;
    return ErrorOf(Stub(member, who)->GetChildren(&ctx, req, &resp), resp);
  }
  // What the superuser reads of `path`, at the leader.
  std::string Truth(const std::string& path) {
    std::string data;
    EXPECT_EQ(Get(leader_, super_, path, &data), metastorepb::OK);
    return data;
  }

  // Opens a session and a session stream at `member` as `who`, attaches, asks for a
  // persistent watch on `path`: the watch ack's error.
  metastorepb::Error AddWatch(uint64_t member, const Caller& who, const std::string& path) {
    auto stub = Stub(member, who);
    uint64_t session = 0;
    std::string password;
    {
      grpc::ClientContext ctx;
      Prepare(&ctx, who);
      metastorepb::CreateSessionRequest req;
      req.set_timeout_ms(10000);
      metastorepb::CreateSessionResponse resp;
      if (ErrorOf(stub->CreateSession(&ctx, req, &resp), resp) != metastorepb::OK) {
        return resp.header().error();
      }
      session = resp.session_id();
      password = resp.password();
    }
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    auto stream = stub->Session(&ctx);
    metastorepb::SessionRequest attach;
    attach.set_attach(session);
    attach.set_password(password);
    stream->Write(attach);
    metastorepb::SessionRequest watch;
    watch.mutable_add_watch()->set_path(path);
    watch.mutable_add_watch()->set_kind(metastorepb::WATCH_PERSISTENT);
    stream->Write(watch);
    metastorepb::SessionEvent e;
    metastorepb::Error result = metastorepb::SYSTEM_ERROR;
    while (stream->Read(&e)) {
      if (e.has_closed()) {
        ADD_FAILURE() << "stream closed: " << e.closed().message();
        break;
      }
      if (e.has_watch_ack()) {
        result = e.watch_ack().header().error();
        break;
      }
    }
    ctx.TryCancel();
    stream->Finish();
    return result;
  }

  MetastoreCluster c_;
  TestPki pki_{c_.dir() + "/pki"};
  std::map<uint64_t, int> zk_ports_;
  uint64_t leader_ = 0;
  uint64_t follower_ = 0;
  const Caller nobody_{};
  const Caller bob_{"", {"digest bob:secret"}};
  const Caller super_{"", {"digest super:test"}};
};

TEST_F(AclIdentity, DigestAclRefusesUnauthenticatedReadsAndWritesThroughAnyMember) {
  // Made through a follower: the forwarded create carries bob's identity, which `auth`
  // stands for.
  ASSERT_EQ(Create(follower_, bob_, "/bob", "v1", {Entry(kAll, "auth", "")}), metastorepb::OK);
  const std::string bob_id = DigestId("bob", "secret");

  for (uint64_t member = 1; member <= 3; ++member) {
    std::string data;
    EXPECT_EQ(Get(member, bob_, "/bob", &data), metastorepb::OK) << "member " << member;
    EXPECT_EQ(data, "v1");
    EXPECT_EQ(Get(member, nobody_, "/bob"), metastorepb::NO_AUTH) << "member " << member;
    EXPECT_EQ(Children(member, nobody_, "/bob"), metastorepb::NO_AUTH) << "member " << member;
    EXPECT_EQ(Get(member, {"", {"digest bob:wrong"}}, "/bob"), metastorepb::NO_AUTH);
    EXPECT_EQ(Get(member, {"alice", {}}, "/bob"), metastorepb::NO_AUTH) << "a certificate";
  }
  // Writes through the leader and through a follower (forwarded): refused without bob's
  // digest, nothing changed; taken with it.
  for (uint64_t member : {leader_, follower_}) {
    EXPECT_EQ(Set(member, nobody_, "/bob", "stolen"), metastorepb::NO_AUTH) << member;
    EXPECT_EQ(Set(member, {"", {"digest bob:wrong"}}, "/bob", "stolen"), metastorepb::NO_AUTH);
    EXPECT_EQ(Create(member, nobody_, "/bob/child", "", {}), metastorepb::NO_AUTH);
    EXPECT_EQ(SetAclByMulti(member, nobody_, "/bob", {Entry(kAll, "world", "anyone")}),
              metastorepb::NO_AUTH);
  }
  EXPECT_EQ(Truth("/bob"), "v1");
  EXPECT_EQ(Children(leader_, bob_, "/bob"), metastorepb::OK) << "no child was made";
  EXPECT_EQ(Set(follower_, bob_, "/bob", "v2"), metastorepb::OK);
  EXPECT_EQ(Truth("/bob"), "v2");
  EXPECT_EQ(Get(leader_, nobody_, "/bob"), metastorepb::NO_AUTH) << "the ACL was not changed";

  // The superuser passes everything, and only with the right password.
  EXPECT_EQ(Set(follower_, super_, "/bob", "v3"), metastorepb::OK);
  EXPECT_EQ(Get(follower_, {"", {"digest super:nottest"}}, "/bob"), metastorepb::NO_AUTH);
  EXPECT_EQ(Truth("/bob"), "v3");

  // The client library sends its credentials on every call.
  ClientOptions options = c_.Options(absl::Seconds(10));
  options.digest = "bob:secret";
  auto client = c_.Client(options);
  auto read = client->GetData("/bob");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->data, "v3");
  EXPECT_EQ(metastore::ErrorOf(c_.Client(absl::Seconds(10))->GetData("/bob").status()),
            metastorepb::NO_AUTH);
  // And so does the CLI, from a file.
  const std::string auth_file = c_.dir() + "/bob.auth";
  ASSERT_EQ(std::system(absl::StrCat("echo digest:bob:secret > ", auth_file).c_str()), 0);
  auto cli = c_.Cli({"--auth-file=" + auth_file, "get", "/bob"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("v3"), std::string::npos) << cli.out;
  EXPECT_NE(c_.Cli({"get", "/bob"}).exit_code, 0);
  auto malformed = c_.Cli({"--auth=bob:secret", "get", "/bob"});
  EXPECT_NE(malformed.exit_code, 0);
  EXPECT_NE(malformed.err.find("digest:USER:PASSWORD"), std::string::npos) << malformed.err;
}

TEST_F(AclIdentity, MalformedCredentialsAreRefusedNotIgnored) {
  ASSERT_EQ(Create(leader_, nobody_, "/open", "x", {}), metastorepb::OK);
  for (const std::string bad : {"digest bob", "digest :secret", "basic bob:secret", "bob:secret"}) {
    std::string message;
    EXPECT_EQ(Get(follower_, {"", {bad}}, "/open", nullptr, &message), metastorepb::AUTH_FAILED)
        << bad;
    EXPECT_NE(message.find("warren-auth"), std::string::npos) << message;
    EXPECT_EQ(Set(follower_, {"", {"digest bob:secret", bad}}, "/open", "y"),
              metastorepb::AUTH_FAILED);
  }
  EXPECT_EQ(Truth("/open"), "x");
}

TEST_F(AclIdentity, X509AclAllowsExactlyTheSubjectItNames) {
  // The subject as RFC 2253 text: most specific first.
  const Caller alice{"alice", {}};
  ASSERT_EQ(
      Create(follower_, nobody_, "/alice", "a", {Entry(kAll, "x509", "CN=alice,O=warren-test")}),
      metastorepb::OK);
  for (uint64_t member = 1; member <= 3; ++member) {
    EXPECT_EQ(Get(member, alice, "/alice"), metastorepb::OK) << member;
    EXPECT_EQ(Get(member, {"bob", {}}, "/alice"), metastorepb::NO_AUTH) << member;
    EXPECT_EQ(Get(member, nobody_, "/alice"), metastorepb::NO_AUTH) << member;
    // A member's certificate is no client identity.
    EXPECT_EQ(Get(member, {"member-1", {}}, "/alice"), metastorepb::NO_AUTH) << member;
  }
  EXPECT_EQ(Set(follower_, {"bob", {}}, "/alice", "b"), metastorepb::NO_AUTH);
  EXPECT_EQ(Set(follower_, alice, "/alice", "a2"), metastorepb::OK);
  EXPECT_EQ(Truth("/alice"), "a2");
  // `auth` made by alice stands for her certificate's subject.
  ASSERT_EQ(Create(leader_, alice, "/alice2", "", {Entry(kAll, "auth", "")}), metastorepb::OK);
  EXPECT_EQ(Get(follower_, alice, "/alice2"), metastorepb::OK);
  EXPECT_EQ(Get(follower_, {"bob", {}}, "/alice2"), metastorepb::NO_AUTH);
}

TEST_F(AclIdentity, IpAclOnLoopbackAllowsALoopbackClient) {
  ASSERT_EQ(Create(leader_, nobody_, "/loopback", "l", {Entry(kRead, "ip", "127.0.0.1")}),
            metastorepb::OK);
  ASSERT_EQ(Create(leader_, nobody_, "/elsewhere", "e", {Entry(kAll, "ip", "10.0.0.0/8")}),
            metastorepb::OK);
  for (uint64_t member = 1; member <= 3; ++member) {
    std::string data;
    EXPECT_EQ(Get(member, nobody_, "/loopback", &data), metastorepb::OK) << member;
    EXPECT_EQ(data, "l");
    EXPECT_EQ(Get(member, nobody_, "/elsewhere"), metastorepb::NO_AUTH) << member;
  }
  EXPECT_EQ(Set(follower_, nobody_, "/loopback", "x"), metastorepb::NO_AUTH) << "READ only";
  EXPECT_EQ(Truth("/loopback"), "l");
}

TEST_F(AclIdentity, AWatchOnAProtectedNodeIsRefused) {
  ASSERT_EQ(Create(leader_, bob_, "/watched", "", {Entry(kAll, "auth", "")}), metastorepb::OK);
  for (uint64_t member : {leader_, follower_}) {
    EXPECT_EQ(AddWatch(member, nobody_, "/watched"), metastorepb::NO_AUTH) << member;
    EXPECT_EQ(AddWatch(member, bob_, "/watched"), metastorepb::OK) << member;
  }
  // A one-shot watch comes with a read, which is refused before the watch is set.
  grpc::ClientContext ctx;
  Prepare(&ctx, nobody_);
  metastorepb::GetDataRequest req;
  req.set_path("/watched");
  req.set_watch(true);
  metastorepb::GetDataResponse resp;
  EXPECT_EQ(ErrorOf(Stub(follower_, nobody_)->GetData(&ctx, req, &resp), resp),
            metastorepb::NO_AUTH);
}

TEST_F(AclIdentity, AdminCallsTakeTheSuperuser) {
  auto snapshot = [&](const Caller& who) {
    grpc::ClientContext ctx;
    Prepare(&ctx, who);
    metastorepb::SnapshotResponse resp;
    return Stub(leader_, who)->TakeSnapshot(&ctx, metastorepb::SnapshotRequest(), &resp);
  };
  EXPECT_EQ(snapshot(nobody_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(snapshot(bob_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(snapshot({"alice", {}}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status s = snapshot(super_);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// ZooKeeper's C client, as bob (addauth digest bob:secret), on one member's ZooKeeper port.
class ZkAs {
 public:
  explicit ZkAs(int port) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zh_ = zookeeper_init(absl::StrCat("127.0.0.1:", port).c_str(), &ZkAs::Ignore, 10000, nullptr,
                         nullptr, 0);
  }
  ~ZkAs() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  zhandle_t* get() const { return zh_; }

 private:
  static void Ignore(zhandle_t*, int, int, const char*, void*) {}
  zhandle_t* zh_ = nullptr;
};

TEST_F(AclIdentity, AnAclSetThroughZooKeepersPortHoldsOnTheGrpcApi) {
  ZkAs zk(zk_ports_[follower_]);
  ASSERT_TRUE(
      Eventually([&] { return zoo_state(zk.get()) == ZOO_CONNECTED_STATE; }, absl::Seconds(30)));
  ASSERT_EQ(zoo_add_auth(zk.get(), "digest", "bob:secret", 10, nullptr, nullptr), ZOK);
  char created[64];
  // ZOO_CREATOR_ALL_ACL: auth, which the member makes digest:bob:<hash>.
  ASSERT_EQ(
      zoo_create(zk.get(), "/zk-bob", "z", 1, &ZOO_CREATOR_ALL_ACL, 0, created, sizeof(created)),
      ZOK);
  for (uint64_t member = 1; member <= 3; ++member) {
    std::string data;
    EXPECT_EQ(Get(member, bob_, "/zk-bob", &data), metastorepb::OK) << member;
    EXPECT_EQ(data, "z");
    EXPECT_EQ(Get(member, nobody_, "/zk-bob"), metastorepb::NO_AUTH) << member;
    EXPECT_EQ(Set(member, nobody_, "/zk-bob", "x"), metastorepb::NO_AUTH) << member;
  }
  EXPECT_EQ(Truth("/zk-bob"), "z");

  // And the other way: bob's ACL set over gRPC keeps an unauthenticated ZooKeeper client out.
  ASSERT_EQ(Create(leader_, bob_, "/grpc-bob", "g", {Entry(kAll, "auth", "")}), metastorepb::OK);
  ZkAs anonymous(zk_ports_[leader_]);
  ASSERT_TRUE(Eventually([&] { return zoo_state(anonymous.get()) == ZOO_CONNECTED_STATE; },
                         absl::Seconds(30)));
  char buf[16];
  int len = sizeof(buf);
  struct Stat stat;
  EXPECT_EQ(zoo_get(anonymous.get(), "/grpc-bob", 0, buf, &len, &stat), ZNOAUTH);
  len = sizeof(buf);
  EXPECT_EQ(zoo_get(zk.get(), "/grpc-bob", 0, buf, &len, &stat), ZOK);
}

}  // namespace
}  // namespace warren::testing
