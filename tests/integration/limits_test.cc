// The limits of a quorum of real warrend processes, over both client doors (the metastore's
// gRPC API and ZooKeeper's port, through ZooKeeper's own C client): each answers with an
// error that names it, changes nothing, and the quorum goes on serving every other client;
// and the bounds on requests in flight and outstanding push back on a client that floods a
// member rather than queueing without bound.
#include <sys/socket.h>
#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <mutex>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/integration/loopback_socket.h"
#include "tests/integration/metastore_cluster.h"
#include "tests/zookeeper/client_wire.h"

namespace warren::testing {
namespace {

using metastore::ErrorOf;

::testing::AssertionResult RefusedNaming(const absl::Status& s, const std::string& flag) {
  if (ErrorOf(s) != metastorepb::BAD_ARGUMENTS) {
    return ::testing::AssertionFailure() << "not BadArguments: " << s;
  }
  if (s.message().find(flag) == std::string::npos) {
    return ::testing::AssertionFailure() << "does not name " << flag << ": " << s;
  }
  return ::testing::AssertionSuccess();
}

// A C client connected to one ZooKeeper port.
class ZkHandle {
 public:
  explicit ZkHandle(int port) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    const std::string host = absl::StrCat("127.0.0.1:", port);
    zh_ = zookeeper_init(host.c_str(), &ZkHandle::Ignore, 10000, nullptr, nullptr, 0);
  }
  ~ZkHandle() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  bool WaitConnected() {
    return Eventually([&] { return zoo_state(zh_) == ZOO_CONNECTED_STATE; }, absl::Seconds(30));
  }
  int Create(const std::string& path) {
    char buf[512];
    return zoo_create(zh_, path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, buf, sizeof(buf));
  }
  int Get(const std::string& path, bool watch = false) {
    char buf[64];
    int len = sizeof(buf);
    Stat stat;
    return zoo_get(zh_, path.c_str(), watch ? 1 : 0, buf, &len, &stat);
  }
  int Exists(const std::string& path, bool watch) {
    Stat stat;
    return zoo_exists(zh_, path.c_str(), watch ? 1 : 0, &stat);
  }

 private:
  static void Ignore(zhandle_t*, int, int, const char*, void*) {}
  zhandle_t* zh_ = nullptr;
};

std::string PathOfDepth(int depth) {
  std::string path;
  for (int i = 0; i < depth; ++i) path += "/d";
  return path;
}

// Children of `path` as member `id` has them.
size_t ChildrenAt(MetastoreCluster& c, uint64_t id, const std::string& path, uint64_t zxid) {
  ClientOptions o = c.Options();
  o.endpoints = {c.Address(id)};
  o.consistency = raftpb::SEQUENTIAL;
  auto client = c.Client(o);
  EXPECT_TRUE(Eventually(
      [&] {
        auto st = client->MemberStatus(c.Address(id), absl::Seconds(1));
        return st.ok() && st->raft().applied() >= zxid;
      },
      absl::Seconds(30)));
  auto children = client->GetChildren(path);
  EXPECT_TRUE(children.ok()) << children.status();
  return children.ok() ? children->children.size() : 0;
}

TEST(Limits, EachLimitAnswersItsErrorOnBothDoorsAndTheQuorumServesEveryoneElse) {
  MetastoreCluster c({"--max-path-bytes=64", "--max-path-depth=4", "--max-children-per-node=3",
                      "--max-watches-per-session=2", "--max-sessions-per-address=2"});
  std::map<uint64_t, int> zk_ports;
  for (uint64_t id = 1; id <= 3; ++id) {
    zk_ports[id] = FreeLoopbackPort();
    c.Start(id, {absl::StrCat("--zk-port=", zk_ports[id])});
  }
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto grpc_client = c.Client(c.Options(absl::Seconds(30), c.Address(1)));
  ZkHandle zk(zk_ports[2]);
  ASSERT_TRUE(zk.WaitConnected());

  // Paths: bytes and depth, writes and reads, on both doors.
  const std::string long_path = "/" + std::string(64, 'l');
  EXPECT_TRUE(RefusedNaming(grpc_client->Create(long_path, "").status(), "--max-path-bytes"));
  EXPECT_TRUE(RefusedNaming(grpc_client->GetData(long_path).status(), "--max-path-bytes"));
  EXPECT_TRUE(RefusedNaming(grpc_client->Create(PathOfDepth(5), "").status(), "--max-path-depth"));
  EXPECT_EQ(zk.Create(long_path), ZBADARGUMENTS);
  EXPECT_EQ(zk.Get(PathOfDepth(5)), ZBADARGUMENTS);
  EXPECT_EQ(zk.Create("/x"), ZOK) << "a path within the limits";

  // Children: the fourth child is refused through either door, and nothing is made. (The
  // root holds three now, /zookeeper, /x and /p: it is full too.)
  ASSERT_TRUE(grpc_client->Create("/p", "").ok());
  EXPECT_TRUE(RefusedNaming(grpc_client->Create("/q", "").status(), "--max-children-per-node"));
  ASSERT_TRUE(grpc_client->Create("/p/a", "").ok());
  ASSERT_EQ(zk.Create("/p/b"), ZOK);
  ASSERT_TRUE(grpc_client->Create("/p/c", "").ok());
  EXPECT_TRUE(RefusedNaming(grpc_client->Create("/p/d", "").status(), "--max-children-per-node"));
  EXPECT_EQ(zk.Create("/p/e"), ZBADARGUMENTS);
  const uint64_t zxid = grpc_client->last_zxid();
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(ChildrenAt(c, id, "/p", zxid), 3u) << "member " << id;
  }

  // Watches: two paths per session, on either door; the read that would set a third fails.
  ASSERT_TRUE(grpc_client->StartSession(absl::Seconds(10)).ok());
  ASSERT_TRUE(grpc_client->GetData("/p/a", true).ok());
  ASSERT_TRUE(grpc_client->GetChildren("/p", true).ok());
  EXPECT_TRUE(
      RefusedNaming(grpc_client->GetData("/p/b", true).status(), "--max-watches-per-session"));
  EXPECT_TRUE(RefusedNaming(grpc_client->AddWatch("/p/c", false), "--max-watches-per-session"));
  EXPECT_TRUE(grpc_client->GetData("/p/b").ok()) << "the read without a watch is served";
  ASSERT_EQ(zk.Get("/p/a", true), ZOK);
  ASSERT_EQ(zk.Exists("/p/b", true), ZOK);
  EXPECT_EQ(zk.Exists("/p/c", true), ZBADARGUMENTS);
  EXPECT_EQ(zk.Get("/p/c"), ZOK);

  // Sessions per client address, through one member's gRPC API: the first client's session
  // and one more; a third is refused until one closes.
  auto second = c.Client(c.Options(absl::Seconds(30), c.Address(1)));
  ASSERT_TRUE(second->StartSession(absl::Seconds(10)).ok());
  auto third = c.Client(c.Options(absl::Seconds(30), c.Address(1)));
  EXPECT_TRUE(RefusedNaming(third->StartSession(absl::Seconds(10)), "--max-sessions-per-address"));
  auto elsewhere = c.Client(c.Options(absl::Seconds(30), c.Address(3)));
  EXPECT_TRUE(elsewhere->StartSession(absl::Seconds(10)).ok()) << "another member's count";
  ASSERT_TRUE(second->CloseSession().ok());
  EXPECT_TRUE(third->StartSession(absl::Seconds(10)).ok());

  // Everyone else is still served, on both doors, by every member.
  for (uint64_t id = 1; id <= 3; ++id) {
    auto other = c.Client(c.Options(absl::Seconds(30), c.Address(id)));
    ASSERT_TRUE(other->Create(absl::StrCat("/x/after-", id), "x").ok()) << "member " << id;
    ZkHandle other_zk(zk_ports[id]);
    ASSERT_TRUE(other_zk.WaitConnected()) << "member " << id;
    EXPECT_EQ(other_zk.Get(absl::StrCat("/x/after-", id)), ZOK) << "member " << id;
  }
  EXPECT_EQ(zk.Get("/p/a"), ZOK) << "the client whose watch was refused is still served";
}

// A GetData that waits at member `address` until `deadline` / 2: its client claims to have
// seen a zxid far ahead of the member.
grpc::Status HangingRead(const std::string& address, absl::Duration deadline) {
  auto stub = metastorepb::Metastore::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  metastorepb::GetDataRequest req;
  req.set_path("/");
  req.mutable_header()->set_min_zxid(uint64_t{1} << 40);
  req.mutable_header()->set_consistency(raftpb::SEQUENTIAL);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  metastorepb::GetDataResponse resp;
  return stub->GetData(&ctx, req, &resp);
}

TEST(Limits, AMemberFullOfRequestsAnswersResourceExhaustedAndTheClientRetries) {
  MetastoreCluster c({"--max-requests-in-flight=4"});
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  // A follower: a leader refuses at once a read whose client claims a zxid past its log.
  const uint64_t full = leader % 3 + 1;
  auto other = c.Client(c.Options(absl::Seconds(30), c.Address(full % 3 + 1)));
  ASSERT_TRUE(Eventually(
      [&] {
        auto st = other->MemberStatus(c.Address(full), absl::Seconds(1));
        return st.ok() && st->raft().leader() == leader;
      },
      absl::Seconds(30)))
      << "member " << full << " never followed " << leader;
  ASSERT_TRUE(other->Create("/served", "").ok());
  // Six reads at once, each waiting about 5 s at that member for a zxid it will never reach: at
  // most four are taken, the others are turned away at once.
  std::mutex mu;
  std::vector<grpc::Status> answers;
  std::vector<std::thread> hanging;
  for (int i = 0; i < 6; ++i) {
    hanging.emplace_back([&] {
      grpc::Status st = HangingRead(c.Address(full), absl::Seconds(10));
      std::lock_guard lock(mu);
      answers.push_back(st);
    });
  }
  // Meanwhile the other members serve, and a client of the full one backs off and retries
  // until it gets its answer.
  EXPECT_TRUE(other->Create("/meanwhile", "").ok());
  auto patient = c.Client(c.Options(absl::Seconds(30), c.Address(full)));
  auto got = patient->GetData("/served");
  EXPECT_TRUE(got.ok()) << got.status();
  for (auto& t : hanging) t.join();
  int refused = 0;
  std::string seen;
  for (const grpc::Status& st : answers) {
    absl::StrAppend(&seen, "\n", st.error_code(), ": ", st.error_message());
    if (st.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    ++refused;
    EXPECT_NE(st.error_message().find("the limit is 4 (--max-requests-in-flight)"),
              std::string::npos)
        << st.error_message();
  }
  EXPECT_GE(refused, 2) << "member " << full
                        << " took more than 4 requests at once; answers:" << seen;
  EXPECT_TRUE(patient->GetData("/meanwhile").ok());
}

// Sends a ZooKeeper frame (with its length).
void SendFrame(int fd, const std::string& body) {
  const auto len = static_cast<uint32_t>(body.size());
  std::string frame = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                       static_cast<char>(len >> 8), static_cast<char>(len)};
  frame += body;
  ASSERT_EQ(send(fd, frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
}

TEST(Limits, TheZooKeeperPortStopsReadingAConnectionWithTooManyRequestsOutstanding) {
  MetastoreCluster c;
  c.Start(1);
  c.Start(2);
  // Member 3 applies each command late, so that the writes it is asked wait there.
  const int zk_port = FreeLoopbackPort();
  c.Start(3, {absl::StrCat("--zk-port=", zk_port), "--apply-delay-ms=200",
              "--zk-max-outstanding-per-connection=2", "--zk-max-outstanding=3",
              "--zk-4lw-whitelist=cons"});
  ASSERT_NE(c.WaitForLeader(), 0u);
  {
    // Member 3 turns ZooKeeper clients away until it has applied a sign of the leader's
    // presence, which takes its late applying a while: these connections must not be.
    ZkHandle probe(zk_port);
    ASSERT_TRUE(probe.WaitConnected());
  }
  // Two connections, each sending its handshake and six creates at once.
  std::vector<int> fds;
  for (const char* name : {"a", "b"}) {
    const int fd = Dial(zk_port);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    SendFrame(fd, zookeeper::testing::ConnectFrame({.timeout_ms = 10000}));
    for (int i = 0; i < 6; ++i) {
      SendFrame(fd,
                zookeeper::testing::RequestFrame(
                    i + 1, zookeeper::op::kCreate,
                    zookeeper::testing::CreateRecord(absl::StrCat("/zk-", name, "-", i), "", 0)));
    }
  }
  // While they are served, no connection has more than 2 taken and the port no more than 3;
  // in the end all twelve are made.
  auto client = c.Client();
  const std::regex queued("queued=(\\d+)");
  int polls = 0;
  size_t most = 0;
  bool all_made = false;
  for (const absl::Time until = absl::Now() + absl::Seconds(60);
       absl::Now() < until && !all_made;) {
    const std::string cons = Exchange(zk_port, "cons");
    size_t total = 0;
    for (auto it = std::sregex_iterator(cons.begin(), cons.end(), queued);
         it != std::sregex_iterator(); ++it) {
      const size_t n = std::stoul((*it)[1]);
      EXPECT_LE(n, 2u) << cons;
      total += n;
    }
    EXPECT_LE(total, 3u) << cons;
    most = std::max(most, total);
    ++polls;
    auto children = client->GetChildren("/");
    all_made = children.ok() && children->children.size() == 13;  // and /zookeeper
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(all_made) << "not every create was served";
  EXPECT_GT(most, 0u) << "no request was ever seen outstanding in " << polls << " polls";
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace warren::testing
