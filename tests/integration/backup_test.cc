// warren backup and restore against real quorums: a backup taken while the quorum serves,
// restored into a new quorum's first member, holds exactly the tree as it was — every node,
// its data and its stat — and the new quorum takes writes and grows.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raft/log/file_util.h"
#include "tests/integration/eventually.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using metastore::CreateOptions;

TEST(Backup, ARestoredQuorumHoldsTheTreeAsItWasAndGrows) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  CreateOptions sequential;
  sequential.sequential = true;
  ASSERT_TRUE(client->Create("/ledgers", "meta").ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client->Create("/ledgers/L-", absl::StrCat("ledger ", i), sequential).ok());
  }
  ASSERT_TRUE(client->SetData("/ledgers", "meta v2").ok());
  ASSERT_TRUE(client->Delete("/ledgers/L-0000000007").ok());
  std::map<std::string, std::string> before;
  Walk(*client, "/", &before);

  const std::string file = c.dir() + "/quorum.backup";
  RunResult r = c.Cli({"backup", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "written to " + file)) << r.out;
  ASSERT_TRUE(client->Create("/after-the-backup", "").ok());

  // A damaged backup is refused, and makes no data directory.
  const std::string damaged = c.dir() + "/damaged.backup";
  {
    std::string bytes = ReadFile(file).value();
    bytes[bytes.size() / 2] ^= 0x10;
    std::ofstream(damaged, std::ios::binary) << bytes;
  }
  const std::string dir = c.dir() + "/restored";
  const std::string address = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  r = c.Cli({"restore", damaged, "--data-dir=" + dir, "--id=1", "--address=" + address});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "checksum")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir));

  r = c.Cli({"restore", file, "--data-dir=" + dir, "--id=1", "--address=" + address});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "warrend --id=1 --members=1=" + address)) << r.out;
  // Once restored, the directory is a member's: a second restore into it is refused.
  r = c.Cli({"restore", file, "--data-dir=" + dir, "--id=1", "--address=" + address});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "is not empty")) << r.err;

  // The new quorum: its first member, from the restored directory, then a second one joining.
  auto first = Process::Spawn(
      {WARREND, "--id=1", "--members=1=" + address, "--data-dir=" + dir, "--tick-ms=20"},
      c.dir() + "/restored-1.log");
  ASSERT_TRUE(first.ok()) << first.status();
  ClientOptions options = c.Options(absl::Seconds(30), address);
  auto restored = c.Client(options);
  std::map<std::string, std::string> after;
  ASSERT_TRUE(Eventually([&] { return restored->Exists("/ledgers").ok(); }, absl::Seconds(30)));
  Walk(*restored, "/", &after);
  EXPECT_EQ(after, before);
  auto next = restored->Create("/ledgers/L-", "", sequential);
  ASSERT_TRUE(next.ok()) << next.status();
  // The parent's counter came back too: its cversion, 50 creates and a delete.
  EXPECT_EQ(*next, "/ledgers/L-0000000051");

  const std::string address2 = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  auto second = Process::Spawn({WARREND, "--id=2", "--members=1=" + address + ",2=" + address2,
                                "--data-dir=" + c.dir() + "/restored-2", "--join", "--tick-ms=20"},
                               c.dir() + "/restored-2.log");
  ASSERT_TRUE(second.ok()) << second.status();
  r = RunCommand({WARREN_CLI, "--endpoints=" + address, "member", "add", "2", address2},
                 absl::Seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  options.endpoints = {address2};
  options.consistency = raftpb::SEQUENTIAL;
  auto on_second = c.Client(options);
  ASSERT_TRUE(Eventually([&] { return on_second->Exists("/ledgers/L-0000000051").ok(); },
                         absl::Seconds(30)));
  auto node = on_second->GetData("/ledgers");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->data, "meta v2");
}

TEST(Backup, BadUsageIsRefused) {
  MetastoreCluster c;
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"backup"},
           {"restore", "x.backup"},
           {"restore", "x.backup", "--data-dir=/tmp/x", "--id=0", "--address=127.0.0.1:1"},
           {"restore", "x.backup", "--data-dir=/tmp/x", "--id=1", "--address=nohost"},
       }) {
    RunResult r = c.Cli(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << ": " << r.err;
  }
  RunResult r = c.Cli({"restore", c.dir() + "/none.backup", "--data-dir=" + c.dir() + "/r",
                       "--id=1", "--address=127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "none.backup")) << r.err;
  r = c.Cli({"backup", c.dir() + "/no/such/dir/x.backup"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "x.backup.partial")) << r.err;
}

}  // namespace
}  // namespace warren::testing
