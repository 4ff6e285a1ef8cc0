// The warren CLI's operator commands against a real quorum: membership (member add, promote,
// remove, list), data from a file or stdin, and status --watch.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/eventually.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

// The `member list` line of member `id`, or "" if it is not listed.
std::string ListedRole(MetastoreCluster& c, uint64_t id) {
  RunResult r = c.Cli({"member", "list"});
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() >= 3 && words[0] == absl::StrCat(id)) return words[2];
  }
  return "";
}

bool IsVoter(const std::string& role) { return role == "leader" || role == "follower"; }

TEST(Cli, MembersAreAddedPromotedAndRemoved) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);

  // Member 4 is not running: it is added as a learner, but cannot catch up to be promoted.
  const std::string address4 = c.Reserve(4);
  RunResult r = c.Cli({"member", "add", "4", address4, "--catch-up-timeout-ms=1500"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "was added as a learner at " + address4)) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "warren member promote 4")) << r.err;
  EXPECT_EQ(ListedRole(c, 4), "learner");

  // Once it runs and has caught up, it can be promoted.
  c.Join(4);
  EXPECT_TRUE(Eventually(
      [&] {
        return c.Cli({"member", "promote", "4"}).exit_code == 0;
      },
      absl::Seconds(30)));
  EXPECT_TRUE(IsVoter(ListedRole(c, 4)));
  // Asking again for what is already so succeeds and changes nothing.
  r = c.Cli({"member", "add", "4", address4});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = c.Cli({"member", "promote", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = c.Cli({"member", "promote", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // A member that is running when it is added: one command adds and promotes it.
  c.Join(5);
  r = c.Cli({"--json", "member", "add", "5", c.Address(5)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"member\":5,\"done\":\"added\"}\n");
  EXPECT_TRUE(IsVoter(ListedRole(c, 5)));
  // Five voters now: writes go on with two of them gone.
  c.Stop(1, SIGKILL);
  c.Stop(2, SIGKILL);
  EXPECT_TRUE(Eventually(
      [&] {
        return c.Cli({"create", "/after", "x"}).exit_code == 0;
      },
      absl::Seconds(30)));
  c.Start(1);
  c.Start(2);

  r = c.Cli({"member", "remove", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "member 5 removed\n");
  EXPECT_EQ(ListedRole(c, 5), "");
  EXPECT_TRUE(IsVoter(ListedRole(c, 4)));

  // Bad requests: a clear error, and the group as it was.
  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    std::string error;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{"member", "remove", "9"}, 1, "member 9 is not in the group"},
           {{"member", "promote", "9"}, 1, "member 9 is not a learner"},
           {{"member", "add", "6", "no-port"}, 2, "member add ID HOST:PORT"},
           {{"member", "add", "0", "127.0.0.1:1"}, 2, "member add ID HOST:PORT"},
           {{"member", "remove", "x"}, 2, "member remove ID"},
           {{"member", "frob"}, 2, "unknown member command 'frob'"},
           {{"member"}, 2, "member list | add"},
       }) {
    r = c.Cli(bad.args);
    EXPECT_EQ(r.exit_code, bad.exit_code) << absl::StrJoin(bad.args, " ") << ": " << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, bad.error))
        << absl::StrJoin(bad.args, " ") << ": " << r.err;
  }
  for (uint64_t id : {1, 2, 3, 4}) EXPECT_NE(ListedRole(c, id), "") << id;
}

TEST(Cli, DataComesFromAFileOrStdin) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  const std::string file = c.dir() + "/data.bin";
  const std::string bytes("line one\nline two\n\x01\x02 and a NUL: \0 end", 35);
  std::ofstream(file, std::ios::binary) << bytes;

  RunResult r = c.Cli({"create", "/f", "--data-file=" + file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto client = c.Client();
  auto node = client->GetData("/f");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->data, bytes);

  r = RunCommand({"/bin/sh", "-c",
                  absl::StrCat("printf 'from stdin' | ", WARREN_CLI, " --endpoints=", c.Endpoints(),
                               " set /f --data-file=-")},
                 absl::Seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(c.Cli({"get", "/f"}).out, "from stdin\n");

  r = c.Cli({"set", "/f", "both", "--data-file=" + file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "give DATA or --data-file, not both")) << r.err;
  r = c.Cli({"create", "/g", "--data-file=" + c.dir() + "/missing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "cannot read --data-file")) << r.err;
  EXPECT_EQ(c.Cli({"exists", "/g"}).exit_code, 1);
  EXPECT_EQ(c.Cli({"get", "/f"}).out, "from stdin\n");
}

TEST(Cli, StatusWatchRepeatsEveryInterval) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  RunResult r = c.Cli({"status", "--watch", "--interval-ms=100", "--count=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u * 4) << r.out;  // each round: a time line, then three members
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(absl::StartsWith(lines[round * 4], "-- ")) << r.out;
  }
  EXPECT_EQ(c.Cli({"status", "--watch", "--interval-ms=0"}).exit_code, 2);
}

}  // namespace
}  // namespace warren::testing
