// A real quorum of three warrend processes with TLS on, and a second client that has learned
// another's session id (not its password) and tries what the attacker would: close
// the session, attach to it, keep it alive, create an ephemeral in it, set a watch for it.
// Every attempt is made at each member (the leader and the followers that forward), over the
// gRPC API directly, as an attacker would not use Warren's client.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/metastore.grpc.pb.h"
#include "raft/transport/message_limits.h"
#include "tests/integration/metastore_cluster.h"
#include "tests/security/test_pki.h"

namespace warren::testing {
namespace {

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// Every member on a TestPki, clients trusting its CA.
class SessionSecrets : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string failed;
    ASSERT_TRUE(pki_.Make({}, &failed)) << failed;
    c_.set_member_flags([this](uint64_t id) { return pki_.MemberFlags(id); });
    c_.set_client_tls(pki_.Files(""));
    c_.StartAll();
    ASSERT_NE(c_.WaitForLeader(), 0u);
  }

  std::unique_ptr<metastorepb::Metastore::Stub> Stub(uint64_t member) {
    return metastorepb::Metastore::NewStub(
        MemberChannel(c_.Address(member), raft::kMaxMessageBytes, pki_.Files("")));
  }

  // The attacker's header: the session's id, and `password` (none if empty).
  static metastorepb::RequestHeader Header(uint64_t session, const std::string& password) {
    metastorepb::RequestHeader h;
    h.set_session_id(session);
    h.set_session_password(password);
    return h;
  }

  static metastorepb::ResponseHeader Close(metastorepb::Metastore::Stub& stub, uint64_t session,
                                           const std::string& password) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(10));
    metastorepb::CloseSessionRequest req;
    *req.mutable_header() = Header(session, password);
    metastorepb::CloseSessionResponse resp;
    grpc::Status s = stub.CloseSession(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.header();
  }

  static metastorepb::ResponseHeader CreateEphemeral(metastorepb::Metastore::Stub& stub,
                                                     uint64_t session, const std::string& password,
                                                     const std::string& path) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(10));
    metastorepb::CreateRequest req;
    *req.mutable_header() = Header(session, password);
    req.set_path(path);
    req.set_ephemeral(true);
    metastorepb::CreateResponse resp;
    grpc::Status s = stub.Create(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.header();
  }

  static metastorepb::ResponseHeader Watch(metastorepb::Metastore::Stub& stub, uint64_t session,
                                           const std::string& password, const std::string& path) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(10));
    metastorepb::ExistsRequest req;
    *req.mutable_header() = Header(session, password);
    req.mutable_header()->set_consistency(raftpb::LINEARIZABLE);
    req.set_path(path);
    req.set_watch(true);
    metastorepb::ExistsResponse resp;
    grpc::Status s = stub.Exists(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.header();
  }

  // Attaches to `session` with `password` and keeps it alive: what the member answers first.
  static metastorepb::SessionEvent AttachAndKeepAlive(metastorepb::Metastore::Stub& stub,
                                                      uint64_t session, const std::string& password,
                                                      uint64_t seen) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(10));
    auto stream = stub.Session(&ctx);
    metastorepb::SessionRequest attach;
    attach.set_attach(session);
    attach.set_password(password);
    attach.set_seen_zxid(seen);
    stream->Write(attach);
    metastorepb::SessionRequest keep_alive;
    keep_alive.set_keep_alive(true);
    stream->Write(keep_alive);
    metastorepb::SessionEvent first;
    EXPECT_TRUE(stream->Read(&first)) << "the member said nothing";
    ctx.TryCancel();
    return first;
  }

  MetastoreCluster c_;
  TestPki pki_{c_.dir() + "/pki"};
};

TEST_F(SessionSecrets, AClientWithTheIdButNotThePasswordCannotCloseAttachOrWriteInTheSession) {
  auto owner = c_.Client(absl::Seconds(10));
  ASSERT_TRUE(owner->StartSession(absl::Seconds(10)).ok());
  const uint64_t id = owner->session_id();
  ASSERT_TRUE(owner->Create("/owned", "", {.ephemeral = true}).ok());
  ASSERT_TRUE(owner->Create("/watched", "").ok());
  const uint64_t seen = owner->last_zxid();

  for (uint64_t member = 1; member <= 3; ++member) {
    auto stub = Stub(member);
    for (const std::string& guess : {std::string(), std::string(16, '\0'), std::string("x")}) {
      const std::string what =
          absl::StrCat("at member ", member, " with a password of ", guess.size(), " bytes");
      auto closed = Close(*stub, id, guess);
      EXPECT_EQ(closed.error(), metastorepb::AUTH_FAILED) << what << ": " << closed.message();
      EXPECT_NE(closed.message().find(absl::StrCat("0x", absl::Hex(id))), std::string::npos)
          << closed.message();

      auto created = CreateEphemeral(*stub, id, guess, absl::StrCat("/stolen-", member));
      EXPECT_EQ(created.error(), metastorepb::AUTH_FAILED) << what << ": " << created.message();

      auto watched = Watch(*stub, id, guess, "/watched");
      EXPECT_EQ(watched.error(), metastorepb::AUTH_FAILED) << what << ": " << watched.message();

      auto attached = AttachAndKeepAlive(*stub, id, guess, seen);
      ASSERT_TRUE(attached.has_closed()) << what << ": " << attached.DebugString();
      EXPECT_EQ(attached.closed().error(), metastorepb::SESSION_EXPIRED)
          << what << ": " << attached.closed().message();
    }
  }

  // Nothing of it reached the session: it lives, it owns /owned and nothing else, and its
  // owner still uses and closes it.
  auto owned = owner->Exists("/owned");
  ASSERT_TRUE(owned.ok()) << owned.status();
  ASSERT_TRUE(owned->has_value()) << "the session was closed by a client without its password";
  EXPECT_EQ((*owned)->ephemeral_owner(), static_cast<int64_t>(id));
  for (uint64_t member = 1; member <= 3; ++member) {
    auto stolen = owner->Exists(absl::StrCat("/stolen-", member));
    ASSERT_TRUE(stolen.ok()) << stolen.status();
    EXPECT_FALSE(stolen->has_value()) << "an ephemeral was created in another's session";
  }
  ASSERT_TRUE(owner->Create("/owned-too", "", {.ephemeral = true}).ok());
  ASSERT_TRUE(owner->SetData("/watched", "changed").ok());
  ASSERT_TRUE(owner->CloseSession().ok());
  auto gone = c_.Client()->Exists("/owned");
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_FALSE(gone->has_value());
}

// The owner stops keeping its session alive; an attacker who knows the id attaches and sends
// keep-alives at every member all along. Refused, they keep nothing alive: the session
// expires, and its ephemeral goes.
TEST_F(SessionSecrets, AnotherClientsKeepAlivesDoNotKeepASessionAlive) {
  auto owner = c_.Client(absl::Seconds(10));
  ASSERT_TRUE(owner->StartSession(absl::Seconds(2)).ok());
  const uint64_t id = owner->session_id();
  ASSERT_TRUE(owner->Create("/abandoned", "", {.ephemeral = true}).ok());
  const uint64_t seen = owner->last_zxid();
  owner->AbandonSession();

  std::vector<std::unique_ptr<metastorepb::Metastore::Stub>> stubs;
  for (uint64_t member = 1; member <= 3; ++member) stubs.push_back(Stub(member));
  auto observer = c_.Client();
  bool refused_every_time = true;
  const bool expired = Eventually(
      [&] {
        for (auto& stub : stubs) {
          auto e = AttachAndKeepAlive(*stub, id, "", seen);
          if (!e.has_closed()) refused_every_time = false;
        }
        auto node = observer->Exists("/abandoned");
        return node.ok() && !node->has_value();
      },
      absl::Seconds(60));
  EXPECT_TRUE(refused_every_time) << "a member attached the session without its password";
  EXPECT_TRUE(expired) << "the session outlived its timeout on an attacker's keep-alives";
}

TEST_F(SessionSecrets, SessionIdsAreNeitherLogIndexesNorConsecutive) {
  auto a = c_.Client();
  auto b = c_.Client();
  ASSERT_TRUE(a->StartSession(absl::Seconds(10)).ok());
  const uint64_t zxid_a = a->last_zxid();
  ASSERT_TRUE(b->StartSession(absl::Seconds(10)).ok());
  const uint64_t zxid_b = b->last_zxid();
  const uint64_t id_a = a->session_id();
  const uint64_t id_b = b->session_id();
  EXPECT_NE(id_a, zxid_a);
  EXPECT_NE(id_b, zxid_b);
  EXPECT_NE(id_a + 1, id_b);
  EXPECT_NE(id_b + 1, id_a);
  // Random in 63 bits: far beyond any index this quorum reached (a chance of 2^-31 to fail).
  EXPECT_GT(id_a, uint64_t{1} << 32);
  EXPECT_GT(id_b, uint64_t{1} << 32);
  EXPECT_GT(static_cast<int64_t>(id_a), 0) << "ZooKeeper's clients read it as a signed long";
  EXPECT_GT(static_cast<int64_t>(id_b), 0);
  // Each works in its own.
  EXPECT_TRUE(a->Create("/a", "", {.ephemeral = true}).ok());
  EXPECT_TRUE(b->Create("/b", "", {.ephemeral = true}).ok());
}

}  // namespace
}  // namespace warren::testing
