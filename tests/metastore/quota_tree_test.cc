// ZooKeeper's quotas as the tree keeps them when it applies: the stats node counts every
// create, delete and setData below its subtree, a hard limit refuses the write that would
// pass it (and changes nothing), and all of it survives a restart and a snapshot.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/ops.h"
#include "metastore/quota.h"
#include "tests/metastore/tree_fixture.h"
#include "tests/server/string_snapshot.h"

namespace warren::metastore {
namespace {

using ::testing::HasSubstr;

class QuotaTree : public TreeTest {
 protected:
  // What zkCli's setquota does: the quota path's parents, the limits node, the stats node.
  void SetQuota(const std::string& subject, const std::string& limits) {
    std::string path(kQuotaNode);
    for (size_t at = 1; at < subject.size();) {
      size_t next = subject.find('/', at);
      if (next == std::string::npos) next = subject.size();
      path += subject.substr(at - 1, next - at + 1);
      if (!Exists(path)) {
        ASSERT_EQ(Create(path).error(), metastorepb::OK) << path;
      }
      at = next + 1;
    }
    ASSERT_EQ(Create(QuotaLimitsPath(subject), limits).error(), metastorepb::OK);
    ASSERT_EQ(Create(QuotaStatsPath(subject), "count=0,bytes=0").error(), metastorepb::OK);
  }
  std::string Stats(const std::string& subject) { return Get(QuotaStatsPath(subject)).data(); }
};

TEST_F(QuotaTree, TheStatsNodeCountsTheSubtreeFromTheMomentItIsCreated) {
  ASSERT_EQ(Create("/app", "12345").error(), metastorepb::OK);
  ASSERT_EQ(Create("/app/a", "xy").error(), metastorepb::OK);
  ASSERT_EQ(Create("/other", "not counted").error(), metastorepb::OK);
  SetQuota("/app", "count=10,bytes=-1");
  EXPECT_EQ(Stats("/app"), "count=2,bytes=7");  // /app itself counts, as in ZooKeeper
  EXPECT_EQ(Get(QuotaStatsPath("/app")).stat().data_length(), 15);

  ASSERT_EQ(Create("/app/b", "abc").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=3,bytes=10");
  ASSERT_EQ(SetData("/app/a", "").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=3,bytes=8");
  ASSERT_EQ(Delete("/app/b").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=2,bytes=5");
  ASSERT_EQ(Create("/other/x", "zzz").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=2,bytes=5");

  // An ephemeral counts until its session ends.
  const uint64_t s = NewSession();
  ASSERT_EQ(Create("/app/e", "e", s, /*ephemeral=*/true).error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=3,bytes=6");
  metastorepb::Command close;
  close.set_session_id(s);
  close.set_close_session(true);
  ASSERT_EQ(Run(close).error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=2,bytes=5");
}

TEST_F(QuotaTree, AHardCountLimitRefusesTheCreateThatWouldPassItAndChangesNothing) {
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  SetQuota("/app", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3");
  ASSERT_EQ(Create("/app/1").error(), metastorepb::OK);
  ASSERT_EQ(Create("/app/2").error(), metastorepb::OK);
  const auto before = Get("/app").stat();
  auto refused = Create("/app/3", "data");
  EXPECT_EQ(refused.error(), metastorepb::QUOTA_EXCEEDED);
  EXPECT_THAT(refused.message(), HasSubstr("QuotaExceeded: /app/3 (count of /app would be 4"));
  EXPECT_THAT(refused.message(), HasSubstr("hard limit is 3"));
  EXPECT_FALSE(Exists("/app/3"));
  EXPECT_EQ(Get("/app").stat().cversion(), before.cversion());
  EXPECT_EQ(Stats("/app"), "count=3,bytes=0");
  // Within the limit again once a node goes.
  ASSERT_EQ(Delete("/app/2").error(), metastorepb::OK);
  EXPECT_EQ(Create("/app/3").error(), metastorepb::OK);
  // A setData is no new node: the count limit never refuses it.
  EXPECT_EQ(SetData("/app/3", "more").error(), metastorepb::OK);
}

TEST_F(QuotaTree, AHardByteLimitRefusesGrowthButNeverShrinking) {
  ASSERT_EQ(Create("/app", "0123456789").error(), metastorepb::OK);
  SetQuota("/app", "count=-1,bytes=-1=;byteHardLimit=12;countHardLimit=-1");
  EXPECT_EQ(Create("/app/a", "abc").error(), metastorepb::QUOTA_EXCEEDED);
  ASSERT_EQ(Create("/app/a", "ab").error(), metastorepb::OK);
  EXPECT_EQ(SetData("/app/a", "abc").error(), metastorepb::QUOTA_EXCEEDED);
  EXPECT_EQ(Get("/app/a").data(), "ab");
  EXPECT_EQ(Get("/app/a").stat().version(), 0);
  // The limit lowered below the usage: the subtree may still shrink, and may not grow.
  ASSERT_EQ(SetData(QuotaLimitsPath("/app"), "count=-1,bytes=-1=;byteHardLimit=5").error(),
            metastorepb::OK);
  EXPECT_EQ(SetData("/app", "012345678").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=2,bytes=11");
  EXPECT_EQ(Create("/app/b").error(), metastorepb::OK);  // no bytes added
  EXPECT_EQ(Create("/app/c", "x").error(), metastorepb::QUOTA_EXCEEDED);
}

TEST_F(QuotaTree, SoftLimitsOnlyWarn) {
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  SetQuota("/app", "count=2,bytes=1");
  for (const char* p : {"/app/a", "/app/b", "/app/c"}) {
    EXPECT_EQ(Create(p, "data").error(), metastorepb::OK) << p;
  }
  EXPECT_EQ(Stats("/app"), "count=4,bytes=12");
}

TEST_F(QuotaTree, AMultiCountsOpByOpAndARefusedOneUndoesTheStatsToo) {
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  SetQuota("/app", "count=-1,bytes=-1=;countHardLimit=3");
  const auto stats_before = Get(QuotaStatsPath("/app"));
  metastorepb::Command cmd;
  for (const char* p : {"/app/a", "/app/b", "/app/c"}) {
    *cmd.mutable_multi()->add_ops() = CreateOp(p, "x");
  }
  auto reply = Run(cmd);
  EXPECT_EQ(reply.error(), metastorepb::QUOTA_EXCEEDED);
  ASSERT_EQ(reply.results_size(), 3);
  EXPECT_EQ(reply.results(0).error(), metastorepb::OK);
  EXPECT_EQ(reply.results(1).error(), metastorepb::OK);
  EXPECT_EQ(reply.results(2).error(), metastorepb::QUOTA_EXCEEDED);
  EXPECT_FALSE(Exists("/app/a"));
  const auto stats_after = Get(QuotaStatsPath("/app"));
  EXPECT_EQ(stats_after.data(), stats_before.data());
  EXPECT_EQ(stats_after.stat().data_length(), stats_before.stat().data_length());
}

TEST_F(QuotaTree, AStatsNodeAClientOverwroteCountsOnWithoutOverflowing) {
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  SetQuota("/app", "count=5,bytes=-1");
  ASSERT_EQ(SetData(QuotaStatsPath("/app"), "count=9223372036854775807,bytes=-9223372036854775808")
                .error(),
            metastorepb::OK);
  ASSERT_EQ(Create("/app/a").error(), metastorepb::OK);
  ASSERT_EQ(Delete("/app/a").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=9223372036854775806,bytes=-9223372036854775808");
  ASSERT_EQ(SetData(QuotaLimitsPath("/app"), "count=-1,bytes=-1=;countHardLimit=10").error(),
            metastorepb::OK);
  EXPECT_EQ(Create("/app/b").error(), metastorepb::QUOTA_EXCEEDED);
}

TEST_F(QuotaTree, OnlyTheDeepestQuotaCountsANode) {
  ASSERT_EQ(Create("/a").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/b").error(), metastorepb::OK);
  SetQuota("/a", "count=100,bytes=-1");
  SetQuota("/a/b", "count=100,bytes=-1");
  EXPECT_EQ(Stats("/a"), "count=2,bytes=0");
  ASSERT_EQ(Create("/a/b/c", "1").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/d", "1").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/a/b"), "count=2,bytes=1");
  EXPECT_EQ(Stats("/a"), "count=3,bytes=1");
}

TEST_F(QuotaTree, ADeletedLimitsNodeEndsTheQuota) {
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  SetQuota("/app", "count=-1,bytes=-1=;countHardLimit=1");
  EXPECT_EQ(Create("/app/a").error(), metastorepb::QUOTA_EXCEEDED);
  ASSERT_EQ(Delete(QuotaLimitsPath("/app")).error(), metastorepb::OK);
  EXPECT_EQ(Create("/app/a").error(), metastorepb::OK);
  EXPECT_EQ(Stats("/app"), "count=1,bytes=0");  // no longer counted
}

TEST_F(QuotaTree, QuotasAndTheirCountsSurviveARestartAndASnapshot) {
  ASSERT_EQ(Create("/app", "abc").error(), metastorepb::OK);
  SetQuota("/app", "count=-1,bytes=-1=;countHardLimit=2");
  ASSERT_EQ(Create("/app/a", "d").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  EXPECT_EQ(Stats("/app"), "count=2,bytes=4");
  EXPECT_EQ(Create("/app/b").error(), metastorepb::QUOTA_EXCEEDED);

  const uint64_t at = index_;
  warren::testing::StringWriter writer;
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  ASSERT_TRUE(tree_->TakeSnapshot()(writer).ok());
  WatchManager other_watches;
  auto other = ZNodeTree::Open(TreeOptions{(dir_ / "other").string(), Limits{}}, &other_watches);
  ASSERT_TRUE(other.ok()) << other.status();
  warren::testing::StringReader reader(writer.out);
  ASSERT_TRUE((*other)->RestoreSnapshot(at, reader).ok());
  metastorepb::Command cmd;
  cmd.set_time_ms(now_ms_);
  *cmd.mutable_multi()->add_ops() = CreateOp("/app/b", "");
  auto out = (*other)->Apply(at + 1, cmd.SerializeAsString());
  ASSERT_TRUE(out.ok());
  metastorepb::CommandReply reply;
  ASSERT_TRUE(reply.ParseFromString(*out));
  EXPECT_EQ(reply.error(), metastorepb::QUOTA_EXCEEDED) << reply.message();
}

TEST_F(QuotaTree, ClientsWriteBelowZooKeepersQuotaNodeAndNowhereElseInIt) {
  EXPECT_EQ(Create("/zookeeper/quota/a").error(), metastorepb::OK);
  EXPECT_EQ(Delete("/zookeeper/quota/a").error(), metastorepb::OK);
  for (const auto& reply :
       {Create("/zookeeper/x"), Create("/zookeeper/config/x"), SetData("/zookeeper/quota", "x"),
        Delete("/zookeeper/quota"), SetData("/zookeeper/config", "x"), Delete("/zookeeper")}) {
    EXPECT_EQ(reply.error(), metastorepb::BAD_ARGUMENTS) << reply.message();
  }
  // /zookeeper/quota's own stat follows its children across a restart.
  ASSERT_EQ(Create("/zookeeper/quota/b").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  EXPECT_EQ(Get("/zookeeper/quota").stat().num_children(), 1);
  EXPECT_EQ(Children("/zookeeper/quota"), std::vector<std::string>{"b"});
  EXPECT_EQ(Get("/zookeeper").stat().num_children(), 2);
}

}  // namespace
}  // namespace warren::metastore
