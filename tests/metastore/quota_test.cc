// ZooKeeper's quota nodes: their text (as ZooKeeper's StatsTrack reads and writes it) and
// their paths.
#include "metastore/quota.h"

#include "gtest/gtest.h"

namespace warren::metastore {
namespace {

TEST(QuotaFields, ReadsWhatZooKeepersClientsWrite) {
  // zkCli's setquota -N 10 /a, as ZooKeeper 3.8 writes it.
  auto f = QuotaFields::Parse("count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10");
  EXPECT_EQ(f.count(), -1);
  EXPECT_EQ(f.bytes(), -1);
  EXPECT_EQ(f.count_hard_limit(), 10);
  EXPECT_EQ(f.byte_hard_limit(), -1);
  // What ZooKeeper before 3.7 wrote: soft limits alone.
  f = QuotaFields::Parse("count=5,bytes=100");
  EXPECT_EQ(f.count(), 5);
  EXPECT_EQ(f.bytes(), 100);
  EXPECT_EQ(f.count_hard_limit(), -1);
}

TEST(QuotaFields, WritesAsZooKeeperDoes) {
  auto stats = QuotaFields::Parse("");
  stats.set_count(3);
  stats.set_bytes(12);
  EXPECT_EQ(stats.Format(), "count=3,bytes=12");
  const std::string limits = "count=-1,bytes=-1=;byteHardLimit=64;countHardLimit=10";
  EXPECT_EQ(QuotaFields::Parse(limits).Format(), limits);
}

TEST(QuotaFields, AnythingUnreadableIsNoLimit) {
  for (const char* text : {"count=abc", "count", "=5", "count=", "count=1x", ",,;;", "count==7",
                           "\xff\xfe", "count=99999999999999999999999"}) {
    EXPECT_EQ(QuotaFields::Parse(text).count(), -1) << text;
  }
  EXPECT_EQ(QuotaFields::Parse("junk;count=4;;bytes=;x=y").count(), 4);
}

TEST(QuotaPaths, NameTheSubtreeTheyGovern) {
  EXPECT_EQ(QuotaLimitsPath("/a/b"), "/zookeeper/quota/a/b/zookeeper_limits");
  EXPECT_EQ(QuotaStatsPath("/a"), "/zookeeper/quota/a/zookeeper_stats");
  EXPECT_EQ(QuotaSubjectOfLimits("/zookeeper/quota/a/b/zookeeper_limits"), "/a/b");
  EXPECT_EQ(QuotaSubjectOfStats("/zookeeper/quota/a/zookeeper_stats"), "/a");
  EXPECT_EQ(QuotaSubjectOfStats("/zookeeper/quota/a/zookeeper_limits"), std::nullopt);
  for (const char* not_limits :
       {"/zookeeper/quota/zookeeper_limits", "/zookeeper/quota",
        "/zookeeper/quotax/a/zookeeper_limits", "/a/zookeeper_limits",
        "/zookeeper/quota/a/xzookeeper_limits", "/zookeeper/quota/a/zookeeper_limits/b"}) {
    EXPECT_EQ(QuotaSubjectOfLimits(not_limits), std::nullopt) << not_limits;
  }
  EXPECT_TRUE(IsQuotaPath("/zookeeper/quota/a"));
  EXPECT_FALSE(IsQuotaPath("/zookeeper/quota"));
  EXPECT_FALSE(IsQuotaPath("/zookeeper/quotas/a"));
  EXPECT_FALSE(IsQuotaPath("/zookeeper/config"));
  EXPECT_FALSE(IsQuotaPath("/a"));
}

}  // namespace
}  // namespace warren::metastore
