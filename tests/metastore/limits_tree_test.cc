// The limits the tree and the watch manager enforce: children per node (carried in each
// command, so that every member applies the leader's bound), the path limits on reads, and
// the paths one session may watch.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "metastore/watch_manager.h"
#include "tests/metastore/tree_fixture.h"

namespace warren::metastore {
namespace {

using ::testing::HasSubstr;

class LimitsTreeTest : public TreeTest {
 protected:
  // A create under the bound `max_children`, as the leader stamps it.
  metastorepb::CommandReply CreateBounded(const std::string& path, uint64_t max_children) {
    metastorepb::Command cmd;
    *cmd.mutable_multi()->add_ops() = CreateOp(path, "");
    cmd.set_max_children(max_children);
    return Run(cmd);
  }
};

TEST_F(LimitsTreeTest, ACreatePastTheCommandsChildBoundIsRefusedAndChangesNothing) {
  ASSERT_EQ(Create("/p").error(), metastorepb::OK);
  ASSERT_EQ(CreateBounded("/p/a", 2).error(), metastorepb::OK);
  ASSERT_EQ(CreateBounded("/p/b", 2).error(), metastorepb::OK);
  const auto before = Get("/p").stat();
  auto r = CreateBounded("/p/c", 2);
  EXPECT_EQ(r.error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(r.message(),
              HasSubstr("/p has 2 children; the limit is 2 (--max-children-per-node)"));
  EXPECT_FALSE(Exists("/p/c"));
  const auto after = Get("/p").stat();
  EXPECT_EQ(after.cversion(), before.cversion());
  EXPECT_EQ(after.num_children(), 2);
  // Another parent is not bounded by this one's children; a write without a bound (one from
  // before the bound existed in the log) is not bounded at all.
  EXPECT_EQ(CreateBounded("/q", 3).error(), metastorepb::OK) << "the root has 2: /zookeeper, /p";
  EXPECT_EQ(CreateBounded("/p/c", 0).error(), metastorepb::OK);
  EXPECT_EQ(Children("/p").size(), 3u);
}

TEST_F(LimitsTreeTest, AMultiThatWouldPassTheChildBoundIsRefusedWhole) {
  ASSERT_EQ(Create("/p").error(), metastorepb::OK);
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = CreateOp("/p/a", "");
  *cmd.mutable_multi()->add_ops() = CreateOp("/p/b", "");
  *cmd.mutable_multi()->add_ops() = CreateOp("/p/c", "");
  cmd.set_max_children(2);
  auto r = Run(cmd);
  EXPECT_EQ(r.error(), metastorepb::BAD_ARGUMENTS);
  ASSERT_EQ(r.results_size(), 3);
  EXPECT_EQ(r.results(2).error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_TRUE(Children("/p").empty()) << "a refused multi left some of its ops applied";
}

TEST_F(LimitsTreeTest, ReadsOfPathsPastThePathLimitsAreRefused) {
  std::string deep;
  for (size_t i = 0; i <= Limits().max_path_depth; ++i) deep += "/d";
  auto r = Get(deep);
  EXPECT_EQ(r.error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(r.message(), HasSubstr("--max-path-depth"));
  r = Get("/" + std::string(Limits().max_path_bytes, 'l'));
  EXPECT_EQ(r.error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(r.message(), HasSubstr("--max-path-bytes"));
  metastorepb::AddWatch w;
  w.set_path(deep);
  w.set_kind(metastorepb::WATCH_PERSISTENT);
  EXPECT_EQ(ErrorOf(tree_->AddWatch(1, w)), metastorepb::BAD_ARGUMENTS);
}

TEST(WatchLimit, ASessionWatchesUpToTheLimitOfPathsThenIsRefusedNamingIt) {
  WatchManager watches(2);
  watches.Attach(7, [](const metastorepb::SessionEvent&) {});
  watches.Attach(8, [](const metastorepb::SessionEvent&) {});
  ASSERT_TRUE(watches.Add(7, "/a", metastorepb::WATCH_DATA).ok());
  ASSERT_TRUE(watches.Add(7, "/b", metastorepb::WATCH_CHILDREN).ok());
  // Another kind of watch on a path it watches already costs nothing.
  EXPECT_TRUE(watches.Add(7, "/a", metastorepb::WATCH_PERSISTENT).ok());
  absl::Status s = watches.Add(7, "/c", metastorepb::WATCH_EXISTS);
  EXPECT_EQ(ErrorOf(s), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("watches 2 paths; the limit is 2 (--max-watches-per-session)"));
  EXPECT_FALSE(watches.Has(7, "/c", metastorepb::WATCH_EXISTS));
  // Other sessions are not held to this one's count.
  EXPECT_TRUE(watches.Add(8, "/c", metastorepb::WATCH_EXISTS).ok());
  // A one-shot watch that fires frees its path.
  metastorepb::WatchEvent changed;
  changed.set_type(metastorepb::NODE_CHILDREN_CHANGED);
  changed.set_path("/b");
  changed.set_zxid(5);
  watches.Fire({changed});
  EXPECT_TRUE(watches.Add(7, "/c", metastorepb::WATCH_EXISTS).ok());
  // As does one removed.
  EXPECT_TRUE(watches.Remove(7, "/c", metastorepb::WATCH_EXISTS));
  EXPECT_TRUE(watches.Add(7, "/d", metastorepb::WATCH_DATA).ok());
}

TEST(WatchLimit, ZeroIsNoBound) {
  WatchManager watches(0);
  watches.Attach(7, [](const metastorepb::SessionEvent&) {});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(watches.Add(7, absl::StrCat("/n", i), metastorepb::WATCH_DATA).ok()) << i;
  }
}

}  // namespace
}  // namespace warren::metastore
