// The counter example as users run it: real warren-counter-server processes on loopback,
// driven by the warren-counter CLI, with members killed, restarted, added and removed.
#include <signal.h>

#include <map>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "raft/log/file_util.h"
#include "tests/integration/member_process.h"
#include "tests/log/log_test_util.h"

namespace warren::testing {
namespace {

// One member's line of `warren-counter status`.
struct MemberStatus {
  bool reachable = false;
  std::string role;
  uint64_t leader = 0, commit = 0, applied = 0, first = 0, last = 0, snapshot = 0;
  std::string members;
};

class CounterCluster {
 public:
  CounterCluster(int n, std::vector<std::string> server_flags)
      : dir_("counter-cluster"), server_flags_(std::move(server_flags)) {
    for (uint64_t id = 1; id <= static_cast<uint64_t>(n); ++id) AddAddress(id);
  }

  void AddAddress(uint64_t id) { addresses_[id] = absl::StrCat("127.0.0.1:", FreeLoopbackPort()); }
  std::string Members(const std::vector<uint64_t>& ids = {}) const {
    std::vector<std::string> parts;
    for (const auto& [id, addr] : addresses_) {
      if (ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) {
        parts.push_back(absl::StrCat(id, "=", addr));
      }
    }
    return absl::StrJoin(parts, ",");
  }
  const std::string& Address(uint64_t id) const { return addresses_.at(id); }
  const std::string& dir() const { return dir_.path(); }

  void Start(uint64_t id, bool join = false) {
    std::vector<std::string> argv = {
        WARREN_COUNTER_SERVER, absl::StrCat("--id=", id), "--members=" + Members(),
        absl::StrCat("--data-dir=", dir_.path(), "/", id), "--tick-ms=20"};
    if (join) argv.push_back("--join");
    argv.insert(argv.end(), server_flags_.begin(), server_flags_.end());
    auto p = Process::Spawn(argv, absl::StrCat(dir_.path(), "/server-", id, ".log"));
    ASSERT_TRUE(p.ok()) << p.status();
    servers_[id] = std::move(*p);
  }
  // SIGKILL: a crash. SIGTERM: a clean stop, which must finish by itself.
  void Stop(uint64_t id, int sig) { StopMember(servers_, id, sig); }

  RunResult Cli(std::vector<std::string> args, const std::string& members = "",
                absl::Duration timeout = absl::Seconds(120)) {
    std::vector<std::string> argv = {WARREN_COUNTER,
                                     "--members=" + (members.empty() ? Members() : members)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, timeout);
  }

  std::map<uint64_t, MemberStatus> Status() {
    std::map<uint64_t, MemberStatus> out;
    RunResult r = Cli({"status"}, "", absl::Seconds(30));
    static const std::regex line(
        R"((\d+) \S+ (\S+) term=\d+ leader=(\d+) commit=(\d+) applied=(\d+) log=\[(\d+),(\d+)\] snapshot=(\d+) members=(.*))");
    for (absl::string_view l : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::smatch m;
      std::string s(l);
      uint64_t id = 0;
      if (!std::regex_match(s, m, line)) {
        if (absl::SimpleAtoi(s.substr(0, s.find(' ')), &id)) out[id].reachable = false;
        continue;
      }
      id = std::stoull(m[1]);
      MemberStatus& st = out[id];
      st.reachable = true;
      st.role = m[2];
      st.leader = std::stoull(m[3]);
      st.commit = std::stoull(m[4]);
      st.applied = std::stoull(m[5]);
      st.first = std::stoull(m[6]);
      st.last = std::stoull(m[7]);
      st.snapshot = std::stoull(m[8]);
      st.members = std::string(absl::StripTrailingAsciiWhitespace(m[9].str()));
    }
    return out;
  }

  // The leader a majority of the reachable members name, waiting up to `timeout`.
  uint64_t WaitForLeader(absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      auto st = Status();
      std::map<uint64_t, int> votes;
      for (auto& [id, s] : st) {
        if (s.reachable && s.leader != 0) ++votes[s.leader];
      }
      for (auto& [leader, n] : votes) {
        if (n * 2 > static_cast<int>(st.size()) && st[leader].role == "leader") return leader;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return 0;
  }

  // Waits until member `id` has applied everything the leader has committed.
  bool WaitCaughtUp(uint64_t id, absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      auto st = Status();
      uint64_t leader = 0;
      for (auto& [m, s] : st) {
        if (s.role == "leader") leader = m;
      }
      if (leader != 0 && st[id].reachable && st[id].applied >= st[leader].commit) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  // The end of a member's log, for failure messages.
  std::string LogOf(uint64_t id) const {
    std::string log = ReadFile(absl::StrCat(dir_.path(), "/server-", id, ".log")).value_or("");
    return log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  }

 private:
  raft::testing::TempDir dir_;
  std::vector<std::string> server_flags_;
  std::map<uint64_t, std::string> addresses_;
  std::map<uint64_t, std::unique_ptr<Process>> servers_;
};

int64_t ParseValue(const std::string& out) {
  int64_t v = -1;
  EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &v)) << "not a number: " << out;
  return v;
}

TEST(CounterCluster, KilledLeaderLosesNoAcknowledgedIncrementAndAppliesNoneTwice) {
  CounterCluster c(3, {"--snapshot-entries=500", "--log-retention=100"});
  for (uint64_t id = 1; id <= 3; ++id) c.Start(id);
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);

  auto incr = Process::Spawn(
      {WARREN_COUNTER, "--members=" + c.Members(), "incr", "--times=2000", "--concurrency=16"},
      c.dir() + "/incr.log");
  ASSERT_TRUE(incr.ok());
  // Kill the leader once the run is well under way.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline && c.Status()[leader].commit < 300)
    absl::SleepFor(absl::Milliseconds(5));
  ASSERT_FALSE((*incr)->Wait(absl::ZeroDuration()).has_value())
      << "incr finished before the leader was killed; the test proves nothing";
  c.Stop(leader, SIGKILL);
  absl::SleepFor(absl::Milliseconds(500));
  c.Start(leader);

  auto code = (*incr)->Wait(absl::Seconds(120));
  ASSERT_TRUE(code.has_value()) << "incr did not finish";
  std::string log = ReadFile(c.dir() + "/incr.log").value_or("");
  EXPECT_EQ(*code, 0) << log;
  EXPECT_NE(log.find("acknowledged 2000 of 2000"), std::string::npos) << log;

  RunResult get = c.Cli({"get"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ParseValue(get.out), 2000);
  ASSERT_TRUE(c.WaitCaughtUp(leader)) << c.LogOf(leader);
  RunResult local = c.Cli({"get", "--sequential"}, c.Members({leader}));
  EXPECT_EQ(ParseValue(local.out), 2000) << "the restarted member disagrees";
}

TEST(CounterCluster, FollowerDownLongerThanTheLogRetentionCatchesUpBySnapshot) {
  CounterCluster c(3, {"--snapshot-entries=100", "--log-retention=20"});
  for (uint64_t id = 1; id <= 3; ++id) c.Start(id);
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  uint64_t follower = leader % 3 + 1;
  ASSERT_EQ(c.Cli({"incr", "--times=10"}).exit_code, 0);
  ASSERT_TRUE(c.WaitCaughtUp(follower));
  uint64_t stopped_at = c.Status()[follower].last;
  c.Stop(follower, SIGTERM);
  RunResult incr = c.Cli({"incr", "--times=600", "--concurrency=8"});
  ASSERT_EQ(incr.exit_code, 0) << incr.err;
  EXPECT_EQ(ParseValue(incr.out), 610);
  auto st = c.Status();
  leader = c.WaitForLeader();
  ASSERT_GT(st[leader].first, 200u) << "the leader should have purged what the follower needs";

  c.Start(follower);
  ASSERT_TRUE(c.WaitCaughtUp(follower)) << c.LogOf(follower);
  st = c.Status();
  EXPECT_GT(st[follower].snapshot, stopped_at + 200) << "caught up without a snapshot?";
  RunResult local = c.Cli({"get", "--sequential"}, c.Members({follower}));
  EXPECT_EQ(ParseValue(local.out), 610);
}

TEST(CounterCluster, LearnerJoinsIsPromotedTakesLeadershipAndAFounderIsRemoved) {
  CounterCluster c(3, {});
  for (uint64_t id = 1; id <= 3; ++id) c.Start(id);
  ASSERT_NE(c.WaitForLeader(), 0u);
  ASSERT_EQ(c.Cli({"incr", "--times=100", "--concurrency=4"}).exit_code, 0);

  c.AddAddress(4);
  c.Start(4, /*join=*/true);
  RunResult add = c.Cli({"add-learner", "4", c.Address(4)}, c.Members({1, 2, 3}));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  ASSERT_TRUE(c.WaitCaughtUp(4)) << c.LogOf(4);
  RunResult promote = c.Cli({"promote", "4"});
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  RunResult transfer = c.Cli({"transfer", "4"});
  ASSERT_EQ(transfer.exit_code, 0) << transfer.err;
  EXPECT_EQ(c.WaitForLeader(), 4u);

  RunResult remove = c.Cli({"remove", "1"});
  ASSERT_EQ(remove.exit_code, 0) << remove.err;
  c.Stop(1, SIGTERM);
  RunResult incr = c.Cli({"incr"}, c.Members({2, 3, 4}));
  ASSERT_EQ(incr.exit_code, 0) << incr.err;
  EXPECT_EQ(ParseValue(incr.out), 101);
  auto st = c.Status();
  EXPECT_EQ(st[4].role, "leader");
  EXPECT_EQ(st[4].members, "2:voter 3:voter 4:voter");
  RunResult again = c.Cli({"remove", "1"}, c.Members({2, 3, 4}));
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("not in the group"), std::string::npos) << again.err;
}

TEST(CounterCluster, BadInvocationsFailWithAMessage) {
  CounterCluster c(1, {});
  RunResult no_members = RunCommand({WARREN_COUNTER, "get"}, absl::Seconds(30));
  EXPECT_EQ(no_members.exit_code, 2);
  EXPECT_NE(no_members.err.find("no members"), std::string::npos) << no_members.err;
  RunResult bad_server = RunCommand(
      {WARREN_COUNTER_SERVER, "--id=7", "--members=" + c.Members(), "--data-dir=" + c.dir() + "/x"},
      absl::Seconds(30));
  EXPECT_EQ(bad_server.exit_code, 2);
  EXPECT_NE(bad_server.err.find("--id"), std::string::npos) << bad_server.err;
  c.Start(1);
  RunResult unknown = c.Cli({"frobnicate", "1"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace warren::testing
