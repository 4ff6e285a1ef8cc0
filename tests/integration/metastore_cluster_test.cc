// The metastore as operators run it: three real warrend processes on loopback, driven by the
// warren CLI and the C++ client, with members killed, stopped and restarted.
#include "tests/integration/metastore_cluster.h"

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"
#include "raft/log/file_util.h"
#include "tests/integration/member_process.h"
#include "tests/log/log_test_util.h"

namespace warren::testing {
namespace {

using metastore::ErrorOf;

TEST(MetastoreCluster, CliFollowsZooKeeperSemanticsAndRefusesBadInput) {
  MetastoreCluster c({"--max-data-bytes=1000"});
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);

  RunResult r = c.Cli({"create", "/a", "hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/a\n");
  EXPECT_EQ(c.Cli({"create", "-s", "/a/n-", "x"}).out, "/a/n-0000000000\n");
  EXPECT_EQ(c.Cli({"get", "/a"}).out, "hello\n");
  r = c.Cli({"set", "/a", "world", "-v", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "BadVersion: /a")) << r.err;
  EXPECT_EQ(c.Cli({"set", "/a", "world", "-v", "0"}).exit_code, 0);
  r = c.Cli({"--json", "stat", "/a"});
  EXPECT_NE(r.out.find("\"version\":1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"numChildren\":1"), std::string::npos) << r.out;

  // Bad input: an error line naming the problem, exit 1, and nothing changes.
  struct Bad {
    std::vector<std::string> args;
    std::string error;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{"create", "a/b"}, "InvalidPath: a/b"},
           {{"create", "/a/"}, "InvalidPath: /a/"},
           {{"create", "/a/../b"}, "InvalidPath: /a/../b"},
           {{"create", "/big", std::string(1001, 'x')}, "BadArguments: /big"},
           {{"create", "--ttl=-5", "/t"}, "BadArguments: /t"},
           {{"create", "-c", "-s", "/t"}, "BadArguments: /t"},
           {{"set", "/a", "x", "-v", "-7"}, "BadArguments: /a"},
           {{"delete", "/a"}, "NotEmpty: /a"},
           {{"delete", "/"}, "BadArguments: /"},
           {{"create", "/a/n-0000000000/child"}, ""},  // a persistent parent: this one works
           {{"get", "/nope"}, "NoNode: /nope"},
           {{"create", "/x/y"}, "NoNode: /x/y"},
       }) {
    r = c.Cli(bad.args);
    if (bad.error.empty()) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      continue;
    }
    EXPECT_EQ(r.exit_code, 1) << absl::StrJoin(bad.args, " ") << ": " << r.out << r.err;
    EXPECT_TRUE(absl::StartsWith(r.err, bad.error))
        << absl::StrJoin(bad.args, " ") << ": " << r.err;
  }
  EXPECT_EQ(c.Cli({"ls", "/"}).out, "a\nzookeeper\n");  // and ZooKeeper's system node
  EXPECT_EQ(c.Cli({"get", "/a"}).out, "world\n");

  // Usage errors exit 2 and touch nothing.
  EXPECT_EQ(c.Cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(c.Cli({"create"}).exit_code, 2);
  EXPECT_EQ(c.Cli({"--consistency=weird", "get", "/a"}).exit_code, 2);
  EXPECT_EQ(c.Cli({"transfer-leader", "zero"}).exit_code, 2);

  // An ephemeral lives as long as the command's session.
  EXPECT_EQ(c.Cli({"create", "-e", "/eph"}).exit_code, 0);
  r = c.Cli({"exists", "/eph"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "NoNode: /eph\n");

  // watch prints one event per line, in order.
  auto watch = Process::Spawn(
      {WARREN_CLI, "--endpoints=" + c.Endpoints(), "watch", "/w", "--recursive", "--count=3"},
      c.dir() + "/watch.log");
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(Eventually(
      [&] {
        return ReadFile(c.dir() + "/watch.log").value_or("").find("watching") != std::string::npos;
      },
      absl::Seconds(30)));
  ASSERT_EQ(c.Cli({"create", "/w", "1"}).exit_code, 0);
  ASSERT_EQ(c.Cli({"create", "/w/k", "2"}).exit_code, 0);
  ASSERT_EQ(c.Cli({"set", "/w/k", "3"}).exit_code, 0);
  auto code = (*watch)->Wait(absl::Seconds(30));
  std::string log = ReadFile(c.dir() + "/watch.log").value_or("");
  ASSERT_EQ(code, 0) << log;
  size_t created = log.find("NodeCreated /w ");
  size_t child = log.find("NodeCreated /w/k ");
  size_t changed = log.find("NodeDataChanged /w/k ");
  EXPECT_NE(created, std::string::npos) << log;
  EXPECT_LT(created, child) << log;
  EXPECT_LT(child, changed) << log;
  EXPECT_NE(changed, std::string::npos) << log;

  r = c.Cli({"members"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("leader"), std::string::npos) << r.out;
  r = c.Cli({"status"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("role=leader"), std::string::npos) << r.out;
  r = c.Cli({"snapshot"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(MetastoreCluster, MalformedRequestsGetErrorsAndChangeNothing) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  ASSERT_TRUE(client->Create("/keep", "v").ok());
  // Every member has heard from the leader: until then it answers LeaderUnreachable to
  // anything, which is not what is tested here.
  for (uint64_t id = 1; id <= 3; ++id) {
    auto at = c.Client(absl::Seconds(5), c.Address(id));
    ASSERT_TRUE(Eventually([&] { return at->GetData("/keep").ok(); }, absl::Seconds(30)))
        << "member " << id << " never heard from the leader";
  }
  // Requests a well-behaved client never sends, straight to a member's stub.
  for (uint64_t id = 1; id <= 3; ++id) {
    auto stub = metastorepb::Metastore::NewStub(
        grpc::CreateChannel(c.Address(id), grpc::InsecureChannelCredentials()));
    auto call = [&](auto method, const auto& req, auto* resp) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      grpc::Status gs = ((*stub).*method)(&ctx, req, resp);
      EXPECT_TRUE(gs.ok()) << gs.error_message();
      return resp->header();
    };
    metastorepb::GetDataRequest get;
    get.set_path("/keep");
    get.mutable_header()->set_consistency(static_cast<raftpb::ReadConsistency>(77));
    metastorepb::GetDataResponse get_resp;
    EXPECT_EQ(call(&metastorepb::Metastore::Stub::GetData, get, &get_resp).error(),
              metastorepb::BAD_ARGUMENTS);
    metastorepb::MultiRequest multi;
    multi.add_ops();  // empty op
    metastorepb::MultiResponse multi_resp;
    auto h = call(&metastorepb::Metastore::Stub::Multi, multi, &multi_resp);
    EXPECT_TRUE(h.error() == metastorepb::BAD_ARGUMENTS || h.error() == metastorepb::NOT_LEADER)
        << h.message();
    metastorepb::SetDataRequest set;
    set.set_path(std::string("/keep\0x", 7));
    set.set_data("changed");
    metastorepb::SetDataResponse set_resp;
    EXPECT_EQ(call(&metastorepb::Metastore::Stub::SetData, set, &set_resp).error(),
              metastorepb::INVALID_PATH);
    metastorepb::DeleteRequest del;
    del.set_path("/keep");
    del.mutable_header()->set_client_id(5);  // exactly-once without a sequence number
    metastorepb::DeleteResponse del_resp;
    h = call(&metastorepb::Metastore::Stub::Delete, del, &del_resp);
    EXPECT_TRUE(h.error() == metastorepb::BAD_ARGUMENTS || h.error() == metastorepb::NOT_LEADER)
        << h.message();
    metastorepb::CloseSessionRequest close;
    close.mutable_header()->set_session_id(424242);
    metastorepb::CloseSessionResponse close_resp;
    h = call(&metastorepb::Metastore::Stub::CloseSession, close, &close_resp);
    EXPECT_TRUE(h.error() == metastorepb::SESSION_EXPIRED || h.error() == metastorepb::NOT_LEADER)
        << h.message();
    // A session stream that keeps alive before it attaches is closed with an error.
    grpc::ClientContext ctx;
    auto stream = stub->Session(&ctx);
    metastorepb::SessionRequest ka;
    ka.set_keep_alive(true);
    stream->Write(ka);
    metastorepb::SessionEvent ev;
    ASSERT_TRUE(stream->Read(&ev));
    EXPECT_TRUE(ev.has_closed());
    EXPECT_NE(ev.closed().error(), metastorepb::OK);
    stream->WritesDone();
  }
  auto node = client->GetData("/keep");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->data, "v");
  EXPECT_EQ(node->stat.version(), 0);
  auto root = client->GetChildren("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->children.size(), 2u);  // /keep and ZooKeeper's /zookeeper
}

TEST(MetastoreCluster, KilledLeaderLosesNoAcknowledgedWrite) {
  MetastoreCluster c({"--snapshot-entries=300", "--log-retention=50"});
  c.StartAll();
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(c.Client()->Create("/load", "").ok());

  constexpr int kWriters = 4;
  constexpr int kPerWriter = 150;
  std::atomic<int> acknowledged{0};
  std::vector<std::vector<std::pair<std::string, std::string>>> acked(kWriters);
  std::vector<absl::Status> failures(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = c.Client(absl::Seconds(60));
      for (int i = 0; i < kPerWriter; ++i) {
        std::string data = absl::StrCat(w, ":", i);
        auto path = client->Create(absl::StrCat("/load/w", w, "-"), data, {false, true, false, 0});
        if (!path.ok()) {
          failures[w] = path.status();
          return;
        }
        acked[w].emplace_back(*path, data);
        ++acknowledged;
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return acknowledged >= 100; }, absl::Seconds(60)));
  ASSERT_LT(acknowledged.load(), kWriters * kPerWriter) << "the load finished before the kill";
  c.Stop(leader, SIGKILL);
  absl::SleepFor(absl::Milliseconds(300));
  c.Start(leader);
  for (auto& t : writers) t.join();
  for (const auto& f : failures) ASSERT_TRUE(f.ok()) << f;

  auto client = c.Client();
  auto children = client->GetChildren("/load");
  ASSERT_TRUE(children.ok()) << children.status();
  // Every acknowledged create is there, once: retries across the failover applied nothing twice.
  EXPECT_EQ(children->children.size(), static_cast<size_t>(kWriters * kPerWriter));
  for (const auto& writer : acked) {
    for (const auto& [path, data] : writer) {
      auto node = client->GetData(path);
      ASSERT_TRUE(node.ok()) << path << ": " << node.status();
      EXPECT_EQ(node->data, data);
    }
  }
  // The restarted member catches up and agrees, read locally.
  ClientOptions local;
  local.endpoints = {c.Address(leader)};
  local.consistency = raftpb::SEQUENTIAL;
  auto at_restarted = *MetastoreClient::Connect(local);
  ASSERT_TRUE(client->Sync().ok());
  EXPECT_TRUE(Eventually(
      [&] {
        auto kids = at_restarted->GetChildren("/load");
        return kids.ok() && kids->children.size() == static_cast<size_t>(kWriters * kPerWriter);
      },
      absl::Seconds(60)));
}

// A leader's process dies: its followers see its streams end and campaign at once instead
// of waiting out an election timeout (raft::Raft::ReportLeaderGone), and the one elected
// holds every acknowledged write. With lease reads they wait, and say nothing.
TEST(MetastoreCluster, AKilledLeadersFollowersCampaignWhenItsStreamsEnd) {
  for (bool lease_reads : {false, true}) {
    SCOPED_TRACE(lease_reads ? "lease reads" : "ReadIndex");
    MetastoreCluster c(lease_reads ? std::vector<std::string>{"--lease-reads"}
                                   : std::vector<std::string>{});
    c.StartAll();
    const uint64_t leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    ASSERT_TRUE(c.Client()->Create("/before", "").ok());
    c.Stop(leader, SIGKILL);
    auto client = c.Client();
    ASSERT_TRUE(client->Create("/after", "").ok());
    auto before = client->Exists("/before");
    ASSERT_TRUE(before.ok()) << before.status();
    EXPECT_TRUE(before->has_value());
    int early = 0;
    for (uint64_t id = 1; id <= 3; ++id) {
      if (id == leader) continue;
      std::string log = ReadFile(c.LogPath(id)).value_or("");
      if (log.find(absl::StrCat("leader ", leader, "'s streams ended; campaigning")) !=
          std::string::npos) {
        ++early;
      }
    }
    // Both followers, unless one saw the other's campaign before its own streams closed.
    if (lease_reads) {
      EXPECT_EQ(early, 0);
    } else {
      EXPECT_GE(early, 1);
    }
  }
}

// The asynchronous calls keep the same promises: 32 sequential creates in flight at a time
// on one client, the leader killed among them; every callback runs once, every acknowledged
// node exists once with its data, and none is there twice.
TEST(MetastoreCluster, AsyncCallsInFlightSurviveTheLeaderKilled) {
  MetastoreCluster c;
  c.StartAll();
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = c.Client(absl::Seconds(60));
  ASSERT_TRUE(client->Create("/async", "").ok());

  constexpr int kCreates = 600, kInFlight = 32;
  std::mutex mu;
  std::condition_variable cv;
  int started = 0, finished = 0, in_flight = 0;
  std::map<std::string, std::string> acked;  // path -> data
  std::vector<absl::Status> failures;
  std::function<void()> start_one = [&] {  // holds mu
    const std::string data = absl::StrCat("d", started++);
    ++in_flight;
    client->CreateAsync("/async/n-", data, {false, true, false, 0},
                        [&, data](absl::StatusOr<std::string> path) {
                          std::lock_guard lock(mu);
                          ++finished;
                          --in_flight;
                          if (path.ok()) {
                            EXPECT_TRUE(acked.emplace(*path, data).second) << *path << " twice";
                          } else {
                            failures.push_back(path.status());
                          }
                          if (started < kCreates) start_one();
                          cv.notify_all();
                        });
  };
  {
    std::lock_guard lock(mu);
    for (int i = 0; i < kInFlight; ++i) start_one();
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return finished >= 150; }));
    ASSERT_LT(finished, kCreates) << "the load finished before the kill";
  }
  c.Stop(leader, SIGKILL);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(120),
                            [&] { return finished == kCreates && in_flight == 0; }))
        << finished << " of " << kCreates << " callbacks ran";
  }
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(acked.size(), static_cast<size_t>(kCreates));
  auto children = client->GetChildren("/async");
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_EQ(children->children.size(), static_cast<size_t>(kCreates));
  for (const auto& [path, data] : acked) {
    auto node = client->GetData(path);
    ASSERT_TRUE(node.ok()) << path << ": " << node.status();
    EXPECT_EQ(node->data, data);
  }
  // Reads and sets go the same way.
  std::promise<absl::StatusOr<metastorepb::Stat>> set;
  client->SetDataAsync(acked.begin()->first, "changed", 0,
                       [&](absl::StatusOr<metastorepb::Stat> s) { set.set_value(std::move(s)); });
  auto stat = set.get_future().get();
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->version(), 1);
  std::promise<absl::StatusOr<metastore::NodeData>> got;
  client->GetDataAsync(acked.begin()->first,
                       [&](absl::StatusOr<metastore::NodeData> d) { got.set_value(std::move(d)); });
  auto node = got.get_future().get();
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->data, "changed");
  std::promise<absl::Status> stale;
  client->SetDataAsync(acked.begin()->first, "stale", 0,
                       [&](absl::StatusOr<metastorepb::Stat> s) { stale.set_value(s.status()); });
  EXPECT_EQ(ErrorOf(stale.get_future().get()), metastorepb::BAD_VERSION);
}

TEST(MetastoreCluster, FullRestartBringsBackEveryNodeAndStat) {
  MetastoreCluster c({"--snapshot-entries=50", "--log-retention=10"});
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  ASSERT_TRUE(client->Create("/ledgers", "meta").ok());
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(
        client->Create("/ledgers/L", absl::StrCat("ledger ", i), {false, true, false, 0}).ok());
  }
  ASSERT_TRUE(client->SetData("/ledgers", "meta2").ok());
  ASSERT_TRUE(client->Delete("/ledgers/L0000000007").ok());
  ASSERT_TRUE(client->TakeSnapshot().ok());
  ASSERT_TRUE(client->Create("/after-snapshot", "x").ok());
  std::map<std::string, std::string> before;
  Walk(*client, "/", &before);
  client.reset();

  for (uint64_t id = 1; id <= 3; ++id) c.Stop(id, SIGTERM);
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  client = c.Client();
  std::map<std::string, std::string> after;
  Walk(*client, "/", &after);
  EXPECT_EQ(after.size(), before.size());
  EXPECT_TRUE(after == before) << "the tree or a stat changed across the restart";
  // Sequential numbering survives the restart too.
  auto next = client->Create("/ledgers/L", "", {false, true, false, 0});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, "/ledgers/L0000000081");  // 80 creates and 1 delete came before
  for (uint64_t id = 1; id <= 3; ++id) {
    std::string log = ReadFile(c.LogPath(id)).value_or("");
    EXPECT_NE(log.find("replaying only what follows"), std::string::npos)
        << "member " << id << " did not restart from its durable tree";
  }
}

TEST(MetastoreCluster, LeaderDeletesEmptiedContainersAndIdleTtlNodes) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  ASSERT_TRUE(client->Create("/lock", "", {false, false, true, 0}).ok());
  ASSERT_TRUE(client->Create("/lock/holder", "").ok());
  ASSERT_TRUE(client->Create("/ttl", "", {false, false, false, 300}).ok());
  ASSERT_TRUE(client->Create("/ttl-parent", "", {false, false, false, 300}).ok());
  ASSERT_TRUE(client->Create("/ttl-parent/child", "").ok());
  auto gone = [&](const std::string& path) {
    return Eventually(
        [&] {
          auto st = client->Exists(path);
          return st.ok() && !st->has_value();
        },
        absl::Seconds(20));
  };
  EXPECT_TRUE(gone("/ttl"));
  ASSERT_TRUE(client->Delete("/lock/holder").ok());
  EXPECT_TRUE(gone("/lock"));
  // A TTL node with a child stays, however idle.
  auto st = client->Exists("/ttl-parent");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->has_value());
}

TEST(MetastoreCluster, EphemeralsSurviveTheirServersDeathAndGoWithTheSession) {
  MetastoreCluster c({"--min-session-timeout-ms=500"});
  c.StartAll();
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto owner = c.LeaderOnlyClient();
  ASSERT_TRUE(owner->StartSession(absl::Seconds(3)).ok());
  ASSERT_TRUE(owner->Create("/eph", "mine", {true, false, false, 0}).ok());
  ASSERT_TRUE(owner->Create("/watched", "").ok());
  std::mutex mu;
  std::vector<std::string> events;
  owner->OnEvent([&](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e.path());
  });
  ASSERT_TRUE(owner->AddWatch("/watched", true).ok());

  // The owner's stream is at the leader: kill it, and wait longer than the session timeout.
  c.Stop(leader, SIGKILL);
  ASSERT_NE(c.WaitForLeader(), 0u);
  absl::SleepFor(absl::Seconds(6));
  auto other = c.Client();
  auto st = other->Exists("/eph");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->has_value()) << "the ephemeral died with the server its session was on";
  EXPECT_EQ((*st)->ephemeral_owner(), owner->session_id());
  // The watch moved with the session.
  ASSERT_TRUE(other->Create("/watched/after-failover", "").ok());
  EXPECT_TRUE(Eventually(
      [&] {
        std::lock_guard lock(mu);
        return std::find(events.begin(), events.end(), "/watched/after-failover") != events.end();
      },
      absl::Seconds(20)));

  // A client that dies takes its ephemerals with it, once its session times out.
  owner->AbandonSession();
  EXPECT_TRUE(Eventually(
      [&] {
        auto s = other->Exists("/eph");
        return s.ok() && !s->has_value();
      },
      absl::Seconds(30)));
  c.Start(leader);
}

// A leader that hangs (SIGSTOP) keeps its connections open and answers nothing. The client
// must notice the silence and move its session's stream, or the session expires with it.
TEST(MetastoreCluster, ASessionOutlivesItsLeaderHangingPastTheTimeout) {
  MetastoreCluster c;
  c.StartAll();
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto owner = c.LeaderOnlyClient();
  ASSERT_TRUE(owner->StartSession(absl::Seconds(3)).ok());
  std::atomic<bool> ended{false};
  owner->OnSessionEnd([&](const absl::Status&) { ended = true; });
  ASSERT_TRUE(owner->Create("/eph", "mine", {true, false, false, 0}).ok());
  c.Pause(leader);
  ASSERT_TRUE(Eventually(
      [&] {
        uint64_t now = c.WaitForLeader(absl::Seconds(5));
        return now != 0 && now != leader;
      },
      absl::Seconds(30)));
  absl::SleepFor(absl::Seconds(6));  // twice the session timeout
  auto other = c.Client(absl::Seconds(30), absl::StrCat(c.Address(leader == 1 ? 2 : 1)));
  auto st = other->Exists("/eph");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->has_value()) << "the session died with the member that hung";
  EXPECT_FALSE(ended);
  // And a watch set now goes where the stream went.
  auto watched = owner->Exists("/eph", /*watch=*/true);
  EXPECT_TRUE(watched.ok()) << watched.status();
  c.Resume(leader);
}

// A new leader that has applied less than a client has seen must not set the client's watches
// against its older tree. Member 3 is paused while the client watches on member 1, and
// applies slowly, so that once resumed and made leader it is still behind when the client's
// stream moves there. Judged by its older tree, the client's watch on /y (made while 3 was
// paused) would fire NodeDeleted though /y exists, and the watch on /x would be spent, unseen,
// on the change the client had already read, so that the next one never reaches it: a lock
// waiter would wait forever.
TEST(MetastoreCluster, WatchesSetAgainOnALaggingNewLeaderAreNeitherLostNorFiredFalsely) {
  MetastoreCluster c;
  c.Start(1);
  c.Start(2);
  const uint64_t first = c.WaitForLeader();
  ASSERT_NE(first, 0u);
  c.Start(3, {"--apply-delay-ms=250"});
  auto writer = c.Client();
  ASSERT_TRUE(writer->Create("/p", "").ok());
  ASSERT_TRUE(writer->Create("/x", "0").ok());
  auto watcher = c.LeaderOnlyClient();
  ASSERT_TRUE(watcher->StartSession(absl::Seconds(8)).ok());
  std::mutex mu;
  std::vector<metastorepb::WatchEvent> events;
  watcher->OnEvent([&](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  auto events_on = [&](const std::string& path) {
    std::lock_guard lock(mu);
    std::vector<metastorepb::WatchEvent> out;
    for (const auto& e : events) {
      if (e.path() == path) out.push_back(e);
    }
    return out;
  };
  ASSERT_TRUE(watcher->AddWatch("/p", /*recursive=*/true).ok());
  ASSERT_TRUE(Eventually(
      [&] {
        auto st = writer->MemberStatus(c.Address(3), absl::Seconds(1));
        return st.ok() && st->raft().applied() >= watcher->last_zxid();
      },
      absl::Seconds(30)));

  c.Pause(3);
  constexpr int kMissed = 12;  // for member 3 to apply before it reaches /x and /y
  for (int i = 0; i < kMissed; ++i) ASSERT_TRUE(writer->Create(absl::StrCat("/p/n", i), "").ok());
  ASSERT_TRUE(writer->SetData("/x", "1").ok());
  ASSERT_TRUE(writer->Create("/y", "0").ok());
  ASSERT_TRUE(watcher->GetData("/x", /*watch=*/true).ok());
  ASSERT_TRUE(watcher->GetData("/y", /*watch=*/true).ok());
  ASSERT_TRUE(Eventually([&] { return !events_on(absl::StrCat("/p/n", kMissed - 1)).empty(); },
                         absl::Seconds(30)));

  c.Resume(3);
  raftpb::MembershipRequest transfer;
  transfer.set_op(raftpb::MembershipRequest::TRANSFER_LEADER);
  transfer.set_id(3);
  ASSERT_TRUE(writer->ChangeMembership(transfer).ok());
  // A watching read meanwhile goes where the stream goes, and sees no older state.
  auto y_now = watcher->GetData("/y", /*watch=*/true);
  ASSERT_TRUE(y_now.ok()) << y_now.status();
  EXPECT_EQ(y_now->data, "0");
  auto x = writer->SetData("/x", "2");
  ASSERT_TRUE(x.ok()) << x.status();
  auto y = writer->SetData("/y", "1");
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_TRUE(writer->Create("/p/after", "").ok());
  auto st = writer->MemberStatus(c.Address(3), absl::Seconds(5));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->raft().leader(), 3u) << "the test meant member 3 to lead now";

  EXPECT_TRUE(Eventually([&] { return !events_on("/x").empty() && !events_on("/y").empty(); },
                         absl::Seconds(30)))
      << "a one-shot watch set again on the lagging leader was lost";
  auto on_x = events_on("/x");
  auto on_y = events_on("/y");
  ASSERT_EQ(on_y.size(), 1u);
  EXPECT_EQ(on_y[0].type(), metastorepb::NODE_DATA_CHANGED) << "a false event for /y";
  EXPECT_EQ(on_y[0].zxid(), static_cast<uint64_t>(y->mzxid()));
  ASSERT_EQ(on_x.size(), 1u);
  EXPECT_EQ(on_x[0].type(), metastorepb::NODE_DATA_CHANGED);
  EXPECT_EQ(on_x[0].zxid(), static_cast<uint64_t>(x->mzxid()));
  // The persistent watch went on with nothing lost or repeated.
  EXPECT_TRUE(Eventually([&] { return !events_on("/p/after").empty(); }, absl::Seconds(30)));
  std::lock_guard lock(mu);
  std::vector<std::string> below_p;
  uint64_t last = 0;
  for (const auto& e : events) {
    if (!absl::StartsWith(e.path(), "/p/")) continue;
    below_p.push_back(e.path());
    EXPECT_GT(e.zxid(), last) << e.path() << " out of order";
    last = e.zxid();
  }
  std::vector<std::string> expected;
  for (int i = 0; i < kMissed; ++i) expected.push_back(absl::StrCat("/p/n", i));
  expected.push_back("/p/after");
  EXPECT_EQ(below_p, expected);
}

// A member refuses a client that has seen more than it has applied, in time for the client to
// try again: the attach of a session, a watch set on a stream and a watching read, each with a
// zxid this member will not reach (no one has written it).
TEST(MetastoreCluster, AMemberBehindItsClientRefusesToServeIt) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = c.Client();
  ASSERT_TRUE(client->Create("/a", "").ok());
  const uint64_t ahead = client->last_zxid() + 1000000;
  auto stub = metastorepb::Metastore::NewStub(
      grpc::CreateChannel(c.Address(leader), grpc::InsecureChannelCredentials()));
  // A read waits for half of what is left of its deadline; a stream message for a third of
  // the session's timeout.
  auto deadline = [](int seconds) {
    return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  };

  grpc::ClientContext create_ctx;
  create_ctx.set_deadline(deadline(5));
  metastorepb::CreateSessionRequest create;
  create.set_timeout_ms(6000);
  metastorepb::CreateSessionResponse session;
  ASSERT_TRUE(stub->CreateSession(&create_ctx, create, &session).ok());
  ASSERT_EQ(session.header().error(), metastorepb::OK) << session.header().message();

  for (auto consistency : {raftpb::SEQUENTIAL, raftpb::LINEARIZABLE}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(2));
    metastorepb::GetDataRequest get;
    get.set_path("/a");
    get.set_watch(true);
    get.mutable_header()->set_session_id(session.session_id());
    get.mutable_header()->set_session_password(session.password());
    get.mutable_header()->set_consistency(consistency);
    get.mutable_header()->set_min_zxid(ahead);
    metastorepb::GetDataResponse got;
    grpc::Status gs = stub->GetData(&ctx, get, &got);
    ASSERT_TRUE(gs.ok()) << "no answer before the deadline: " << gs.error_message();
    EXPECT_EQ(got.header().error(), metastorepb::MEMBER_BEHIND) << got.header().message();
  }

  auto attach = [&](grpc::ClientContext* ctx, uint64_t seen) {
    auto stream = stub->Session(ctx);
    metastorepb::SessionRequest r;
    r.set_attach(session.session_id());
    r.set_password(session.password());
    r.set_seen_zxid(seen);
    EXPECT_TRUE(stream->Write(r));
    return stream;
  };
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(5));
    auto stream = attach(&ctx, ahead);
    metastorepb::SessionEvent ev;
    ASSERT_TRUE(stream->Read(&ev)) << "no answer before the deadline";
    ASSERT_TRUE(ev.has_closed()) << ev.DebugString();
    EXPECT_EQ(ev.closed().error(), metastorepb::MEMBER_BEHIND) << ev.closed().message();
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline(5));
  auto stream = attach(&ctx, client->last_zxid());
  metastorepb::SessionEvent ev;
  ASSERT_TRUE(stream->Read(&ev));
  ASSERT_TRUE(ev.has_attached()) << ev.DebugString();
  metastorepb::SessionRequest add;
  add.mutable_add_watch()->set_path("/a");
  add.mutable_add_watch()->set_kind(metastorepb::WATCH_DATA);
  add.mutable_add_watch()->set_since_zxid(ahead);
  ASSERT_TRUE(stream->Write(add));
  ASSERT_TRUE(stream->Read(&ev)) << "no answer before the deadline";
  ASSERT_TRUE(ev.has_watch_ack()) << ev.DebugString();
  EXPECT_EQ(ev.watch_ack().header().error(), metastorepb::MEMBER_BEHIND);
  // The stream goes on.
  metastorepb::SessionRequest ka;
  ka.set_keep_alive(true);
  ASSERT_TRUE(stream->Write(ka));
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_TRUE(ev.has_keep_alive_ack()) << ev.DebugString();
  // Neither refused read nor the refused watch left a watch behind.
  auto status = client->MemberStatus(c.Address(leader), absl::Seconds(5));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->watches(), 0u);
  stream->WritesDone();
}

}  // namespace
}  // namespace warren::testing
