// ZooKeeper's own C client (Debian's libzookeeper-mt) against a quorum of real warrend
// members serving ZooKeeper's port: its calls and errors, a failed multi's results, a
// session moving when its member is SIGKILLed (its ephemeral and watch kept), a session that
// dies losing its ephemeral, and bad input on the port changing nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "tests/integration/loopback_socket.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

struct Event {
  int type;
  int state;
  std::string path;
};

// A C client handle, its watcher's events queued for the test.
class ZkClient {
 public:
  ZkClient(const std::string& hosts, int timeout_ms) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zh_ = zookeeper_init(hosts.c_str(), &ZkClient::OnEvent, timeout_ms, nullptr, this, 0);
  }
  ~ZkClient() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  zhandle_t* zh() { return zh_; }

  bool WaitConnected(absl::Duration timeout = absl::Seconds(30)) {
    return Eventually([&] { return zoo_state(zh_) == ZOO_CONNECTED_STATE; }, timeout);
  }
  int64_t session() { return zoo_client_id(zh_)->client_id; }
  // The port of the member this handle is connected to (0 if none).
  int ConnectedPort() {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (zookeeper_get_connected_host(zh_, reinterpret_cast<sockaddr*>(&addr), &len) == nullptr) {
      return 0;
    }
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }
  // The next event that is not a session state change, waiting up to `timeout`.
  std::optional<Event> NextNodeEvent(absl::Duration timeout = absl::Seconds(20)) {
    std::unique_lock lock(mu_);
    const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
    for (;;) {
      while (!events_.empty()) {
        Event e = events_.front();
        events_.pop_front();
        if (e.type != ZOO_SESSION_EVENT) return e;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && events_.empty()) {
        return std::nullopt;
      }
    }
  }
  // Whether the session ever expired.
  bool expired() {
    std::lock_guard lock(mu_);
    return expired_;
  }

 private:
  static void OnEvent(zhandle_t*, int type, int state, const char* path, void* ctx) {
    auto* self = static_cast<ZkClient*>(ctx);
    std::lock_guard lock(self->mu_);
    if (state == ZOO_EXPIRED_SESSION_STATE) self->expired_ = true;
    self->events_.push_back({type, state, path == nullptr ? "" : path});
    self->cv_.notify_all();
  }

  zhandle_t* zh_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  bool expired_ = false;
};

std::string Get(zhandle_t* zh, const std::string& path, int* rc, Stat* stat = nullptr) {
  char buf[4096];
  int len = sizeof(buf);
  Stat s;
  *rc = zoo_get(zh, path.c_str(), 0, buf, &len, stat != nullptr ? stat : &s);
  return *rc == ZOK && len >= 0 ? std::string(buf, len) : "";
}

// ZooKeeper's sync, waited for: the member has caught up with the leader.
int zoo_sync_wait(zhandle_t* zh) {
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = ZOK;
  };
  // Shared with the completion, which may come after a timed-out wait has returned.
  auto* w = new std::shared_ptr<Waiter>(std::make_shared<Waiter>());
  std::shared_ptr<Waiter> waiter = *w;
  const int rc = zoo_async(
      zh, "/",
      [](int rc, const char*, const void* data) {
        auto* w = static_cast<std::shared_ptr<Waiter>*>(const_cast<void*>(data));
        {
          std::lock_guard lock((*w)->mu);
          (*w)->rc = rc;
          (*w)->done = true;
          (*w)->cv.notify_all();
        }
        delete w;
      },
      w);
  if (rc != ZOK) {
    delete w;
    return rc;
  }
  std::unique_lock lock(waiter->mu);
  if (!waiter->cv.wait_for(lock, std::chrono::seconds(20), [&] { return waiter->done; })) {
    return ZOPERATIONTIMEOUT;
  }
  return waiter->rc;
}

int Create(zhandle_t* zh, const std::string& path, const std::string& data, int flags = 0,
           std::string* created = nullptr) {
  char buf[512];
  const int rc = zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                            &ZOO_OPEN_ACL_UNSAFE, flags, buf, sizeof(buf));
  if (rc == ZOK && created != nullptr) *created = buf;
  return rc;
}

// A quorum whose members serve ZooKeeper's port too.
class ZkQuorum {
 public:
  ZkQuorum() {
    for (uint64_t id = 1; id <= 3; ++id) zk_ports_[id] = FreeLoopbackPort();
  }
  void Start(uint64_t id) {
    cluster_.Start(id, {absl::StrCat("--zk-port=", zk_ports_[id]), "--zk-4lw-whitelist=ruok,srvr",
                        "--zk-super-digest=super:D/InIHSb7yEEbrWz8b9l71RjZJU="});
  }
  void StartAll() {
    for (uint64_t id = 1; id <= 3; ++id) Start(id);
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
  }
  std::string Hosts() const {
    std::vector<std::string> hosts;
    for (const auto& [id, port] : zk_ports_) hosts.push_back(absl::StrCat("127.0.0.1:", port));
    return absl::StrJoin(hosts, ",");
  }
  std::string Host(uint64_t id) const { return absl::StrCat("127.0.0.1:", zk_ports_.at(id)); }
  int Port(uint64_t id) const { return zk_ports_.at(id); }
  uint64_t MemberOfPort(int port) const {
    for (const auto& [id, p] : zk_ports_) {
      if (p == port) return id;
    }
    return 0;
  }
  MetastoreCluster& cluster() { return cluster_; }

 private:
  MetastoreCluster cluster_;
  std::map<uint64_t, int> zk_ports_;
};

TEST(ZooKeeperCClient, CallsAndErrorsAsZooKeeperAnswersThem) {
  ZkQuorum q;
  q.StartAll();
  ZkClient c(q.Hosts(), 10000);
  ASSERT_TRUE(c.WaitConnected());
  zhandle_t* zh = c.zh();

  std::string created;
  ASSERT_EQ(Create(zh, "/app", "v0", 0, &created), ZOK);
  EXPECT_EQ(created, "/app");
  EXPECT_EQ(Create(zh, "/app", "again"), ZNODEEXISTS);
  EXPECT_EQ(Create(zh, "/missing/child", ""), ZNONODE);
  ASSERT_EQ(Create(zh, "/app/seq-", "", ZOO_SEQUENCE, &created), ZOK);
  EXPECT_EQ(created, "/app/seq-0000000000");  // the parent's count of child changes
  // create2 answers the new node's stat.
  Stat stat;
  char path[128];
  ASSERT_EQ(
      zoo_create2(zh, "/app/two", "22", 2, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path), &stat),
      ZOK);
  EXPECT_EQ(stat.dataLength, 2);
  EXPECT_EQ(stat.version, 0);
  EXPECT_GT(stat.czxid, 0);

  int rc;
  EXPECT_EQ(Get(zh, "/app", &rc, &stat), "v0");
  ASSERT_EQ(rc, ZOK);
  EXPECT_EQ(stat.numChildren, 2);
  EXPECT_EQ(zoo_set(zh, "/app", "v1", 2, 5), ZBADVERSION);
  EXPECT_EQ(zoo_set(zh, "/app", "v1", 2, 0), ZOK);
  EXPECT_EQ(Get(zh, "/app", &rc, &stat), "v1");
  EXPECT_EQ(stat.version, 1);
  EXPECT_EQ(zoo_delete(zh, "/app", -1), ZNOTEMPTY);
  EXPECT_EQ(zoo_exists(zh, "/nowhere", 0, &stat), ZNONODE);
  EXPECT_EQ(zoo_delete(zh, "/app/two", 3), ZBADVERSION);
  EXPECT_EQ(zoo_delete(zh, "/app/two", 0), ZOK);

  String_vector children;
  ASSERT_EQ(zoo_get_children(zh, "/app", 0, &children), ZOK);
  ASSERT_EQ(children.count, 1);
  EXPECT_STREQ(children.data[0], "seq-0000000000");
  deallocate_String_vector(&children);
  // The system nodes are there, as in ZooKeeper, and read-only.
  ASSERT_EQ(zoo_get_children(zh, "/zookeeper", 0, &children), ZOK);
  EXPECT_EQ(children.count, 2);
  deallocate_String_vector(&children);
  EXPECT_EQ(Create(zh, "/zookeeper/mine", ""), ZBADARGUMENTS);
  // Ephemerals have no children.
  ASSERT_EQ(Create(zh, "/eph", "", ZOO_EPHEMERAL), ZOK);
  EXPECT_EQ(Create(zh, "/eph/child", ""), ZNOCHILDRENFOREPHEMERALS);
  // The configuration shows every member.
  char config[1024];
  int config_len = sizeof(config);
  ASSERT_EQ(zoo_getconfig(zh, 0, config, &config_len, &stat), ZOK);
  const std::string text(config, config_len);
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_NE(text.find(absl::StrCat("server.", id, "=", q.cluster().Address(id))),
              std::string::npos)
        << text;
  }
}

TEST(ZooKeeperCClient, AFailedMultiChangesNothingAndReportsEachOp) {
  ZkQuorum q;
  q.StartAll();
  ZkClient c(q.Hosts(), 10000);
  ASSERT_TRUE(c.WaitConnected());
  zhandle_t* zh = c.zh();
  ASSERT_EQ(Create(zh, "/epoch", "1"), ZOK);

  // Kafka's fencing: a write guarded by a check of the controller epoch's version.
  zoo_op_t ops[3];
  zoo_op_result_t results[3];
  char created[64];
  zoo_create_op_init(&ops[0], "/new", "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof(created));
  zoo_check_op_init(&ops[1], "/epoch", 7);  // stale
  zoo_set_op_init(&ops[2], "/epoch", "2", 1, -1, nullptr);
  EXPECT_EQ(zoo_multi(zh, 3, ops, results), ZBADVERSION);
  EXPECT_EQ(results[0].err, ZOK);
  EXPECT_EQ(results[1].err, ZBADVERSION);
  EXPECT_EQ(results[2].err, ZRUNTIMEINCONSISTENCY);
  Stat stat;
  EXPECT_EQ(zoo_exists(zh, "/new", 0, &stat), ZNONODE);
  int rc;
  EXPECT_EQ(Get(zh, "/epoch", &rc), "1");

  zoo_check_op_init(&ops[1], "/epoch", 0);
  ASSERT_EQ(zoo_multi(zh, 3, ops, results), ZOK);
  EXPECT_STREQ(created, "/new");
  EXPECT_EQ(Get(zh, "/epoch", &rc), "2");
}

TEST(ZooKeeperCClient, ASessionMovesWhenItsMemberIsKilledKeepingItsEphemeralAndWatch) {
  ZkQuorum q;
  q.StartAll();
  ZkClient holder(q.Hosts(), 6000);
  ASSERT_TRUE(holder.WaitConnected());
  const int64_t session = holder.session();
  ASSERT_EQ(Create(holder.zh(), "/owned", "", ZOO_EPHEMERAL), ZOK);
  ASSERT_EQ(Create(holder.zh(), "/watched", "0"), ZOK);
  Stat stat;
  char buf[16];
  int len = sizeof(buf);
  // A data watch, for the handle's own watcher.
  ASSERT_EQ(zoo_get(holder.zh(), "/watched", 1, buf, &len, &stat), ZOK);

  const uint64_t victim = q.MemberOfPort(holder.ConnectedPort());
  ASSERT_NE(victim, 0u);
  q.cluster().Stop(victim, SIGKILL);

  // Another client, on another member, changes the node while the holder moves.
  const uint64_t other = victim == 1 ? 2 : 1;
  ZkClient writer(q.Host(other), 10000);
  ASSERT_TRUE(writer.WaitConnected());
  ASSERT_EQ(zoo_set(writer.zh(), "/watched", "1", 1, -1), ZOK);

  auto event = holder.NextNodeEvent();
  ASSERT_TRUE(event.has_value()) << "the watch set before the move never fired";
  EXPECT_EQ(event->type, ZOO_CHANGED_EVENT);
  EXPECT_EQ(event->path, "/watched");
  ASSERT_TRUE(holder.WaitConnected());
  EXPECT_EQ(holder.session(), session);
  EXPECT_FALSE(holder.expired());
  EXPECT_NE(q.MemberOfPort(holder.ConnectedPort()), victim);
  EXPECT_EQ(zoo_exists(writer.zh(), "/owned", 0, &stat), ZOK);
  EXPECT_EQ(stat.ephemeralOwner, session);
  // The session still writes.
  EXPECT_EQ(Create(holder.zh(), "/after-move", ""), ZOK);
}

TEST(ZooKeeperCClient, ASessionThatDiesLosesItsEphemeralsAndWatchersHearOfIt) {
  ZkQuorum q;
  q.StartAll();
  auto holder = Process::Spawn({ZK_SESSION_HOLDER, q.Hosts(), "/lease", "4000"},
                               absl::StrCat(q.cluster().dir(), "/holder.log"));
  ASSERT_TRUE(holder.ok()) << holder.status();
  ZkClient watcher(q.Hosts(), 10000);
  ASSERT_TRUE(watcher.WaitConnected());
  Stat stat;
  ASSERT_TRUE(Eventually([&] { return zoo_exists(watcher.zh(), "/lease", 0, &stat) == ZOK; },
                         absl::Seconds(30)));
  ASSERT_EQ(zoo_exists(watcher.zh(), "/lease", 1, &stat), ZOK);  // a watch on it
  (*holder)->Signal(SIGKILL);
  (*holder)->Wait(absl::Seconds(10));

  auto event = watcher.NextNodeEvent(absl::Seconds(30));
  ASSERT_TRUE(event.has_value()) << "the ephemeral of a dead session was never deleted";
  EXPECT_EQ(event->type, ZOO_DELETED_EVENT);
  EXPECT_EQ(event->path, "/lease");
  EXPECT_EQ(zoo_exists(watcher.zh(), "/lease", 0, &stat), ZNONODE);
}

std::string Config(zhandle_t* zh) {
  char config[1024];
  int len = sizeof(config);
  Stat stat;
  if (zoo_getconfig(zh, 0, config, &len, &stat) != ZOK) return "<error>";
  return std::string(config, len);
}

// ZooKeeper's reconfig, as Warren's membership changes: the superuser adds a member that was
// started to join, and removes another, in one call; others may not.
TEST(ZooKeeperCClient, ReconfigAddsAndRemovesMembers) {
  ZkQuorum q;
  q.StartAll();
  const std::string joiner = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  const int joiner_zk = FreeLoopbackPort();
  auto member4 = Process::Spawn(
      {WARREND, "--id=4", "--join", "--listen=" + joiner, "--members=" + q.cluster().Members(),
       absl::StrCat("--data-dir=", q.cluster().dir(), "/4"), "--tick-ms=20",
       absl::StrCat("--zk-port=", joiner_zk)},
      absl::StrCat(q.cluster().dir(), "/warrend-4.log"));
  ASSERT_TRUE(member4.ok()) << member4.status();

  ZkClient c(q.Host(1) + "," + q.Host(2), 10000);
  ASSERT_TRUE(c.WaitConnected());
  char buf[1024];
  int len = sizeof(buf);
  Stat stat;
  EXPECT_EQ(zoo_reconfig(c.zh(), nullptr, "3", nullptr, -1, buf, &len, &stat), ZNOAUTH);
  ASSERT_EQ(zoo_add_auth(c.zh(), "digest", "super:test", 10, nullptr, nullptr), ZOK);
  const std::string joining = absl::StrCat("server.4=", joiner, ":0:participant");
  len = sizeof(buf);
  ASSERT_EQ(zoo_reconfig(c.zh(), joining.c_str(), "3", nullptr, -1, buf, &len, &stat), ZOK)
      << q.cluster().dir();
  const std::string answered(buf, len);
  EXPECT_NE(answered.find("server.4=" + joiner), std::string::npos) << answered;
  EXPECT_EQ(answered.find("server.3="), std::string::npos) << answered;

  // The new member serves ZooKeeper's clients what the others wrote.
  ASSERT_EQ(Create(c.zh(), "/after-reconfig", "x"), ZOK);
  ZkClient on4(absl::StrCat("127.0.0.1:", joiner_zk), 10000);
  ASSERT_TRUE(on4.WaitConnected());
  ASSERT_EQ(zoo_sync_wait(on4.zh()), ZOK);
  int rc;
  EXPECT_EQ(Get(on4.zh(), "/after-reconfig", &rc), "x");
  EXPECT_EQ(Config(on4.zh()).find("server.3="), std::string::npos);
  (*member4)->Signal(SIGTERM);
  (*member4)->Wait(absl::Seconds(30));
}

TEST(ZooKeeperCClient, BadInputClosesTheConnectionAndChangesNothing) {
  ZkQuorum q;
  q.StartAll();
  const int port = q.Port(1);
  // A frame longer than jute.maxbuffer: closed without an answer.
  EXPECT_EQ(Exchange(port, std::string("\x7f\xff\xff\xff", 4) + "junk"), "");
  // A request before the handshake that is no connect request: closed.
  EXPECT_EQ(Exchange(port, std::string("\0\0\0\x03xyz", 7)), "");
  // A connect request cut short: closed.
  EXPECT_EQ(Exchange(port, std::string("\0\0\0\x08\0\0\0\0\0\0\0\0", 12).substr(0, 10)), "");
  // The four-letter words allowed, and one that is not.
  EXPECT_EQ(Exchange(port, "ruok"), "imok");
  EXPECT_NE(Exchange(port, "srvr").find("Mode: "), std::string::npos);
  EXPECT_NE(Exchange(port, "envi").find("not in the whitelist"), std::string::npos);

  // The member serves as before.
  ZkClient c(q.Host(1), 10000);
  ASSERT_TRUE(c.WaitConnected());
  EXPECT_EQ(Create(c.zh(), "/still-serving", ""), ZOK);
  String_vector children;
  ASSERT_EQ(zoo_get_children(c.zh(), "/", 0, &children), ZOK);
  EXPECT_EQ(children.count, 2);  // zookeeper, still-serving
  deallocate_String_vector(&children);
}

}  // namespace
}  // namespace warren::testing
