// A quorum of real warrend processes with --metrics-address, scraped over HTTP as Prometheus
// would: the figures move with the writes, one member says it leads and reports its peers'
// lag, a new leader is counted and makes the survivors ready, snapshots are counted where they
// are taken, sent and installed, a member without a quorum is live but not ready, and a
// metrics port in use stops a member with one line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/metastore_cluster.h"
#include "tests/metrics/exposition.h"
#include "tests/metrics/http_client.h"

namespace warren::testing {
namespace {

constexpr absl::Duration kPatience = absl::Seconds(30);

// A MetastoreCluster whose members serve metrics on ports of their own.
class MetricsQuorum {
 public:
  // `flags` are every member's.
  explicit MetricsQuorum(std::vector<std::string> flags = {}) : cluster_(std::move(flags)) {
    for (uint64_t id = 1; id <= 3; ++id) ports_[id] = FreeLoopbackPort();
  }
  MetastoreCluster& cluster() { return cluster_; }

  void Start(uint64_t id) {
    cluster_.Start(id, {absl::StrCat("--metrics-address=127.0.0.1:", ports_.at(id))});
  }
  void StartAll() {
    for (uint64_t id = 1; id <= 3; ++id) Start(id);
  }
  absl::StatusOr<HttpReply> Get(uint64_t id, const std::string& path) {
    return HttpGet(ports_.at(id), path);
  }
  // The member's metrics; nullopt if it does not answer 200.
  std::optional<Exposition> Scrape(uint64_t id) {
    auto r = Get(id, "/metrics");
    if (!r.ok() || r->status != 200) return std::nullopt;
    return Exposition(r->body);
  }
  // Its metrics once it answers (failing the test if it does not within kPatience).
  Exposition ScrapeOnceUp(uint64_t id) {
    std::optional<Exposition> e;
    EXPECT_TRUE(Eventually([&] { return (e = Scrape(id)).has_value(); }, kPatience))
        << "member " << id << " serves no metrics";
    return e.value_or(Exposition(""));
  }
  int Status(uint64_t id, const std::string& path) {
    auto r = Get(id, path);
    return r.ok() ? r->status : 0;
  }

 private:
  MetastoreCluster cluster_;
  std::map<uint64_t, int> ports_;
};

double Gauge(const Exposition& e, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  return e.Value(name, labels).value_or(-1);
}

// The requests of `op` answered OK through the gRPC API, over the members given.
double Requests(const std::map<uint64_t, Exposition>& scrapes, const std::string& op) {
  double sum = 0;
  for (const auto& [id, e] : scrapes) {
    sum +=
        e.Sum("warren_metastore_requests_total", {{"door", "grpc"}, {"op", op}, {"outcome", "OK"}});
  }
  return sum;
}

TEST(MetricsQuorum, FiguresMoveWithWritesAndANewLeaderMakesTheSurvivorsReady) {
  MetricsQuorum q;
  q.StartAll();
  ASSERT_NE(q.cluster().WaitForLeader(), 0u);
  std::map<uint64_t, Exposition> before;
  for (uint64_t id = 1; id <= 3; ++id) before.emplace(id, q.ScrapeOnceUp(id));

  // N creates through the client, N sets through the CLI.
  constexpr int kWrites = 10;
  auto client = q.cluster().Client();
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(client->Create(absl::StrCat("/scraped-", i), "v").ok());
  }
  for (int i = 0; i < kWrites; ++i) {
    auto r = q.cluster().Cli({"set", absl::StrCat("/scraped-", i), "changed"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::map<uint64_t, Exposition> after;
  auto moved = [&](uint64_t id) {
    auto e = q.Scrape(id);
    if (!e.has_value()) return false;
    after.insert_or_assign(id, *e);
    const Exposition& b = before.at(id);
    auto grew = [&](const char* name, double by) {
      return Gauge(*e, name, {{"group", "metastore"}}) >=
             Gauge(b, name, {{"group", "metastore"}}) + by;
    };
    auto st = client->MemberStatus(q.cluster().Address(id), absl::Seconds(5));
    return grew("warren_raft_commit_index", 2 * kWrites) &&
           grew("warren_raft_applied_index", 2 * kWrites) &&
           grew("warren_raft_apply_duration_seconds_count", 2 * kWrites) &&
           Gauge(*e, "warren_metastore_znodes") == Gauge(b, "warren_metastore_znodes") + kWrites &&
           st.ok() && Gauge(*e, "warren_metastore_znodes") == st->znodes() &&
           Gauge(*e, "warren_metastore_data_bytes") >=
               Gauge(b, "warren_metastore_data_bytes") + kWrites * 7;
  };
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_TRUE(Eventually([&] { return moved(id); }, kPatience)) << "member " << id;
  }
  ASSERT_EQ(after.size(), 3u);
  EXPECT_GE(Requests(after, "create"), Requests(before, "create") + kWrites);
  EXPECT_GE(Requests(after, "set"), Requests(before, "set") + kWrites);
  auto sum = [](const std::map<uint64_t, Exposition>& scrapes, const char* name) {
    double total = 0;
    for (const auto& [id, e] : scrapes) total += e.Sum(name);
    return total;
  };
  EXPECT_GE(sum(after, "warren_raft_proposals_total"),
            sum(before, "warren_raft_proposals_total") + 2 * kWrites);

  // One view the three agree on: exactly one leads, and it reports both followers caught up.
  double committed = 0;
  for (const auto& [id, e] : after)
    committed = std::max(committed, Gauge(e, "warren_raft_commit_index"));
  uint64_t leader = 0;
  std::map<uint64_t, Exposition> view;
  auto agreed = [&] {
    view.clear();
    uint64_t leading = 0;
    for (uint64_t id = 1; id <= 3; ++id) {
      auto e = q.Scrape(id);
      if (!e.has_value()) return false;
      if (Gauge(*e, "warren_raft_role", {{"role", "leader"}}) == 1) {
        if (leading != 0) return false;
        leading = id;
      } else if (Gauge(*e, "warren_raft_role", {{"role", "follower"}}) != 1) {
        return false;
      }
      view.emplace(id, *e);
    }
    if (leading == 0) return false;
    for (const auto& [id, e] : view) {
      if (Gauge(e, "warren_raft_leader_id") != leading) return false;
    }
    for (uint64_t peer = 1; peer <= 3; ++peer) {
      const std::map<std::string, std::string> labels = {{"peer", absl::StrCat(peer)}};
      const Exposition& lead = view.at(leading);
      if (peer == leading) {
        if (!lead.All("warren_raft_peer_lag_entries", labels).empty()) return false;
        continue;
      }
      if (Gauge(lead, "warren_raft_peer_match_index", labels) < committed ||
          Gauge(lead, "warren_raft_peer_lag_entries", labels) < 0) {
        return false;
      }
    }
    leader = leading;
    return true;
  };
  ASSERT_TRUE(Eventually(agreed, kPatience)) << "no view with one leader";
  for (const auto& [id, e] : view) {
    EXPECT_TRUE(e.All("warren_raft_peer_lag_entries").empty() == (id != leader)) << id;
    EXPECT_GT(Gauge(e, "warren_raft_fsync_duration_seconds_count"), 0) << id;
    EXPECT_GT(Gauge(e, "warren_raft_fsync_entries_sum"), 0) << id;
    EXPECT_GT(Gauge(e, "warren_raft_log_bytes"), 0) << id;
    EXPECT_GT(Gauge(e, "process_resident_memory_bytes"), 0) << id;
    EXPECT_GT(Gauge(e, "process_open_fds"), 0) << id;
    EXPECT_EQ(Gauge(e, "warren_raft_refused_messages_total"), 0) << id;
    auto health = q.Get(id, "/healthz");
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok\n");
    EXPECT_TRUE(Eventually([&] { return q.Status(id, "/readyz") == 200; }, kPatience)) << id;
    EXPECT_EQ(q.Status(id, "/nope"), 404);
  }

  // The leader dies: a survivor sees a new leader, and both are ready once they know it.
  q.cluster().Stop(leader, SIGKILL);
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id == leader) continue;
    const double changes = Gauge(view.at(id), "warren_raft_leader_changes_total");
    EXPECT_GE(changes, 1) << id;
    EXPECT_TRUE(Eventually(
        [&] {
          auto e = q.Scrape(id);
          if (!e.has_value()) return false;
          const double now_leader = Gauge(*e, "warren_raft_leader_id");
          return Gauge(*e, "warren_raft_leader_changes_total") > changes && now_leader != 0 &&
                 now_leader != leader && q.Status(id, "/readyz") == 200;
        },
        kPatience))
        << "member " << id;
  }
}

TEST(MetricsQuorum, SnapshotsAreCountedWhereTakenSentAndInstalled) {
  MetricsQuorum q({"--snapshot-entries=20", "--log-retention=5"});
  q.StartAll();
  const uint64_t leader = q.cluster().WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t behind = leader % 3 + 1;
  q.cluster().Stop(behind, SIGKILL);
  auto client = q.cluster().Client();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(client->Create(absl::StrCat("/n-", i), "v").ok());

  // The others took snapshots and compacted their logs past what `behind` has.
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id == behind) continue;
    EXPECT_TRUE(Eventually(
        [&] {
          auto e = q.Scrape(id);
          return e.has_value() &&
                 Gauge(*e, "warren_raft_snapshots_taken_total", {{"outcome", "ok"}}) >= 1 &&
                 Gauge(*e, "warren_raft_snapshot_duration_seconds_count") >= 1 &&
                 Gauge(*e, "warren_raft_snapshot_bytes") > 0 &&
                 Gauge(*e, "warren_raft_snapshot_index") > 0 &&
                 Gauge(*e, "warren_raft_first_log_index") > 10;
        },
        kPatience))
        << "member " << id;
  }
  // Back, it is sent a snapshot and installs it.
  q.Start(behind);
  EXPECT_TRUE(Eventually(
      [&] {
        auto e = q.Scrape(behind);
        return e.has_value() && Gauge(*e, "warren_raft_snapshots_installed_total") >= 1 &&
               Gauge(*e, "warren_metastore_znodes") == 4 + 60;
      },
      kPatience));
  auto sent = [&] {
    double total = 0;
    for (uint64_t id = 1; id <= 3; ++id) {
      auto e = q.Scrape(id);
      if (id != behind && e.has_value()) {
        total += Gauge(*e, "warren_raft_snapshots_sent_total", {{"outcome", "ok"}});
      }
    }
    return total;
  };
  EXPECT_TRUE(Eventually([&] { return sent() >= 1; }, kPatience));
}

TEST(MetricsQuorum, AMemberWithoutAQuorumIsLiveButNotReady) {
  MetricsQuorum q;
  q.Start(1);  // its two peers never start: it can know no leader
  const Exposition e = q.ScrapeOnceUp(1);
  EXPECT_EQ(Gauge(e, "warren_raft_leader_id"), 0);
  EXPECT_EQ(Gauge(e, "warren_raft_role", {{"role", "leader"}}), 0);
  EXPECT_EQ(Gauge(e, "warren_metastore_znodes"), 4);  // /, /zookeeper and its two
  auto health = q.Get(1, "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  for (int i = 0; i < 3; ++i) {
    auto ready = q.Get(1, "/readyz");
    ASSERT_TRUE(ready.ok()) << ready.status();
    EXPECT_EQ(ready->status, 503);
    EXPECT_TRUE(absl::StartsWith(ready->body, "no leader known (")) << ready->body;
    EXPECT_TRUE(absl::EndsWith(ready->body, ")\n")) << ready->body;  // one line
    absl::SleepFor(absl::Milliseconds(300));
  }
}

TEST(MetricsQuorum, AMetricsPortInUseStopsTheMemberWithOneLine) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int taken = ntohs(addr.sin_port);

  raft::testing::TempDir dir("metrics-port-taken");
  const std::string log = dir.path() + "/warrend.log";
  auto p = Process::Spawn(
      {WARREND, "--id=1", absl::StrCat("--members=1=127.0.0.1:", FreeLoopbackPort()),
       "--data-dir=" + dir.path() + "/data", absl::StrCat("--metrics-address=127.0.0.1:", taken)},
      log);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->Wait(absl::Seconds(30)), 2);
  ::close(fd);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(
      text.str(), absl::StrCat("warrend: member 1 cannot start: UNAVAILABLE: metrics address: "
                               "cannot listen on 127.0.0.1:",
                               taken, ": Address already in use")))
      << text.str();
  EXPECT_FALSE(absl::StrContains(text.str(), "serving on")) << text.str();
}

}  // namespace
}  // namespace warren::testing
