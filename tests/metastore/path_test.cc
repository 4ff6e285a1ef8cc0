#include "metastore/path.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

TEST(PathTest, AcceptsWhatZooKeeperAccepts) {
  for (const char* p : {"/", "/a", "/a/b", "/a.b/..c/.d", "/ledgers/00/0000/L0001", "/ünïcödé",
                        "/with space", "/\xF0\x9F\x98\x80"}) {
    EXPECT_TRUE(ValidatePath(p).ok()) << p << ": " << ValidatePath(p);
  }
}

TEST(PathTest, RefusesWhatZooKeeperRefuses) {
  const std::string bad[] = {"",
                             "a",
                             "a/b",
                             "/a/",
                             "//",
                             "/a//b",
                             "/.",
                             "/a/..",
                             "/a/./b",
                             std::string("/a\0b", 4),
                             "/a\x01",
                             "/\x7f",
                             "/\xC2\x85",      // U+0085, a C1 control
                             "/\xEF\xBF\xBF",  // U+FFFF
                             "/\xEE\x80\x80",  // U+E000, private use
                             "/\xC0\xAF",      // overlong '/'
                             "/\xff",
                             "/\xE2\x82"};  // truncated
  for (const auto& p : bad) {
    absl::Status s = ValidatePath(p);
    EXPECT_EQ(ErrorOf(s), metastorepb::INVALID_PATH) << "'" << p << "' " << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), "InvalidPath: ")) << s;
  }
}

TEST(PathTest, ParentBaseAndChild) {
  EXPECT_EQ(ParentOf("/a/b"), "/a");
  EXPECT_EQ(ParentOf("/a"), "/");
  EXPECT_EQ(ParentOf("/"), "");
  EXPECT_EQ(BaseName("/a/b"), "b");
  EXPECT_EQ(BaseName("/"), "");
  EXPECT_EQ(ChildPath("/", "a"), "/a");
  EXPECT_EQ(ChildPath("/a", "b"), "/a/b");
}

TEST(ErrorsTest, RoundTripThroughTheWire) {
  absl::Status s = MetaError(metastorepb::BAD_VERSION, "/x");
  EXPECT_EQ(s.message(), "BadVersion: /x");
  metastorepb::ResponseHeader h;
  SetError(s, &h);
  absl::Status back = FromWire(h.error(), h.message());
  EXPECT_EQ(ErrorOf(back), metastorepb::BAD_VERSION);
  EXPECT_EQ(back.message(), s.message());
  EXPECT_EQ(ErrorOf(absl::OkStatus()), metastorepb::OK);
  EXPECT_EQ(ErrorOf(absl::InternalError("x")), metastorepb::SYSTEM_ERROR);
}

}  // namespace
}  // namespace warren::metastore
