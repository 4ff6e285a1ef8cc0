// Steps of the wall clock: real warrend quorums on loopback, every member under libfaketime
// (Debian's libfaketime) with a control file of its own, through which the test steps its
// wall clock (CLOCK_REALTIME); monotonic clocks are left alone, as a step of the system clock
// (NTP, `date -s`) leaves them. Sessions and ticks must not notice.
#include <unistd.h>

#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_join.h"
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
    // The members inherit these; this process, already running, is not faked.
    setenv("LD_PRELOAD", kLibFakeTime, 1);
    setenv("FAKETIME_NO_CACHE", "1", 1);
    setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
    for (uint64_t id = 1; id <= 3; ++id) {
      SetWallClock(id, "+0");
      setenv("FAKETIME_TIMESTAMP_FILE", ControlFile(id).c_str(), 1);
      const int zk_port = FreeLoopbackPort();
      zk_hosts_.push_back(absl::StrCat("127.0.0.1:", zk_port));
      cluster_.Start(id, {absl::StrCat("--zk-port=", zk_port)});
    }
    for (const char* v : {"LD_PRELOAD", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE",
                          "FAKETIME_DONT_FAKE_MONOTONIC"}) {
      unsetenv(v);
    }
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
  }

  std::string ControlFile(uint64_t id) { return absl::StrCat(cluster_.dir(), "/faketime-", id); }
  // Member `id`'s wall clock reads real time plus `offset` (libfaketime's syntax: "+120").
  void SetWallClock(uint64_t id, const std::string& offset) {
    const std::string tmp = ControlFile(id) + ".tmp";
    std::ofstream(tmp) << offset << "\n";
    ASSERT_EQ(rename(tmp.c_str(), ControlFile(id).c_str()), 0);
  }
  void SetWallClocks(const std::string& offset) {
    for (uint64_t id = 1; id <= 3; ++id) SetWallClock(id, offset);
  }
  uint64_t Term(uint64_t id) {
    auto st = cluster_.Client()->MemberStatus(cluster_.Address(id), absl::Seconds(5));
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? st->raft().term() : 0;
  }

  MetastoreCluster cluster_;
  std::vector<std::string> zk_hosts_;  // the members' ZooKeeper ports
};

TEST_F(WallClockTest, AWallClockSteppedForwardsExpiresNoLivingSession) {
  auto client = cluster_.Client();
  std::atomic<bool> ended{false};
  client->OnSessionEnd([&](const absl::Status&) { ended = true; });
  ASSERT_TRUE(client->StartSession(absl::Seconds(2)).ok());
  ASSERT_TRUE(client->Create("/alive", "", kEphemeral).ok());

  SetWallClocks("+120");
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

  SetWallClocks("-120");
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

// A busy ZooKeeper client sends no pings: its requests are its signs of life, and its member
// passes them on to the session tracker a few times a second. Timed on the wall clock, that
// stopped for as long as the member's clock stepped back, and the session expired (the
// composed fault run, watch seed 6: "the session of watcher 3 ended").
TEST_F(WallClockTest, ABusyZooKeeperSessionOutlivesItsMembersWallClockSteppedBackwards) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  std::atomic<int> expired{0};
  zhandle_t* zh = zookeeper_init(
      absl::StrJoin(zk_hosts_, ",").c_str(),
      [](zhandle_t*, int type, int state, const char*, void* ctx) {
        if (type == ZOO_SESSION_EVENT && state == ZOO_EXPIRED_SESSION_STATE) {
          ++*static_cast<std::atomic<int>*>(ctx);
        }
      },
      3000, nullptr, &expired, 0);
  ASSERT_NE(zh, nullptr);
  ASSERT_TRUE(Eventually([&] { return zoo_state(zh) == ZOO_CONNECTED_STATE; }, absl::Seconds(30)));
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::thread busy([&] {
    while (!stop) {
      struct Stat stat;
      if (zoo_exists(zh, "/", 0, &stat) != ZOK) ++failed;
      absl::SleepFor(absl::Milliseconds(50));
    }
  });

  SetWallClocks("-60");
  // Three session timeouts of requests and no pings, the members' clocks a minute back.
  absl::SleepFor(absl::Seconds(9));
  stop = true;
  busy.join();
  EXPECT_EQ(expired, 0) << "the busy client's session expired";
  EXPECT_EQ(zoo_state(zh), ZOO_CONNECTED_STATE);
  EXPECT_EQ(failed, 0);
  zookeeper_close(zh);
}

TEST_F(WallClockTest, ALeadersWallClockSteppedBackwardsDoesNotStopItsHeartbeats) {
  const uint64_t leader = cluster_.WaitForLeader();
  const uint64_t term = Term(leader);
  SetWallClock(leader, "-120");
  // Ten election timeouts (ticks of 20 ms, timeouts of 10 to 20 ticks): a leader whose ticks
  // stopped for the two minutes its clock went back would have been replaced.
  absl::SleepFor(absl::Seconds(4));
  EXPECT_EQ(Term(leader), term);
  EXPECT_EQ(cluster_.WaitForLeader(), leader);
}

}  // namespace
}  // namespace warren::testing
