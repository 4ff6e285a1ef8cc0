// examples/kafka-brokers against a real quorum: broker processes, the controller killed and
// paused, and the controller log checked for two controllers acting in one epoch.
#include <signal.h>

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "examples/kafka-brokers/kafka_layout.h"
#include "gtest/gtest.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using namespace kafka;  // NOLINT

TEST(KafkaLayout, AssignmentIsRoundRobinAndJsonRoundTrips) {
  auto a = AssignReplicas({3, 1, 2}, 4, 2);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (Assignment{{0, {1, 2}}, {1, {2, 3}}, {2, {3, 1}}, {3, {1, 2}}}));
  EXPECT_EQ(*ParseAssignment(AssignmentJson(*a)), *a);
  EXPECT_FALSE(AssignReplicas({1, 2}, 3, 3).ok()) << "three replicas need three brokers";
  EXPECT_FALSE(AssignReplicas({1, 2}, 0, 1).ok());
  PartitionState s{.controller_epoch = 4, .leader = 2, .leader_epoch = 7, .isr = {2, 3}};
  EXPECT_EQ(*ParsePartitionState(PartitionStateJson(s)), s);
  EXPECT_EQ(*ControllerBroker(ControllerJson(5)), 5);
  EXPECT_FALSE(ParsePartitionState("{\"leader\":1}").ok());
  EXPECT_FALSE(ParseAssignment("not json").ok());
}

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartAll();
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
    client_ = cluster_.Client();
  }

  void StartBroker(int32_t id) {
    auto p = Process::Spawn({WARREN_KAFKA_BROKER, "--endpoints=" + cluster_.Endpoints(), "serve",
                             absl::StrCat("--id=", id), absl::StrCat("--port=", 9090 + id),
                             "--session-timeout-ms=2000"},
                            absl::StrCat(cluster_.dir(), "/broker-", id, ".log"));
    ASSERT_TRUE(p.ok()) << p.status();
    brokers_[id] = std::move(*p);
  }

  // (controller broker, epoch); (0, 0) if none now.
  std::pair<int32_t, int32_t> Controller() {
    auto node = client_->GetData(kController);
    auto epoch = client_->GetData(kControllerEpoch);
    if (!node.ok() || !epoch.ok()) return {0, 0};
    int32_t e = 0;
    EXPECT_TRUE(absl::SimpleAtoi(epoch->data, &e));
    return {ControllerBroker(node->data).value_or(0), e};
  }

  // Every partition of `topic` is led by a live replica, per the controller's state nodes.
  bool LedByLiveBrokers(const std::string& topic, int32_t partitions,
                        const std::set<int32_t>& dead) {
    for (int32_t p = 0; p < partitions; ++p) {
      auto node = client_->GetData(PartitionStatePath(topic, p));
      if (!node.ok()) return false;
      auto state = ParsePartitionState(node->data);
      if (!state.ok() || state->leader < 0 || dead.count(state->leader) > 0) return false;
      for (int32_t r : state->isr) {
        if (dead.count(r) > 0) return false;
      }
    }
    return true;
  }

  RunResult Kafka(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {WARREN_KAFKA_BROKER, "--endpoints=" + cluster_.Endpoints()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, absl::Seconds(60));
  }

  MetastoreCluster cluster_;
  std::unique_ptr<MetastoreClient> client_;
  std::map<int32_t, std::unique_ptr<Process>> brokers_;
};

TEST_F(KafkaTest, AKilledOrPausedControllerIsReplacedAndNoEpochHasTwoControllers) {
  for (int32_t id = 1; id <= 3; ++id) StartBroker(id);
  ASSERT_TRUE(Eventually(
      [&] {
        return client_->GetChildren(kBrokerIds).ok() &&
               client_->GetChildren(kBrokerIds)->children.size() == 3;
      },
      absl::Seconds(30)));
  RunResult r = Kafka({"create-topic", "ledgers", "--partitions=6", "--replication-factor=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] { return LedByLiveBrokers("ledgers", 6, {}); }, absl::Seconds(30)));
  EXPECT_EQ(Kafka({"create-topic", "ledgers", "--partitions=1"}).exit_code, 1) << "exists";
  EXPECT_EQ(Kafka({"create-topic", "big", "--replication-factor=4"}).exit_code, 1);
  EXPECT_EQ(Kafka({"create-topic", "a/b"}).exit_code, 1);
  EXPECT_EQ(Kafka({"serve"}).exit_code, 2) << "no --id";

  // The controller's process dies: another takes over once its session expires, with a new
  // epoch, and moves the partitions it led.
  const auto [first, first_epoch] = Controller();
  ASSERT_NE(first, 0);
  const absl::Time killed = absl::Now();
  brokers_[first]->Signal(SIGKILL);
  // One read of the controller and its epoch, kept: a read that fails under load (it answers
  // {0, 0}) must not stand for the controller that was seen.
  std::pair<int32_t, int32_t> seen;
  ASSERT_TRUE(Eventually(
      [&] {
        seen = Controller();
        return seen.first != 0 && seen.first != first;
      },
      absl::Seconds(30)));
  std::cout << "takeover after kill -9: " << absl::Now() - killed << " (session timeout 2s)\n";
  const auto [second, second_epoch] = seen;
  ASSERT_EQ(brokers_.count(second), 1u) << "controller " << second << " is no broker";
  EXPECT_GT(second_epoch, first_epoch);
  EXPECT_TRUE(
      Eventually([&] { return LedByLiveBrokers("ledgers", 6, {first}); }, absl::Seconds(30)));

  // The new controller hangs past its session timeout: the last broker takes over. The old
  // one wakes up believing it is controller; its writes are refused by the epoch fence.
  brokers_[second]->Signal(SIGSTOP);
  ASSERT_TRUE(Eventually(
      [&] {
        seen = Controller();
        return seen.first != 0 && seen.first != second;
      },
      absl::Seconds(30)));
  ASSERT_EQ(Kafka({"create-topic", "events", "--partitions=3"}).exit_code, 0);
  brokers_[second]->Signal(SIGCONT);
  EXPECT_EQ(brokers_[second]->Wait(absl::Seconds(30)), 1) << "it exits: its session ended";
  const int32_t third = seen.first;
  EXPECT_TRUE(Eventually(
      [&] {
        return LedByLiveBrokers("events", 3, {first, second});
      },
      absl::Seconds(30)));
  EXPECT_TRUE(LedByLiveBrokers("ledgers", 6, {first, second}));

  // The controller log: epochs never go back, and each epoch has one controller.
  auto log = client_->GetChildren(kControllerLog);
  ASSERT_TRUE(log.ok());
  std::map<int32_t, std::set<int32_t>> actors;
  int32_t last_epoch = 0;
  for (const auto& c : log->children) {  // sorted by name: sequence order
    auto entry = client_->GetData(absl::StrCat(kControllerLog, "/", c.name()));
    ASSERT_TRUE(entry.ok());
    std::vector<std::string> words = absl::StrSplit(entry->data, ' ');
    ASSERT_GE(words.size(), 5u) << entry->data;
    int32_t epoch = 0, broker = 0;
    ASSERT_TRUE(absl::SimpleAtoi(words[1], &epoch) && absl::SimpleAtoi(words[3], &broker));
    EXPECT_GE(epoch, last_epoch) << entry->data;
    last_epoch = epoch;
    actors[epoch].insert(broker);
  }
  for (const auto& [epoch, brokers] : actors) {
    EXPECT_EQ(brokers.size(), 1u) << "epoch " << epoch << " had " << brokers.size()
                                  << " controllers";
  }
  EXPECT_EQ(actors.size(), 3u);
  EXPECT_EQ(actors.rbegin()->second, std::set<int32_t>{third});
}

}  // namespace
}  // namespace warren::testing
