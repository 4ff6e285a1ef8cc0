// The recipes against a real quorum of three warrend processes, with holders that crash
// (abandon their session), servers killed under them, and sessions that expire.
#include <algorithm>
#include <atomic>
#include <future>
#include <numeric>
#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "metastore/recipes/barrier.h"
#include "metastore/recipes/counter.h"
#include "metastore/recipes/leader_election.h"
#include "metastore/recipes/lock.h"
#include "metastore/recipes/service_registry.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using metastore::ErrorOf;
using namespace metastore::recipes;  // NOLINT

constexpr absl::Duration kSessionTimeout = absl::Seconds(2);

class RecipesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartAll();
    leader_ = cluster_.WaitForLeader();
    ASSERT_NE(leader_, 0u);
  }

  // A client with its own session: one process of the application.
  std::unique_ptr<MetastoreClient> Member(const std::string& endpoints = "") {
    auto c = cluster_.Client(absl::Seconds(20), endpoints);
    EXPECT_TRUE(c->StartSession(kSessionTimeout).ok());
    return c;
  }

  // Waits until `root` has `n` children (contenders in line).
  void WaitForLine(MetastoreClient& c, const std::string& root, size_t n) {
    ASSERT_TRUE(Eventually(
        [&] {
          auto children = c.GetChildren(root);
          return children.ok() && children->children.size() == n;
        },
        absl::Seconds(20)))
        << root << " never had " << n << " children";
  }

  MetastoreCluster cluster_;
  uint64_t leader_ = 0;
};

TEST_F(RecipesTest, LockIsHeldByOneClientAtATime) {
  constexpr int kClients = 4;
  constexpr int kRounds = 6;
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  int unguarded_total = 0;  // only ever touched under the lock
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      auto client = Member();
      DistributedLock lock(*client, "/locks/l1");
      for (int r = 0; r < kRounds; ++r) {
        ASSERT_TRUE(lock.Acquire(absl::Seconds(60)).ok());
        EXPECT_TRUE(lock.IsHeld());
        const int now = ++inside;
        most_inside = std::max(most_inside.load(), now);
        const int seen = unguarded_total;
        absl::SleepFor(absl::Milliseconds(5));
        unguarded_total = seen + 1;
        --inside;
        ASSERT_TRUE(lock.Release().ok());
        EXPECT_FALSE(lock.IsHeld());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most_inside.load(), 1);
  EXPECT_EQ(unguarded_total, kClients * kRounds);
  auto c = cluster_.Client();
  auto line = c->GetChildren("/locks/l1");
  // The lock's root is a container: empty, or already deleted by the leader.
  EXPECT_TRUE(!line.ok() || line->children.empty());
}

TEST_F(RecipesTest, LockPassesOnWhenItsHolderCrashesAndAGiveUpLeavesTheLine) {
  auto a = Member();
  auto b = Member();
  auto c = Member();
  DistributedLock lock_a(*a, "/locks/l2");
  DistributedLock lock_b(*b, "/locks/l2");
  DistributedLock lock_c(*c, "/locks/l2");
  ASSERT_TRUE(lock_a.Acquire(absl::Seconds(10)).ok());
  EXPECT_TRUE(lock_a.Acquire(absl::Seconds(1)).code() != absl::StatusCode::kOk) << "not re-entrant";

  // C gives up while A holds: its node goes, so nobody waits behind it.
  EXPECT_EQ(ErrorOf(lock_c.Acquire(absl::Milliseconds(300))), metastorepb::OPERATION_TIMEOUT);
  WaitForLine(*b, "/locks/l2", 1);

  std::atomic<bool> crashed{false};
  auto b_got_it = std::async(std::launch::async, [&] {
    absl::Status s = lock_b.Acquire(absl::Seconds(30));
    return std::make_pair(s, crashed.load());
  });
  WaitForLine(*b, "/locks/l2", 2);
  crashed = true;
  a->AbandonSession();  // A's process dies holding the lock
  auto [status, after_crash] = b_got_it.get();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(after_crash);
  EXPECT_TRUE(lock_b.IsHeld());
}

TEST_F(RecipesTest, LockHeldThroughTheKillOfTheServerItsSessionIsOn) {
  auto a = Member();
  auto b = Member();
  DistributedLock lock_a(*a, "/locks/l3");
  DistributedLock lock_b(*b, "/locks/l3");
  ASSERT_TRUE(lock_a.Acquire(absl::Seconds(10)).ok());
  // Sessions are attached to the leader: kill it. The session moves; the lock stays held.
  cluster_.Stop(leader_, SIGKILL);
  ASSERT_NE(cluster_.WaitForLeader(), 0u);
  EXPECT_EQ(ErrorOf(lock_b.Acquire(kSessionTimeout * 2)), metastorepb::OPERATION_TIMEOUT);
  EXPECT_TRUE(lock_a.IsHeld());
  ASSERT_TRUE(lock_a.Release().ok());
  EXPECT_TRUE(lock_b.Acquire(absl::Seconds(10)).ok());
}

TEST_F(RecipesTest, AHolderCutOffPastItsSessionTimeoutLearnsItLostTheLock) {
  // A talks only to the leader; pausing it cuts A off while the others elect a new leader.
  auto a = Member(cluster_.Address(leader_));
  std::vector<std::string> others;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader_) others.push_back(cluster_.Address(id));
  }
  auto b = Member(absl::StrJoin(others, ","));
  DistributedLock lock_a(*a, "/locks/l4");
  DistributedLock lock_b(*b, "/locks/l4");
  ASSERT_TRUE(lock_a.Acquire(absl::Seconds(10)).ok());
  cluster_.Pause(leader_);
  // The new leader expires A's session; B gets the lock while A is cut off.
  ASSERT_TRUE(lock_b.Acquire(absl::Seconds(30)).ok());
  cluster_.Resume(leader_);
  EXPECT_TRUE(Eventually([&] { return !lock_a.IsHeld(); }, absl::Seconds(30)))
      << "A never learned its session ended";
  EXPECT_TRUE(lock_b.IsHeld());
}

TEST_F(RecipesTest, ReadersShareAndWritersExclude) {
  auto r1 = Member();
  auto r2 = Member();
  auto w = Member();
  ReadWriteLock rw1(*r1, "/locks/rw");
  ReadWriteLock rw2(*r2, "/locks/rw");
  ReadWriteLock rw3(*w, "/locks/rw");
  ASSERT_TRUE(rw1.read().Acquire(absl::Seconds(10)).ok());
  ASSERT_TRUE(rw2.read().Acquire(absl::Seconds(10)).ok()) << "readers share";
  EXPECT_EQ(ErrorOf(rw3.write().Acquire(absl::Milliseconds(300))), metastorepb::OPERATION_TIMEOUT);
  ASSERT_TRUE(rw1.read().Release().ok());
  ASSERT_TRUE(rw2.read().Release().ok());
  ASSERT_TRUE(rw3.write().Acquire(absl::Seconds(10)).ok());
  EXPECT_EQ(ErrorOf(rw1.read().Acquire(absl::Milliseconds(300))), metastorepb::OPERATION_TIMEOUT)
      << "a reader waits for the writer before it";
  // A reader in line behind the writer gets in when the writer leaves.
  auto reader =
      std::async(std::launch::async, [&] { return rw2.read().Acquire(absl::Seconds(30)); });
  WaitForLine(*w, "/locks/rw", 2);
  ASSERT_TRUE(rw3.write().Release().ok());
  EXPECT_TRUE(reader.get().ok());
}

TEST_F(RecipesTest, OneLeaderAtATimeInTheOrderTheyJoined) {
  constexpr int kParticipants = 4;
  std::vector<std::unique_ptr<MetastoreClient>> clients;
  std::vector<std::unique_ptr<LeaderElection>> elections;
  std::vector<std::future<absl::Status>> waits;
  for (int i = 0; i < kParticipants; ++i) {
    clients.push_back(Member());
    elections.push_back(
        std::make_unique<LeaderElection>(*clients[i], "/election", absl::StrCat("p", i)));
    waits.push_back(std::async(
        std::launch::async, [&, i] { return elections[i]->AwaitLeadership(absl::Seconds(60)); }));
    WaitForLine(*clients[0], "/election", i + 1);
  }
  auto leaders = [&] {
    std::vector<int> out;
    for (int i = 0; i < kParticipants; ++i) {
      if (elections[i]->HasLeadership()) out.push_back(i);
    }
    return out;
  };
  auto observer = cluster_.Client();
  LeaderElection watcher(*observer, "/election", "observer");  // never joins
  ASSERT_TRUE(waits[0].get().ok());
  EXPECT_EQ(leaders(), std::vector<int>{0});
  EXPECT_EQ(*watcher.Leader(), "p0");

  // p0 resigns: p1, and only p1, takes over.
  ASSERT_TRUE(elections[0]->Resign().ok());
  ASSERT_TRUE(waits[1].get().ok());
  EXPECT_EQ(leaders(), std::vector<int>{1});
  EXPECT_EQ(*watcher.Leader(), "p1");

  // p1 crashes: p2 takes over once p1's session expires; p3 still waits.
  clients[1]->AbandonSession();
  ASSERT_TRUE(waits[2].get().ok());
  EXPECT_EQ(*watcher.Leader(), "p2");
  EXPECT_EQ(waits[3].wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_TRUE(elections[2]->HasLeadership());
  EXPECT_FALSE(elections[3]->HasLeadership());
  ASSERT_TRUE(elections[2]->Resign().ok());
  ASSERT_TRUE(waits[3].get().ok());
  EXPECT_EQ(*watcher.Leader(), "p3");
}

TEST_F(RecipesTest, ALeaderKeepsLeadingThroughServerKillsAndLosesItWithItsSession) {
  absl::Notification lost;  // outlives the elections, whose callbacks set them
  absl::Status why;
  auto a = Member(cluster_.Address(leader_));
  std::vector<std::string> others;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader_) others.push_back(cluster_.Address(id));
  }
  auto b = Member(absl::StrJoin(others, ","));
  LeaderElection ea(*a, "/election2", "a");
  LeaderElection eb(*b, "/election2", "b");
  ASSERT_TRUE(ea.AwaitLeadership(absl::Seconds(10)).ok());
  ea.OnLost([&](const absl::Status& s) {
    why = s;
    lost.Notify();
  });
  // A follower killed: nothing changes.
  const uint64_t follower = leader_ == 1 ? 2 : 1;
  cluster_.Stop(follower, SIGKILL);
  EXPECT_EQ(ErrorOf(eb.AwaitLeadership(kSessionTimeout * 2)), metastorepb::OPERATION_TIMEOUT);
  EXPECT_TRUE(ea.HasLeadership());
  cluster_.Start(follower);

  // A cut off past its session timeout (its only server paused): b leads, and a is told.
  cluster_.Pause(leader_);
  ASSERT_TRUE(eb.AwaitLeadership(absl::Seconds(30)).ok());
  cluster_.Resume(leader_);
  ASSERT_TRUE(lost.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // Whichever a comes to know first: its node's deletion or its session's end.
  EXPECT_TRUE(ErrorOf(why) == metastorepb::SESSION_EXPIRED || ErrorOf(why) == metastorepb::NO_NODE)
      << why;
  EXPECT_FALSE(ea.HasLeadership());
  EXPECT_TRUE(eb.HasLeadership());
}

TEST_F(RecipesTest, BarrierHoldsUntilRemoved) {
  auto a = Member();
  auto b = Member();
  Barrier set_by_a(*a, "/barriers/b1");
  Barrier waited_by_b(*b, "/barriers/b1");
  ASSERT_TRUE(set_by_a.Set().ok());
  ASSERT_TRUE(set_by_a.Set().ok()) << "setting it twice is fine";
  EXPECT_EQ(ErrorOf(waited_by_b.Wait(absl::Milliseconds(300))), metastorepb::OPERATION_TIMEOUT);
  std::atomic<bool> removed{false};
  auto waited = std::async(std::launch::async, [&] {
    absl::Status s = waited_by_b.Wait(absl::Seconds(30));
    return std::make_pair(s, removed.load());
  });
  absl::SleepFor(absl::Milliseconds(200));
  removed = true;
  ASSERT_TRUE(set_by_a.Remove().ok());
  auto [status, after_removal] = waited.get();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(after_removal);
}

TEST_F(RecipesTest, DoubleBarrierLetsNobodyInOrOutAlone) {
  constexpr int kMembers = 3;
  std::atomic<int> entering{0};
  std::atomic<int> leaving{0};
  std::vector<std::future<std::pair<int, int>>> seen;  // (entered, left) when let through
  std::vector<std::unique_ptr<MetastoreClient>> clients;
  for (int i = 0; i < kMembers; ++i) clients.push_back(Member());
  for (int i = 0; i < kMembers; ++i) {
    seen.push_back(std::async(std::launch::async, [&, i] {
      DoubleBarrier barrier(*clients[i], "/barriers/double", absl::StrCat("m", i), kMembers);
      absl::SleepFor(absl::Milliseconds(150 * i));  // arrive one after another
      ++entering;
      EXPECT_TRUE(barrier.Enter(absl::Seconds(30)).ok());
      const int entered = entering.load();
      absl::SleepFor(absl::Milliseconds(150 * (kMembers - i)));
      ++leaving;
      EXPECT_TRUE(barrier.Leave(absl::Seconds(30)).ok());
      return std::make_pair(entered, leaving.load());
    }));
  }
  for (auto& s : seen) EXPECT_EQ(s.get(), std::make_pair(kMembers, kMembers));

  // A member that crashes inside counts as having left once its session ends.
  DoubleBarrier x(*clients[0], "/barriers/double2", "x", 2);
  auto crasher = Member();
  DoubleBarrier y(*crasher, "/barriers/double2", "y", 2);
  auto x_in = std::async(std::launch::async, [&] { return x.Enter(absl::Seconds(30)); });
  ASSERT_TRUE(y.Enter(absl::Seconds(30)).ok());
  ASSERT_TRUE(x_in.get().ok());
  crasher->AbandonSession();
  EXPECT_TRUE(x.Leave(absl::Seconds(30)).ok());
  EXPECT_EQ(ErrorOf(DoubleBarrier(*clients[0], "/b", "m", 0).Enter(absl::Seconds(1))),
            metastorepb::BAD_ARGUMENTS);
}

TEST_F(RecipesTest, CounterHandsOutEveryIdOnceThroughALeaderKill) {
  constexpr int kClients = 3;
  constexpr int kAdds = 20;
  std::mutex mu;
  std::vector<int64_t> ids;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      auto client = cluster_.Client(absl::Seconds(30));
      DistributedCounter counter(*client, "/counters/ids");
      for (int n = 0; n < kAdds; ++n) {
        auto id = counter.Add(1);
        ASSERT_TRUE(id.ok()) << id.status();
        std::lock_guard lock(mu);
        ids.push_back(*id);
        ++done;
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return done >= kClients * kAdds / 3; }, absl::Seconds(60)));
  cluster_.Stop(leader_, SIGKILL);
  for (auto& t : threads) t.join();
  std::sort(ids.begin(), ids.end());
  std::vector<int64_t> expected(kClients * kAdds);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(ids, expected);
  auto client = cluster_.Client();
  DistributedCounter counter(*client, "/counters/ids");
  EXPECT_EQ(*counter.Get(), kClients * kAdds);
  EXPECT_EQ(*counter.CompareAndSet(7, 100), false);
  EXPECT_EQ(*counter.CompareAndSet(kClients * kAdds, 100), true);
  EXPECT_EQ(*counter.Get(), 100);

  // Not a counter: a clear error, and nothing written.
  ASSERT_TRUE(client->Create("/counters/text", "hello").ok());
  DistributedCounter text(*client, "/counters/text");
  EXPECT_EQ(ErrorOf(text.Add(1).status()), metastorepb::BAD_ARGUMENTS);
  EXPECT_EQ(client->GetData("/counters/text")->data, "hello");
  DistributedCounter near_max(*client, "/counters/max");
  ASSERT_TRUE(near_max.Add(INT64_MAX).ok());
  EXPECT_EQ(ErrorOf(near_max.Add(1).status()), metastorepb::BAD_ARGUMENTS);
}

TEST_F(RecipesTest, RegistryListenersSeeInstancesComeChangeAndGo) {
  // What the listener touches outlives the registry, whose thread calls it.
  std::mutex mu;
  std::condition_variable cv;
  ServiceRegistry::Instances latest;
  auto watcher_client = Member();
  ServiceRegistry watcher(*watcher_client, "/services");
  ASSERT_TRUE(watcher
                  .Watch("bookies",
                         [&](const ServiceRegistry::Instances& now) {
                           std::lock_guard lock(mu);
                           latest = now;
                           cv.notify_all();
                         })
                  .ok());
  auto wait_for = [&](const ServiceRegistry::Instances& want) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return latest == want; });
  };
  EXPECT_TRUE(wait_for({}));

  std::vector<std::unique_ptr<MetastoreClient>> bookies;
  std::vector<std::unique_ptr<ServiceRegistry>> registries;
  for (int i = 0; i < 3; ++i) {
    bookies.push_back(Member());
    registries.push_back(std::make_unique<ServiceRegistry>(*bookies[i], "/services"));
    ASSERT_TRUE(registries[i]
                    ->Register("bookies", absl::StrCat("b", i), absl::StrCat("10.0.0.", i, ":3181"))
                    .ok());
  }
  EXPECT_EQ(ErrorOf(registries[0]->Register("bookies", "b1", "dup")), metastorepb::NODE_EXISTS);
  EXPECT_TRUE(
      wait_for({{"b0", "10.0.0.0:3181"}, {"b1", "10.0.0.1:3181"}, {"b2", "10.0.0.2:3181"}}));
  ASSERT_TRUE(registries[1]->Update("bookies", "b1", "10.0.0.1:4181").ok());
  EXPECT_TRUE(
      wait_for({{"b0", "10.0.0.0:3181"}, {"b1", "10.0.0.1:4181"}, {"b2", "10.0.0.2:3181"}}));
  ASSERT_TRUE(registries[0]->Unregister("bookies", "b0").ok());
  bookies[2]->AbandonSession();  // b2's process dies
  EXPECT_TRUE(wait_for({{"b1", "10.0.0.1:4181"}}));
  EXPECT_EQ(*watcher.List("bookies"), (ServiceRegistry::Instances{{"b1", "10.0.0.1:4181"}}));
  EXPECT_EQ(*watcher.List("nobody"), ServiceRegistry::Instances{});
}

}  // namespace
}  // namespace warren::testing
