// Sessions under steps of the wall clock: real warrend quorums on loopback, every member under
// libfaketime (Debian's libfaketime) with one control file, so the test steps all the members'
// wall clocks (CLOCK_REALTIME) at once; their monotonic clocks are left alone, as a step of
// the system clock (NTP, `date -s`) leaves them.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/integration/eventually.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

constexpr const char* kLibFakeTime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
constexpr metastore::CreateOptions kEphemeral{true, false, false, 0};

class WallClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kLibFakeTime, R_OK) != 0)
      GTEST_SKIP() << "needs libfaketime (" << kLibFakeTime << ")";
    control_ = cluster_.dir() + "/faketime";
    SetWallClock("+0");
    // The members inherit these; this process, already running, is not faked.
    setenv("LD_PRELOAD", kLibFakeTime, 1);
    setenv("FAKETIME_TIMESTAMP_FILE", control_.c_str(), 1);
    setenv("FAKETIME_NO_CACHE", "1", 1);
    setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
    cluster_.StartAll();
    for (const char* v : {"LD_PRELOAD", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE",
                          "FAKETIME_DONT_FAKE_MONOTONIC"}) {
      unsetenv(v);
    }
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
  }

  // Every member's wall clock reads real time plus `offset` (libfaketime's syntax: "+120").
  void SetWallClock(const std::string& offset) {
    const std::string tmp = control_ + ".tmp";
    std::ofstream(tmp) << offset << "\n";
    ASSERT_EQ(rename(tmp.c_str(), control_.c_str()), 0);
  }

  MetastoreCluster cluster_;
  std::string control_;
};

TEST_F(WallClockTest, AWallClockSteppedForwardsExpiresNoLivingSession) {
  auto client = cluster_.Client();
  std::atomic<bool> ended{false};
  client->OnSessionEnd([&](const absl::Status&) { ended = true; });
  ASSERT_TRUE(client->StartSession(absl::Seconds(2)).ok());
  ASSERT_TRUE(client->Create("/alive", "", kEphemeral).ok());

  SetWallClock("+120");
  // Three session timeouts, in which the client keeps its session alive: the leader looks at
  // its sessions every tick, and one whose timer ran on the wall clock would be expired at
  // the first look after the step.
  absl::SleepFor(absl::Seconds(6));
  EXPECT_FALSE(ended);
  auto stat = cluster_.Client()->Exists("/alive");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_TRUE(stat->has_value()) << "the living session's ephemeral is gone";
}

TEST_F(WallClockTest, AWallClockSteppedBackwardsKeepsNoDeadSessionAlive) {
  auto client = cluster_.Client();
  ASSERT_TRUE(client->StartSession(absl::Seconds(2)).ok());
  ASSERT_TRUE(client->Create("/crashed", "", kEphemeral).ok());

  SetWallClock("-120");
  client->AbandonSession();
  auto observer = cluster_.Client();
  // Expired after its 2 s, not after the two minutes the wall clock went back.
  EXPECT_TRUE(Eventually(
      [&] {
        auto stat = observer->Exists("/crashed");
        return stat.ok() && !stat->has_value();
      },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace warren::testing
