#include "metrics/request_metrics.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace warren::metrics {
namespace {

using testing::Exposition;

Exposition Scrape(prometheus::Registry& registry) {
  return Exposition(prometheus::TextSerializer().Serialize(registry.Collect()));
}

TEST(RequestMetrics, CountsAndTimesByDoorOpAndOutcome) {
  prometheus::Registry registry;
  RequestMetrics requests(registry);
  for (int i = 0; i < 3; ++i) {
    requests.Record(Door::kGrpc, Op::kCreate, metastorepb::OK, absl::Milliseconds(2));
  }
  requests.Record(Door::kGrpc, Op::kCreate, metastorepb::NODE_EXISTS, absl::Milliseconds(1));
  requests.Record(Door::kZooKeeper, Op::kGetData, metastorepb::NO_NODE, absl::Microseconds(300));
  requests.Record(Door::kZooKeeper, Op::kOther, ZooKeeperAnswer::kUnimplemented,
                  absl::ZeroDuration());
  requests.Record(Door::kZooKeeper, Op::kPing, static_cast<metastorepb::Error>(999),
                  absl::ZeroDuration());

  const Exposition e = Scrape(registry);
  auto count = [&](const char* door, const char* op, const char* outcome) {
    return e.Value("warren_metastore_requests_total",
                   {{"door", door}, {"op", op}, {"outcome", outcome}});
  };
  EXPECT_EQ(count("grpc", "create", "OK"), 3);
  EXPECT_EQ(count("grpc", "create", "NodeExists"), 1);
  EXPECT_EQ(count("zookeeper", "get", "NoNode"), 1);
  EXPECT_EQ(count("zookeeper", "other", "Unimplemented"), 1);
  EXPECT_EQ(count("zookeeper", "ping", "SystemError"), 1);
  // Only what happened is shown.
  EXPECT_EQ(e.All("warren_metastore_requests_total").size(), 5u);
  EXPECT_EQ(e.Value("warren_metastore_request_duration_seconds_count",
                    {{"door", "grpc"}, {"op", "create"}, {"outcome", "OK"}}),
            3);
  EXPECT_NEAR(*e.Value("warren_metastore_request_duration_seconds_sum",
                       {{"door", "grpc"}, {"op", "create"}, {"outcome", "OK"}}),
              0.006, 1e-9);
  EXPECT_EQ(e.Value("warren_metastore_request_duration_seconds_bucket",
                    {{"door", "grpc"}, {"op", "create"}, {"outcome", "OK"}, {"le", "0.001"}}),
            0);
  EXPECT_EQ(e.Value("warren_metastore_request_duration_seconds_bucket",
                    {{"door", "grpc"}, {"op", "create"}, {"outcome", "OK"}, {"le", "0.0025"}}),
            3);
}

TEST(RequestMetrics, ThreadsRecordingAtOnceLoseNothing) {
  prometheus::Registry registry;
  RequestMetrics requests(registry);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // All on one combination, and each on combinations the others make at the same time.
        requests.Record(Door::kGrpc, Op::kSetData, metastorepb::OK, absl::Microseconds(i % 500));
        requests.Record(Door::kZooKeeper, static_cast<Op>(i % kOps),
                        static_cast<metastorepb::Error>(t), absl::ZeroDuration());
      }
    });
  }
  for (auto& t : threads) t.join();
  const Exposition e = Scrape(registry);
  EXPECT_EQ(e.Value("warren_metastore_requests_total", {{"door", "grpc"}, {"op", "set"}}),
            kThreads * kEach);
  EXPECT_EQ(
      e.Value("warren_metastore_request_duration_seconds_count", {{"door", "grpc"}, {"op", "set"}}),
      kThreads * kEach);
  EXPECT_EQ(e.Sum("warren_metastore_requests_total", {{"door", "zookeeper"}}), kThreads * kEach);
  EXPECT_EQ(e.All("warren_metastore_requests_total", {{"door", "zookeeper"}}).size(),
            kThreads * kOps);
}

}  // namespace
}  // namespace warren::metrics
