#include "metastore/server/caller_identity.h"

#include <map>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

std::string Ids(const IdField& ids) {
  std::string out;
  for (const auto& id : ids) out += id.scheme() + ":" + id.id() + " ";
  return out;
}

TEST(ParseAuthValue, DigestUserPasswordIsTheDigestIdentity) {
  auto id = ParseAuthValue("digest super:test");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->scheme(), "digest");
  EXPECT_EQ(id->id(), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");  // ZooKeeper's own example
  // The password is everything after the first colon, colons and spaces included.
  auto colons = ParseAuthValue("digest bob:a:b c");
  ASSERT_TRUE(colons.ok());
  EXPECT_EQ(colons->id(), DigestId("bob", "a:b c"));
}

TEST(ParseAuthValue, AnythingElseIsAuthFailedNamingTheProblem) {
  for (const auto& [value, says] :
       std::map<std::string, std::string>{{"digest bob", "a colon"},
                                          {"digest :secret", "a user"},
                                          {"digest", "not digest"},
                                          {"Digest bob:secret", "not digest"},
                                          {"sasl bob:secret", "'sasl'"},
                                          {"bob:secret", "not digest"},
                                          {"", "not digest"}}) {
    auto id = ParseAuthValue(value);
    EXPECT_EQ(ErrorOf(id.status()), metastorepb::AUTH_FAILED) << value;
    EXPECT_NE(id.status().message().find(says), std::string::npos) << value << ": " << id.status();
    EXPECT_NE(id.status().message().find("warren-auth"), std::string::npos) << id.status();
  }
}

TEST(PeerIp, TheAddressWithoutItsPort) {
  EXPECT_EQ(PeerIp("ipv4:127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(PeerIp("ipv6:[::1]:5555"), "::1");
  EXPECT_EQ(PeerIp("ipv6:%5B::1%5D:5555"), "::1");
  EXPECT_EQ(PeerIp("ipv6:%5Bfe80::1%25eth0%5D:5555"), "fe80::1");
  EXPECT_EQ(PeerIp("unix:/tmp/socket"), "");
  EXPECT_EQ(PeerIp("garbage"), "");
}

TEST(CallerIdentities, IpAlwaysX509IfAnyDigestsAndTheSuperuser) {
  const std::string super = DigestId("super", "test");
  auto ids = CallerIdentities("ipv4:10.1.2.3:999", "CN=alice,O=example",
                              {"digest bob:secret", "digest super:test"}, super);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(Ids(*ids), "ip:10.1.2.3 x509:CN=alice,O=example digest:" + DigestId("bob", "secret") +
                           " digest:" + super + " super: ");
  // No superuser configured: the same digest is only a digest.
  ids = CallerIdentities("ipv4:10.1.2.3:999", "", {"digest super:test"}, "");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(Ids(*ids), "ip:10.1.2.3 digest:" + super + " ");
  // The wrong password is not the superuser.
  ids = CallerIdentities("ipv4:10.1.2.3:999", "", {"digest super:nope"}, super);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(Ids(*ids).find("super: "), std::string::npos) << Ids(*ids);
  // One malformed value refuses the call, whatever else it carries.
  ids = CallerIdentities("ipv4:10.1.2.3:999", "", {"digest super:test", "digest nocolon"}, super);
  EXPECT_EQ(ErrorOf(ids.status()), metastorepb::AUTH_FAILED);
}

// No properties to walk (ClientSubject asks by name).
struct NoProperties : grpc::AuthPropertyIterator {};

// What gRPC's TLS auth context holds, for ClientSubject.
class FakeAuthContext : public grpc::AuthContext {
 public:
  FakeAuthContext(bool authenticated, std::string cn, std::string subject)
      : authenticated_(authenticated), cn_(std::move(cn)), subject_(std::move(subject)) {}
  bool IsPeerAuthenticated() const override { return authenticated_; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {cn_}; }
  std::string GetPeerIdentityPropertyName() const override { return GRPC_X509_CN_PROPERTY_NAME; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    if (name == GRPC_X509_CN_PROPERTY_NAME) return {cn_};
    if (name == GRPC_X509_SUBJECT_PROPERTY_NAME) return {subject_};
    return {};
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {}
  bool SetPeerIdentityPropertyName(const std::string&) override { return false; }

 private:
  bool authenticated_;
  std::string cn_;
  std::string subject_;
};

TEST(ClientSubject, AVerifiedClientCertificatesSubjectAndNoMembers) {
  EXPECT_EQ(ClientSubject(FakeAuthContext(true, "alice", "CN=alice,O=example")),
            "CN=alice,O=example");
  EXPECT_EQ(ClientSubject(FakeAuthContext(false, "alice", "CN=alice,O=example")), "")
      << "not verified";
  EXPECT_EQ(ClientSubject(FakeAuthContext(true, "member-2", "CN=member-2,O=example")), "")
      << "a member's certificate";
}

}  // namespace
}  // namespace warren::metastore
