#include "bench/load/histogram.h"

#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace warren::bench {
namespace {

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0u);
  EXPECT_EQ(h.Max(), 0u);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Count(), 100u);
  EXPECT_EQ(h.Percentile(0.5), 50u);
  EXPECT_EQ(h.Percentile(0.99), 99u);
  EXPECT_EQ(h.Percentile(1.0), 100u);
  EXPECT_EQ(h.Percentile(0.0), 1u);
}

TEST(HistogramTest, BucketsCoverEveryValueInOrder) {
  int last = -1;
  for (uint64_t v = 0; v < (uint64_t{1} << 20); v += 1 + v / 97) {
    const int b = Histogram::BucketOf(v);
    ASSERT_GE(b, last) << v;
    ASSERT_LE(v, Histogram::UpperBoundOf(b)) << v;
    if (b > 0) {
      ASSERT_GT(v, Histogram::UpperBoundOf(b - 1)) << v;
    }
    last = b;
  }
  EXPECT_LT(Histogram::BucketOf(UINT64_MAX), Histogram::kBuckets);
}

// Every percentile of a wide random distribution is within the promised 1.6% of the exact
// one (computed from the sorted values).
TEST(HistogramTest, PercentilesWithinPrecisionOfExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(7.0, 1.5);  // median ~1 ms, long tail
  std::vector<uint64_t> values;
  Histogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(latency(rng)) + 1;
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const uint64_t exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    const uint64_t got = h.Percentile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(static_cast<double>(got), exact * 1.016 + 1) << q;
  }
  EXPECT_EQ(h.Max(), values.back());
  EXPECT_EQ(h.Percentile(1.0), values.back());
}

TEST(HistogramTest, ConcurrentRecordsAndMergeLoseNothing) {
  Histogram a, b;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&a, t] {
      for (uint64_t i = 0; i < 50000; ++i) a.Record(i % 1000 + static_cast<uint64_t>(t));
    });
  }
  for (auto& t : threads) t.join();
  b.Record(5'000'000);
  b.Merge(a);
  EXPECT_EQ(b.Count(), 200001u);
  EXPECT_EQ(b.Max(), 5'000'000u);
  EXPECT_LE(b.Percentile(0.5), 503u);
  EXPECT_GE(b.Percentile(0.5), 498u);
}

}  // namespace
}  // namespace warren::bench
