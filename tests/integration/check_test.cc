// warren check against the data directory of a real member, stopped: sound, damaged in the
// middle of its log, torn at its end, and with its Raft directory lost. Each verdict matches
// what warrend does on starting, and checking changes nothing on disk.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raft/log/file_util.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

namespace fs = std::filesystem;

// Every file under `dir` with its bytes: to show that a check wrote nothing.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) out[f.path().string()] = ReadFile(f.path().string()).value_or("?");
  }
  return out;
}

std::vector<std::string> Segments(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(data_dir + "/raft/log")) {
    if (f.path().extension() == ".log") out.push_back(f.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Check, VerdictsMatchWhatWarrendDoesAndChangeNothing) {
  MetastoreCluster c({"--log-segment-bytes=4096"});
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(client->Create(absl::StrCat("/n", i), std::string(100, 'x')).ok());
  }
  c.Stop(3, SIGTERM);
  const std::string dir = absl::StrCat(c.dir(), "/3");

  // Sound.
  auto before = Contents(dir);
  RunResult r = c.Cli({"check", dir});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "identity: group metastore, member 3")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "znodes")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "ok: the member would start")) << r.out;
  r = c.Cli({"--json", "check", dir});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.out, "\"ok\":true")) << r.out;
  EXPECT_EQ(Contents(dir), before);

  // Torn at the end of the last segment: warrend would cut it; check says so and cuts nothing.
  std::vector<std::string> segments = Segments(dir);
  ASSERT_GE(segments.size(), 3u);
  const std::string last = segments.back();
  const std::string last_bytes = ReadFile(last).value();
  // The end of its last record never reached the disk (its file is cut three bytes short).
  const size_t data_end = last_bytes.find_last_not_of('\0') + 1;
  fs::resize_file(last, data_end - 3);
  before = Contents(dir);
  r = c.Cli({"check", dir});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "torn tail: the last write was torn")) << r.out;
  EXPECT_EQ(Contents(dir), before);
  std::ofstream(last, std::ios::binary | std::ios::trunc) << last_bytes;

  // A bit flipped in a sealed segment: warrend refuses to start, and so does check's verdict.
  const std::string sealed = segments.front();
  std::string bytes = ReadFile(sealed).value();
  bytes[bytes.size() / 2] ^= 0x04;
  std::ofstream(sealed, std::ios::binary | std::ios::trunc) << bytes;
  before = Contents(dir);
  r = c.Cli({"check", dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "log segment " + sealed + " is corrupt")) << r.err;
  EXPECT_EQ(Contents(dir), before);
  auto refused =
      Process::Spawn({WARREND, "--id=3", "--members=" + c.Members(), "--data-dir=" + dir},
                     c.dir() + "/refused.log");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)->Wait(absl::Seconds(30)), 2);

  // The Raft directory lost, the tree kept.
  fs::remove_all(dir + "/raft");
  r = c.Cli({"check", dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "Raft log, vote and snapshots are gone")) << r.err;

  r = c.Cli({"check"});
  EXPECT_EQ(r.exit_code, 2);
  r = c.Cli({"check", c.dir() + "/none"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "no directory")) << r.err;
}

}  // namespace
}  // namespace warren::testing
