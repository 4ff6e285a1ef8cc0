// Exactly-once under faults: writers retry every increment (same client id and sequence
// number) until it is acknowledged while messages are lost, duplicated, delayed and
// reordered, members are partitioned away, and members are stopped and restarted. The
// counter must end at exactly the number of increments, and each writer must see its own
// increments take effect in order.
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "tests/server/server_cluster.h"

namespace warren::raft {
namespace {

using testing::ServerCluster;

constexpr int kMembers = 3;
constexpr int kWriters = 3;
// Writers go on while the nemesis works, within these bounds.
constexpr uint64_t kMinIncrementsPerWriter = 30;
constexpr uint64_t kMaxIncrementsPerWriter = 2000;
constexpr int kNemesisRounds = 8;

Faults Noisy() {
  Faults f;
  f.drop = 0.05;
  f.duplicate = 0.05;
  f.max_delay = absl::Milliseconds(10);
  return f;
}

void HealAll(ServerCluster& c, const Faults& faults) {
  for (uint64_t id = 1; id <= kMembers; ++id) {
    if (FaultyTransport* t = c.faults(id)) {
      t->UnblockAll();
      t->SetFaults(faults);
    }
  }
}

class DivisionFaultTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DivisionFaultTest, CountIsExactUnderLossPartitionsAndRestarts) {
  GroupOptions o;
  o.tick = absl::Milliseconds(20);
  o.request_timeout = absl::Seconds(2);
  o.snapshot_entries = 25;  // snapshots and log purges happen during the run
  o.log_retention_entries = 5;
  ServerCluster c(kMembers, o);
  for (uint64_t id = 1; id <= kMembers; ++id) ASSERT_TRUE(c.Start(id).ok());
  HealAll(c, Noisy());

  std::atomic<bool> nemesis_done{false};
  std::thread nemesis([&] {
    std::mt19937_64 rng(GetParam());
    for (int round = 0; round < kNemesisRounds; ++round) {
      absl::SleepFor(absl::Milliseconds(100 + rng() % 200));
      uint64_t victim = 1 + rng() % kMembers;
      if (rng() % 2 == 0) {
        for (uint64_t id = 1; id <= kMembers; ++id) {
          if (id == victim) continue;
          if (auto* t = c.faults(id)) t->Block(victim);
          if (auto* t = c.faults(victim)) t->Block(id);
        }
        absl::SleepFor(absl::Milliseconds(300));
        HealAll(c, Noisy());
      } else {
        c.Stop(victim);
        absl::SleepFor(absl::Milliseconds(200));
        ASSERT_TRUE(c.Start(victim).ok());
        HealAll(c, Noisy());
      }
    }
    nemesis_done = true;
  });

  std::vector<std::thread> writers;
  std::atomic<int> acknowledged{0};
  std::vector<std::string> errors(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      int64_t previous = 0;
      for (uint64_t seq = 1; seq <= kMaxIncrementsPerWriter; ++seq) {
        if (seq > kMinIncrementsPerWriter && nemesis_done) break;
        Result r =
            c.WriteUntilDone(ServerCluster::Command(100 + w, seq, "incr 1"), absl::Seconds(60));
        if (!r.status.ok()) {
          errors[w] = r.status.ToString();
          return;
        }
        int64_t value = 0;
        if (!absl::SimpleAtoi(r.payload, &value) || value <= previous) {
          errors[w] = "reply " + r.payload + " after " + std::to_string(previous);
          return;
        }
        previous = value;
        ++acknowledged;
      }
    });
  }
  nemesis.join();
  for (auto& t : writers) t.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(errors[w], "") << "writer " << w;

  HealAll(c, Faults{});
  Result r = c.ReadUntilDone(raftpb::LINEARIZABLE);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_GE(acknowledged.load(), static_cast<int>(kWriters * kMinIncrementsPerWriter));
  EXPECT_EQ(r.payload, std::to_string(acknowledged.load()));
  ASSERT_TRUE(c.WaitForApplied(r.index));
  for (uint64_t id = 1; id <= kMembers; ++id) {
    EXPECT_EQ(c.Read(id, raftpb::SEQUENTIAL, r.index).payload, r.payload) << "member " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DivisionFaultTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace warren::raft
