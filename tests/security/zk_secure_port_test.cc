// ZooKeeper's secure client port (--zk-secure-port) on a real quorum of three warrend
// processes: ZooKeeper's protocol over TLS, a client's certificate as its x509 identity, and
// the clients it must refuse: plaintext, a client that does not trust the member, a
// certificate from another CA, and no certificate when one is required.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "metastore/zookeeper/jute.h"
#include "metastore/zookeeper/protocol.h"
#include "tests/integration/loopback_socket.h"
#include "tests/integration/metastore_cluster.h"
#include "tests/security/test_pki.h"
#include "tests/zookeeper/client_wire.h"

namespace warren::testing {
namespace {

namespace zkt = zookeeper::testing;
namespace op = zookeeper::op;

// A blocking TLS client of one port, speaking ZooKeeper's frames.
class TlsClient {
 public:
  // Trusts `ca`; presents `cert`/`key` if not empty. Connected() says whether the handshake
  // (both sides' checks) succeeded.
  TlsClient(int port, const std::string& ca, const std::string& cert, const std::string& key) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = Dial(port);
    if (fd_ < 0) return;
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    connected_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  bool SendFrame(const std::string& body) {
    const auto len = static_cast<uint32_t>(body.size());
    std::string frame = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                         static_cast<char>(len >> 8), static_cast<char>(len)};
    return Send(frame + body);
  }
  // Exactly n bytes, or fewer if the connection ended (or 10 s passed).
  std::string Read(size_t n) {
    std::string out;
    while (out.size() < n) {
      char buf[4096];
      const int got = SSL_read(ssl_, buf, static_cast<int>(std::min(n - out.size(), sizeof(buf))));
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    ERR_clear_error();
    return out;
  }
  // The next frame's body; nullopt if the connection ended first.
  std::optional<std::string> ReadFrame() {
    const std::string len = Read(4);
    if (len.size() != 4) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(len.data());
    const uint32_t n = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    std::string body = Read(n);
    if (body.size() != n) return std::nullopt;
    return body;
  }
  // Until the server closes.
  std::string ReadAll() { return Read(SIZE_MAX); }

  // A session: the handshake, answered.
  bool StartSession() {
    if (!SendFrame(zkt::ConnectFrame({.timeout_ms = 10000}))) return false;
    auto reply = ReadFrame();
    zkt::ConnectReply r;
    return reply.has_value() && zkt::ParseConnectReply(*reply, &r) && r.session_id != 0;
  }
  // One request and its reply (skipping watch events); nullopt if the connection ended.
  std::optional<zkt::Reply> Call(int32_t xid, int32_t type, const std::string& record = "") {
    if (!SendFrame(zkt::RequestFrame(xid, type, record))) return std::nullopt;
    for (;;) {
      auto frame = ReadFrame();
      zkt::Reply reply;
      if (!frame.has_value() || !zkt::ParseReply(*frame, &reply)) return std::nullopt;
      if (reply.xid == xid) return reply;
    }
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

class ZkSecurePort : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string failed;
    ASSERT_TRUE(pki_.Make({"alice"}, &failed)) << failed;
    for (uint64_t id = 1; id <= 3; ++id) {
      secure_[id] = FreeLoopbackPort();
      plain_[id] = FreeLoopbackPort();
    }
    c_.set_member_flags([this](uint64_t id) {
      std::vector<std::string> flags = pki_.MemberFlags(id);
      flags.push_back(absl::StrCat("--zk-secure-port=", secure_[id]));
      flags.push_back(absl::StrCat("--zk-port=", plain_[id]));
      if (require_client_cert_) flags.push_back("--tls-require-client-cert");
      return flags;
    });
    c_.set_client_tls(pki_.Files("alice"));
  }

  std::string Pem(const std::string& name) const { return pki_.Pem(name); }
  std::string Key(const std::string& name) const { return pki_.Key(name); }
  std::unique_ptr<TlsClient> Alice(uint64_t member) {
    return std::make_unique<TlsClient>(secure_[member], Pem("ca"), Pem("alice"), Key("alice"));
  }
  void StartQuorum() {
    c_.StartAll();
    ASSERT_NE(c_.WaitForLeader(), 0u);
  }

  MetastoreCluster c_;
  TestPki pki_{c_.dir() + "/pki"};
  std::map<uint64_t, int> secure_, plain_;
  bool require_client_cert_ = false;
};

TEST_F(ZkSecurePort, ServesZooKeepersProtocolOverTlsWithTheCertificateAsAnX509Identity) {
  StartQuorum();
  // A member serves ZooKeeper clients only once it is in touch with a leader: retry a while.
  std::unique_ptr<TlsClient> alice;
  ASSERT_TRUE(Eventually(
      [&] {
        alice = Alice(1);
        return alice->connected() && alice->StartSession();
      },
      absl::Seconds(30)));
  auto created = alice->Call(1, op::kCreate, zkt::CreateRecord("/over-tls", "secret", 0));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->err, 0);
  auto who = alice->Call(2, op::kWhoAmI);
  ASSERT_TRUE(who.has_value());
  zkt::Body body;
  ASSERT_EQ(zkt::DecodeBody(op::kWhoAmI, who->body, &body), "");
  const std::pair<std::string, std::string> x509{"x509", "CN=alice,O=warren-test"};
  const std::pair<std::string, std::string> ip{"ip", "127.0.0.1"};
  EXPECT_NE(std::find(body.who.begin(), body.who.end(), x509), body.who.end());
  EXPECT_NE(std::find(body.who.begin(), body.who.end(), ip), body.who.end());
  // The same tree as every other door: the gRPC API and another member's plaintext port.
  auto read = c_.Client()->GetData("/over-tls");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->data, "secret");
  // Large replies cross many TLS records.
  const std::string big(300'000, 'b');
  auto set = alice->Call(3, op::kSetData, zkt::SetDataRecord("/over-tls", big, -1));
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->err, 0);
  auto got = alice->Call(4, op::kGetData, zkt::PathWatchRecord("/over-tls", false));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(zkt::DecodeBody(op::kGetData, got->body, &body), "");
  EXPECT_EQ(body.data, big);
  // A four-letter word over TLS.
  TlsClient word(secure_[2], Pem("ca"), "", "");
  ASSERT_TRUE(word.connected());
  ASSERT_TRUE(word.Send("srvr"));
  EXPECT_NE(word.ReadAll().find("Mode: "), std::string::npos);
}

TEST_F(ZkSecurePort, RefusesPlaintextUntrustedAndForeignClients) {
  StartQuorum();
  // Plaintext on the secure port: no session, the connection ends.
  const int fd = Dial(secure_[1]);
  ASSERT_GE(fd, 0);
  const std::string connect = zkt::ConnectFrame({.timeout_ms = 10000});
  const auto len = static_cast<uint32_t>(connect.size());
  std::string frame = {0, 0, static_cast<char>(len >> 8), static_cast<char>(len)};
  frame += connect;
  send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  const ssize_t got = recv(fd, buf, sizeof(buf), 0);
  // What comes back, if anything, is a TLS alert (content type 21), never a ZooKeeper reply.
  EXPECT_TRUE(got <= 0 || buf[0] == 21) << got << " bytes, the first " << int{buf[0]};
  close(fd);
  // A client that trusts another CA does not take the member's certificate.
  TlsClient untrusting(secure_[1], Pem("rogue-ca"), "", "");
  EXPECT_FALSE(untrusting.connected());
  // A certificate from another CA (common name member-1) is refused by the member.
  TlsClient rogue(secure_[1], Pem("ca"), Pem("rogue"), Key("rogue"));
  EXPECT_FALSE(rogue.connected() && rogue.StartSession());
  // No certificate at all is fine unless the member requires one.
  TlsClient anonymous(secure_[1], Pem("ca"), "", "");
  ASSERT_TRUE(anonymous.connected());
  EXPECT_TRUE(Eventually([&] { return TlsClient(secure_[1], Pem("ca"), "", "").StartSession(); },
                         absl::Seconds(30)));
}

TEST_F(ZkSecurePort, RequiresAClientCertificateWhenTheMembersDo) {
  require_client_cert_ = true;
  StartQuorum();
  EXPECT_TRUE(Eventually([&] { return Alice(2)->StartSession(); }, absl::Seconds(30)));
  TlsClient anonymous(secure_[2], Pem("ca"), "", "");
  EXPECT_FALSE(anonymous.connected() && anonymous.StartSession());
}

TEST(ZkSecurePortFlags, ASecurePortWithoutTheMembersCertificateIsRefused) {
  const RunResult r = RunCommand({WARREND, "--id=1", "--members=1=127.0.0.1:1",
                                  "--data-dir=/nonexistent", "--zk-secure-port=2281"},
                                 absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--zk-secure-port needs the member's certificate"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace warren::testing
