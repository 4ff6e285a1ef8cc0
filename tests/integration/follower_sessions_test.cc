// Every member serves clients: sessions, reads and watches on followers, writes forwarded to
// the leader. Real warrend quorums on loopback.
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/integration/loopback_socket.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using metastore::CreateOptions;

constexpr CreateOptions kEphemeral{true, false, false, 0};

std::vector<uint64_t> Followers(uint64_t leader) {
  std::vector<uint64_t> out;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) out.push_back(id);
  }
  return out;
}

// Watch events a client received, by path.
class EventLog {
 public:
  explicit EventLog(MetastoreClient& client) {
    client.OnEvent([this](const metastorepb::WatchEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    });
  }
  std::vector<metastorepb::WatchEvent> On(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<metastorepb::WatchEvent> out;
    for (const auto& e : events_) {
      if (e.path() == path) out.push_back(e);
    }
    return out;
  }
  std::vector<std::string> Paths() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) out.push_back(e.path());
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<metastorepb::WatchEvent> events_;
};

// A client that can talk to member `id` alone, reading at sequential consistency: whatever it
// is answered, that member answered from its own state.
std::unique_ptr<MetastoreClient> PinnedClient(MetastoreCluster& c, uint64_t id) {
  ClientOptions o = c.Options(absl::Seconds(30), c.Address(id));
  o.consistency = raftpb::SEQUENTIAL;
  return c.Client(o);
}

TEST(FollowerSessions, ASessionOnAFollowerWritesReadsItsWritesAndWatchesThere) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto writer = c.Client();
  ASSERT_TRUE(writer->Create("/shared", "0").ok());

  std::vector<std::unique_ptr<MetastoreClient>> clients;
  std::vector<std::unique_ptr<EventLog>> logs;
  for (uint64_t f : Followers(leader)) {
    auto client = PinnedClient(c, f);
    ASSERT_TRUE(client->StartSession(absl::Seconds(10)).ok());
    logs.push_back(std::make_unique<EventLog>(*client));
    const std::string dir = absl::StrCat("/f", f);
    // Each write is forwarded to the leader and answered once applied here: the next read,
    // served here from this member's own state, sees it.
    ASSERT_TRUE(client->Create(dir, "").ok());
    auto eph = client->Create(dir + "/eph", "mine", kEphemeral);
    ASSERT_TRUE(eph.ok()) << eph.status();
    for (int i = 1; i <= 20; ++i) {
      ASSERT_TRUE(client->SetData(dir, absl::StrCat(i)).ok());
      auto got = client->GetData(dir);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->data, absl::StrCat(i)) << "member " << f << " did not read its write";
      EXPECT_EQ(got->stat.version(), i);
    }
    auto st = client->Exists(dir + "/eph");
    ASSERT_TRUE(st.ok() && st->has_value());
    EXPECT_EQ((*st)->ephemeral_owner(), client->session_id());
    ASSERT_TRUE(client->GetData("/shared", /*watch=*/true).ok());
    ASSERT_TRUE(client->AddWatch(dir, /*recursive=*/true).ok());
    clients.push_back(std::move(client));
  }
  for (uint64_t id = 1; id <= 3; ++id) {
    auto status = writer->MemberStatus(c.Address(id), absl::Seconds(5));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->streams(), id == leader ? 0u : 1u)
        << "member " << id << " should hold exactly its own client's stream";
  }

  auto changed = writer->SetData("/shared", "1");
  ASSERT_TRUE(changed.ok());
  ASSERT_TRUE(writer->Create(absl::StrCat("/f", Followers(leader)[0], "/by-writer"), "").ok());
  for (size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(Eventually([&] { return !logs[i]->On("/shared").empty(); }, absl::Seconds(20)));
    auto on_shared = logs[i]->On("/shared");
    ASSERT_EQ(on_shared.size(), 1u) << "a one-shot watch fires once";
    EXPECT_EQ(on_shared[0].type(), metastorepb::NODE_DATA_CHANGED);
    EXPECT_EQ(on_shared[0].zxid(), static_cast<uint64_t>(changed->mzxid()));
  }
  const std::string by_writer = absl::StrCat("/f", Followers(leader)[0], "/by-writer");
  EXPECT_TRUE(Eventually([&] { return !logs[0]->On(by_writer).empty(); }, absl::Seconds(20)));
  EXPECT_TRUE(logs[1]->On(by_writer).empty()) << "an event outside the watched subtree";

  // Closing a session on a follower takes its ephemerals at once.
  const uint64_t f = Followers(leader)[1];
  ASSERT_TRUE(clients[1]->CloseSession().ok());
  auto gone = writer->Exists(absl::StrCat("/f", f, "/eph"));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST(FollowerSessions, KillingTheLeaderLeavesSessionsOnFollowersWhereTheyAre) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(c.Client()->Create("/w", "").ok());
  const std::vector<uint64_t> followers = Followers(leader);
  std::vector<std::unique_ptr<MetastoreClient>> clients;
  std::vector<std::unique_ptr<EventLog>> logs;
  std::atomic<int> sessions_ended{0};
  for (uint64_t f : followers) {
    auto client = PinnedClient(c, f);
    ASSERT_TRUE(client->StartSession(absl::Seconds(4)).ok());
    client->OnSessionEnd([&](const absl::Status&) { ++sessions_ended; });
    logs.push_back(std::make_unique<EventLog>(*client));
    ASSERT_TRUE(client->Create(absl::StrCat("/eph", f), "", kEphemeral).ok());
    ASSERT_TRUE(client->AddWatch("/w", /*recursive=*/true).ok());
    clients.push_back(std::move(client));
  }

  c.Stop(leader, SIGKILL);
  const uint64_t next = c.WaitForLeader();
  ASSERT_NE(next, 0u);
  // Past the session timeout: the followers relayed their sessions' keep-alives to the new
  // leader, whose timers started afresh.
  absl::SleepFor(absl::Seconds(6));
  for (size_t i = 0; i < clients.size(); ++i) {
    auto made = clients[i]->Create(absl::StrCat("/w/after-", followers[i]), "");
    ASSERT_TRUE(made.ok()) << made.status();
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    for (uint64_t f : followers) {
      const std::string path = absl::StrCat("/w/after-", f);
      EXPECT_TRUE(Eventually([&] { return !logs[i]->On(path).empty(); }, absl::Seconds(20)))
          << "the client on member " << followers[i] << " missed " << path;
      auto eph = clients[i]->Exists(absl::StrCat("/eph", f));
      ASSERT_TRUE(eph.ok()) << eph.status();
      EXPECT_TRUE(eph->has_value()) << "the ephemeral of the session on member " << f;
    }
    EXPECT_EQ(clients[i]->stream_attachments(), 1u)
        << "the session on member " << followers[i] << " had to move";
  }
  EXPECT_EQ(sessions_ended, 0);
}

TEST(FollowerSessions, KillingAFollowerMovesItsSessionsWithEphemeralsAndWatches) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto writer = c.LeaderOnlyClient();
  ASSERT_TRUE(writer->Create("/w", "").ok());
  ASSERT_TRUE(writer->Create("/one", "0").ok());
  const std::vector<uint64_t> followers = Followers(leader);
  // Its endpoints are the two followers: it picks one at random.
  auto client = c.Client(
      c.Options(absl::Seconds(30), c.Address(followers[0]) + "," + c.Address(followers[1])));
  ASSERT_TRUE(client->StartSession(absl::Seconds(4)).ok());
  EventLog log(*client);
  std::atomic<bool> ended{false};
  client->OnSessionEnd([&](const absl::Status&) { ended = true; });
  ASSERT_TRUE(client->Create("/eph", "", kEphemeral).ok());
  ASSERT_TRUE(client->AddWatch("/w", /*recursive=*/true).ok());
  ASSERT_TRUE(client->GetData("/one", /*watch=*/true).ok());
  const std::string first = client->member();
  const uint64_t victim = first == c.Address(followers[0]) ? followers[0] : followers[1];
  ASSERT_EQ(first, c.Address(victim));

  c.Stop(victim, SIGKILL);
  // Changes while the session moves: none may be missed.
  auto one = writer->SetData("/one", "1");
  ASSERT_TRUE(one.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->Create(absl::StrCat("/w/n", i), "").ok());
  EXPECT_TRUE(Eventually([&] { return !log.On("/w/n4").empty(); }, absl::Seconds(20)));
  EXPECT_TRUE(Eventually([&] { return !log.On("/one").empty(); }, absl::Seconds(20)));
  auto on_one = log.On("/one");
  ASSERT_EQ(on_one.size(), 1u);
  EXPECT_EQ(on_one[0].zxid(), static_cast<uint64_t>(one->mzxid()));
  std::vector<std::string> under_w;
  for (const auto& p : log.Paths()) {
    if (absl::StartsWith(p, "/w/")) under_w.push_back(p);
  }
  EXPECT_EQ(under_w, (std::vector<std::string>{"/w/n0", "/w/n1", "/w/n2", "/w/n3", "/w/n4"}));
  EXPECT_NE(client->member(), first);
  EXPECT_EQ(client->stream_attachments(), 2u);

  absl::SleepFor(absl::Seconds(6));  // past the session timeout
  auto eph = writer->Exists("/eph");
  ASSERT_TRUE(eph.ok());
  EXPECT_TRUE(eph->has_value()) << "the ephemeral died with the member its session was on";
  EXPECT_FALSE(ended);
  c.Start(victim);
}

// A session's stream that moves to an endpoint that never answers leaves it well within the
// session's timeout and attaches at a member that does, its session alive. What bounds the
// wait there is the members' channel settings (a connection attempt gives up after 100 ms
// without the server's HTTP/2 settings; gRPC's default is 20 s, past any session timeout).
TEST(FollowerSessions, AStreamLeavesAnEndpointThatNeverAnswersBeforeItsSessionExpires) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t follower = Followers(leader)[0];
  SilentListener silent;
  auto client =
      c.Client(c.Options(absl::Seconds(30), c.Address(follower) + "," + silent.endpoint()));
  ASSERT_TRUE(client->StartSession(absl::Seconds(9)).ok());
  std::atomic<bool> ended{false};
  client->OnSessionEnd([&](const absl::Status&) { ended = true; });
  ASSERT_TRUE(client->Create("/eph", "", kEphemeral).ok());
  ASSERT_TRUE(Eventually([&] { return client->stream_attachments() == 1; }, absl::Seconds(10)));
  ASSERT_EQ(client->member(), c.Address(follower));

  // Its member dies and comes back: the stream goes to the other endpoint, the silent one,
  // first; it must give up on it in time to come back.
  c.Stop(follower, SIGKILL);
  c.Start(follower);
  EXPECT_TRUE(Eventually([&] { return client->stream_attachments() == 2; }, absl::Seconds(30)));
  EXPECT_EQ(client->member(), c.Address(follower));
  absl::SleepFor(absl::Seconds(10));  // past the session timeout
  auto writer = c.Client();
  auto eph = writer->Exists("/eph");
  ASSERT_TRUE(eph.ok()) << eph.status();
  EXPECT_TRUE(eph->has_value()) << "the session expired while its stream waited on the endpoint";
  EXPECT_FALSE(ended);
}

// The leader-only mode of the client, for comparison: its session's stream is at the leader.
TEST(FollowerSessions, ALeaderOnlyClientKeepsItsStreamAtTheLeader) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = c.LeaderOnlyClient();
  ASSERT_TRUE(client->StartSession(absl::Seconds(10)).ok());
  ASSERT_TRUE(client->Create("/eph", "", kEphemeral).ok());
  EXPECT_EQ(client->member(), c.Address(leader));
  // The stream attaches on the client's session thread, after StartSession returns.
  EXPECT_TRUE(Eventually(
      [&] {
        auto status = client->MemberStatus(c.Address(leader), absl::Seconds(5));
        return status.ok() && status->streams() == 1;
      },
      absl::Seconds(10)))
      << "no stream at the leader";
  for (uint64_t id = 1; id <= 3; ++id) {
    auto status = client->MemberStatus(c.Address(id), absl::Seconds(5));
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->streams(), id == leader ? 1u : 0u) << "member " << id;
  }
}

// A member the leader no longer replicates to reaches the leader as well as ever, but is not
// in touch with it: it has not applied what the leader had. It must stop serving.
TEST(FollowerSessions, AMemberRemovedFromTheGroupStopsServingItsOldState) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t removed = Followers(leader)[0];
  auto admin = c.LeaderOnlyClient();
  ASSERT_TRUE(admin->Create("/x", "0").ok());
  ClientOptions o = c.Options(absl::Seconds(3), c.Address(removed));
  o.consistency = raftpb::SEQUENTIAL;
  auto pinned = c.Client(o);
  // A member just started serves once it has been in touch with the leader (a relay answered
  // and applied): on a loaded machine that can take a moment.
  absl::Status before;
  ASSERT_TRUE(Eventually(
      [&] {
        before = pinned->GetData("/x").status();
        return before.ok();
      },
      absl::Seconds(30)))
      << before;

  raftpb::MembershipRequest remove;
  remove.set_op(raftpb::MembershipRequest::REMOVE);
  remove.set_id(removed);
  ASSERT_TRUE(admin->ChangeMembership(remove).ok());
  ASSERT_TRUE(admin->SetData("/x", "1").ok());  // never reaches the removed member
  absl::Status refused;
  EXPECT_TRUE(Eventually(
      [&] {
        auto got = pinned->GetData("/x");
        EXPECT_TRUE(!got.ok() || got->data == "0") << "the removed member cannot know of 1";
        refused = got.status();
        return !got.ok();
      },
      absl::Seconds(30)))
      << "the removed member went on serving the state it was removed at";
  EXPECT_NE(refused.message().find("has not reached a leader"), std::string::npos) << refused;
}

// A member refuses a forwarded write of a command no client may send, as the leader does.
TEST(FollowerSessions, AForwardCarriesOnlyWhatAClientMaySend) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  for (uint64_t id = 1; id <= 3; ++id) {
    auto stub = metastorepb::Metastore::NewStub(
        grpc::CreateChannel(c.Address(id), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    metastorepb::ForwardRequest req;
    req.mutable_command()->mutable_expire_sessions()->add_session_ids(1);
    metastorepb::ForwardResponse resp;
    ASSERT_TRUE(stub->Forward(&ctx, req, &resp).ok());
    // The leader judges it as any client's write; the others do not propose at all.
    EXPECT_EQ(resp.header().error(),
              id == leader ? metastorepb::BAD_ARGUMENTS : metastorepb::NOT_LEADER)
        << "member " << id << ": " << resp.header().message();
  }
}

// A batch of forwarded writes is judged write by write: each gets its own answer, in order.
TEST(FollowerSessions, AForwardedBatchIsAnsweredWriteByWrite) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto stub = metastorepb::Metastore::NewStub(
      grpc::CreateChannel(c.Address(leader), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  metastorepb::ForwardBatchRequest req;
  auto* bad = req.add_writes();
  bad->mutable_command()->mutable_expire_sessions()->add_session_ids(1);
  auto* good = req.add_writes();
  auto* create = good->mutable_command()->mutable_multi()->add_ops()->mutable_create();
  create->set_path("/batched");
  create->set_data("x");
  auto* twice = req.add_writes();
  *twice->mutable_command() = good->command();  // the same create: the node exists by then
  metastorepb::ForwardBatchResponse resp;
  ASSERT_TRUE(stub->ForwardBatch(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.results(0).header().error(), metastorepb::BAD_ARGUMENTS)
      << resp.results(0).header().message();
  EXPECT_EQ(resp.results(1).header().error(), metastorepb::OK)
      << resp.results(1).header().message();
  EXPECT_EQ(resp.results(2).header().error(), metastorepb::NODE_EXISTS)
      << resp.results(2).header().message();
  auto got = c.Client()->GetData("/batched");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data, "x");
}

// Many writes at once through one follower go to the leader in batches; each is applied
// exactly once and answered.
TEST(FollowerSessions, ManyConcurrentWritesThroughAFollowerAreEachAppliedOnce) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = PinnedClient(c, Followers(leader)[0]);
  ASSERT_TRUE(client->Create("/counter", "").ok());
  ASSERT_TRUE(client->Create("/items", "").ok());
  constexpr int kWrites = 300;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<absl::Status> failures;
  auto finished = [&](absl::Status s) {
    std::lock_guard lock(mu);
    if (!s.ok()) failures.push_back(s);
    ++done;
    cv.notify_all();
  };
  for (int i = 0; i < kWrites; ++i) {
    client->SetDataAsync("/counter", absl::StrCat(i), -1,
                         [&](absl::StatusOr<metastorepb::Stat> r) { finished(r.status()); });
    client->CreateAsync(absl::StrCat("/items/", i), "", {},
                        [&](absl::StatusOr<std::string> r) { finished(r.status()); });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == 2 * kWrites; }))
        << done << " of " << 2 * kWrites << " writes answered";
    ASSERT_TRUE(failures.empty()) << failures.front();
  }
  auto counter = client->GetData("/counter");
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(counter->stat.version(), kWrites) << "each setData applied once";
  auto items = client->GetChildren("/items");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(items->children.size(), static_cast<size_t>(kWrites));
}

}  // namespace
}  // namespace warren::testing
