// A warrend paused while the operator removed it (warren member remove) comes back, is told by
// its peers that it was removed (raft/server/removal_notice.h), and stops campaigning: warren
// status shows it removed and not ready, its log says so once, and the quorum's leader and
// term are as they were.
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raft/log/file_util.h"
#include "tests/integration/eventually.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

constexpr char kRemovedLine[] = "was removed from group";

// How often `needle` occurs in `haystack`.
size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The warren CLI, talking to the members at `endpoints` only.
RunResult CliAt(const std::string& endpoints, std::vector<std::string> args) {
  std::vector<std::string> argv = {WARREN_CLI, "--endpoints=" + endpoints};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, absl::Seconds(60));
}

TEST(RemovedMember, APausedMemberRemovedMeanwhileIsToldAndStopsCampaigning) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  const std::string quorum = absl::StrCat(c.Address(1), ",", c.Address(2));
  ASSERT_EQ(CliAt(quorum, {"create", "/before", "x"}).exit_code, 0);

  c.Pause(3);
  RunResult r = CliAt(quorum, {"member", "remove", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "member 3 removed\n");
  r = CliAt(quorum, {"create", "/after", "y"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto client = c.Client(absl::Seconds(30), quorum);
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> before;  // id -> (leader, term)
  for (uint64_t id : {1, 2}) {
    auto st = client->MemberStatus(c.Address(id), absl::Seconds(5));
    ASSERT_TRUE(st.ok()) << st.status();
    ASSERT_NE(st->raft().leader(), 0u);
    before[id] = {st->raft().leader(), st->raft().term()};
  }
  ASSERT_EQ(before[1].first, before[2].first);

  c.Resume(3);
  RunResult status;
  EXPECT_TRUE(Eventually(
      [&] {
        status = CliAt(c.Address(3), {"status"});
        return absl::StrContains(status.out, "role=removed");
      },
      absl::Seconds(30)))
      << status.out << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "leader=0")) << status.out;
  EXPECT_TRUE(absl::StrContains(status.out, "not-ready")) << status.out;

  // It stays so, saying it once and asking for no votes, while the quorum goes on as it was.
  const std::string log_then = ReadFile(c.LogPath(3)).value_or("");
  absl::SleepFor(absl::Seconds(3));  // several election timeouts at 20 ms ticks
  const std::string log = ReadFile(c.LogPath(3)).value_or("");
  EXPECT_EQ(Count(log, kRemovedLine), 1u) << log;
  EXPECT_TRUE(absl::StrContains(log, "it no longer campaigns")) << log;
  EXPECT_EQ(Count(log, "is pre-candidate"), Count(log_then, "is pre-candidate"))
      << "it went on campaigning";
  status = CliAt(c.Address(3), {"--json", "status"});
  EXPECT_TRUE(absl::StrContains(status.out, "\"ready\":false,\"id\":3,\"role\":\"removed\""))
      << status.out;
  // It serves no client: it is out of touch with the leader.
  auto pinned = c.Client(absl::Seconds(2), c.Address(3));
  auto read = pinned->GetData("/before");
  EXPECT_FALSE(read.ok()) << "a removed member served a read";
  for (uint64_t id : {1, 2}) {
    auto st = client->MemberStatus(c.Address(id), absl::Seconds(5));
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_EQ(st->raft().leader(), before[id].first) << id;
    EXPECT_EQ(st->raft().term(), before[id].second) << id;
    EXPECT_TRUE(st->ready()) << id;
  }
  r = CliAt(quorum, {"get", "/after"});
  EXPECT_EQ(r.out, "y\n") << r.err;
}

}  // namespace
}  // namespace warren::testing
