// A member cut off from the leader (a partition: its peers' packets dropped both ways, its
// clients still reaching it) stops serving once it has been cut off for longer than its
// clients can wait, and its clients move. Members in network namespaces of their own, made by
// the fault-test harness (root needed; skipped without it).
#include "gtest/gtest.h"
#include "jepsen/harness/cluster.h"
#include "metastore/errors.h"
#include "tests/integration/eventually.h"
#include "tests/log/log_test_util.h"

namespace warren::testing {
namespace {

using metastore::ClientOptions;
using metastore::MetastoreClient;

// A client of the first of `endpoints`, that moves to the others if it must.
std::unique_ptr<MetastoreClient> ClientOf(std::vector<std::string> endpoints,
                                          absl::Duration timeout) {
  ClientOptions o;
  o.endpoints = std::move(endpoints);
  o.shuffle = false;
  o.request_timeout = timeout;
  o.consistency = raftpb::SEQUENTIAL;
  return std::move(*MetastoreClient::Connect(o));
}

// What each member says of itself, for a failure's message.
std::string MemberViews(jepsen::Cluster& c) {
  std::string out;
  for (int id = 1; id <= 3; ++id) {
    absl::StrAppend(&out, "\n  member ", id, ": ");
    auto s = c.admin()->MemberStatus(c.Endpoint(id), absl::Seconds(2));
    if (!s.ok()) {
      absl::StrAppend(&out, s.status().ToString());
      continue;
    }
    absl::StrAppend(&out, s->raft().role(), ", leader ", s->raft().leader(), ", applied ",
                    s->raft().applied(), ", streams ", s->streams(), ", leader silent for ",
                    s->leader_silence_ms(), " ms");
  }
  return out;
}

TEST(CutOffMember, StopsServingOnceItsClientsCannotWaitAndTheyMove) {
  raft::testing::TempDir dir("cut-off-member");
  jepsen::ClusterOptions options;
  options.warrend = WARREND;
  options.dir = dir.path();
  options.tick_ms = 20;
  // Moves this process into a network namespace of its own first (before any thread starts).
  auto cluster = jepsen::Cluster::Start(options);
  if (absl::IsFailedPrecondition(cluster.status())) GTEST_SKIP() << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  jepsen::Cluster& c = **cluster;
  auto leader = c.Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int cut = *leader == 1 ? 2 : 1;
  const int other = 6 - *leader - cut;
  ASSERT_TRUE(c.admin()->Create("/x", "0").ok());
  ASSERT_TRUE(c.admin()->Create("/w", "").ok());

  // A client that can reach the member to be cut off alone, and one that knows every member
  // but starts there.
  auto pinned = ClientOf({c.Endpoint(cut)}, absl::Seconds(2));
  auto mover = ClientOf(c.EndpointsFrom(cut - 1), absl::Seconds(20));
  ASSERT_EQ(mover->member(), c.Endpoint(cut));
  ASSERT_TRUE(mover->StartSession(absl::Seconds(3)).ok());
  std::atomic<bool> ended{false};
  mover->OnSessionEnd([&](const absl::Status&) { ended = true; });
  std::mutex mu;
  std::vector<std::string> events;
  mover->OnEvent([&](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e.path());
  });
  ASSERT_TRUE(mover->Create("/eph", "", {true, false, false, 0}).ok());
  ASSERT_TRUE(mover->AddWatch("/w", /*recursive=*/true).ok());
  ASSERT_TRUE(pinned->GetData("/x").ok());

  for (int peer : {*leader, other}) {
    ASSERT_TRUE(c.Drop(peer, cut).ok());
    ASSERT_TRUE(c.Drop(cut, peer).ok());
  }
  const absl::Time cut_at = absl::Now();

  // Reads without a session: refused after 2/3 of the shortest session timeout (2 s). A read
  // that arrives before that waits for the leader, and its client's own deadline may end it
  // first (DeadlineExceeded): the next one is refused.
  absl::Status refused;
  ASSERT_TRUE(Eventually(
      [&] {
        refused = pinned->GetData("/x").status();
        return refused.message().find("has not reached a leader") != std::string::npos;
      },
      absl::Seconds(20)))
      << refused;
  EXPECT_GE(absl::Now() - cut_at, absl::Milliseconds(1333));

  // The session's client moved, its session alive, its watch with it.
  EXPECT_TRUE(Eventually([&] { return mover->member() != c.Endpoint(cut); }, absl::Seconds(20)))
      << MemberViews(c);
  // The client names its new member before its stream has attached there. (The bound is
  // generous: once, under CI's load, the stream took longer than 20 s to attach; if it ever
  // fails, the members' views say where things stood.)
  EXPECT_TRUE(Eventually([&] { return mover->stream_attachments() >= 2; }, absl::Seconds(60)))
      << mover->stream_attachments() << " attachments; its member " << mover->member()
      << MemberViews(c);
  ASSERT_TRUE(c.admin()->Create("/w/while-cut-off", "").ok());
  EXPECT_TRUE(Eventually(
      [&] {
        std::lock_guard lock(mu);
        return std::find(events.begin(), events.end(), "/w/while-cut-off") != events.end();
      },
      absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(4));  // past the session timeout
  auto eph = c.admin()->Exists("/eph");
  ASSERT_TRUE(eph.ok()) << eph.status();
  EXPECT_TRUE(eph->has_value()) << "the session died with the member that was cut off";
  EXPECT_FALSE(ended);
  auto status = c.admin()->MemberStatus(c.Endpoint(cut), absl::Seconds(5));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->streams(), 0u);
  EXPECT_GT(status->leader_silence_ms(), 2000);

  // Healed, it serves again.
  ASSERT_TRUE(c.HealNetwork().ok());
  EXPECT_TRUE(Eventually([&] { return pinned->GetData("/x").ok(); }, absl::Seconds(30)));
}

}  // namespace
}  // namespace warren::testing
