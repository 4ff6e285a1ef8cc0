#include "metastore/validate.h"

#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "metastore/ops.h"

namespace warren::metastore {
namespace {

void ExpectBadArguments(const absl::Status& s, const std::string& mentions) {
  EXPECT_EQ(ErrorOf(s), metastorepb::BAD_ARGUMENTS) << s;
  EXPECT_NE(s.message().find(mentions), std::string::npos) << s;
}

TEST(ValidateClientCommand, AcceptsWhatAClientMayAskFor) {
  Limits limits;
  metastorepb::Command multi;
  *multi.mutable_multi()->add_ops() = CreateOp("/a", "x");
  *multi.mutable_multi()->add_ops() = CheckOp("/a", 0);
  EXPECT_TRUE(ValidateClientCommand(multi, limits).ok());
  metastorepb::Command open;
  open.mutable_create_session()->set_timeout_ms(5000);
  EXPECT_TRUE(ValidateClientCommand(open, limits).ok());
  metastorepb::Command close;
  close.set_close_session(true);
  EXPECT_TRUE(ValidateClientCommand(close, limits).ok());
}

TEST(ValidateClientCommand, TheLeadersHousekeepingIsNotAClientsToAskFor) {
  Limits limits;
  metastorepb::Command expire;
  expire.mutable_expire_sessions()->add_session_ids(7);
  ExpectBadArguments(ValidateClientCommand(expire, limits), "housekeeping");
  metastorepb::Command idle;
  auto* node = idle.mutable_delete_idle()->add_nodes();
  node->set_path("/c");
  node->set_czxid(3);
  ExpectBadArguments(ValidateClientCommand(idle, limits), "housekeeping");
  ExpectBadArguments(ValidateClientCommand(metastorepb::Command(), limits), "no operation");
}

TEST(ValidateClientCommand, AMultiOfUnknownOrTooManyOpsIsRefused) {
  Limits limits;
  limits.max_ops_per_multi = 2;
  metastorepb::Command unknown;
  *unknown.mutable_multi()->add_ops() = CreateOp("/a");
  unknown.mutable_multi()->add_ops();  // names none: an op from a later version, or nothing
  ExpectBadArguments(ValidateClientCommand(unknown, limits), "op 1 of the multi");
  metastorepb::Command many;
  for (int i = 0; i < 3; ++i) *many.mutable_multi()->add_ops() = DeleteOp("/a");
  ExpectBadArguments(ValidateClientCommand(many, limits), "3 ops");
}

metastorepb::Acl MakeAcl(int32_t perms, const std::string& scheme, const std::string& id) {
  metastorepb::Acl a;
  a.set_perms(perms);
  a.mutable_id()->set_scheme(scheme);
  a.mutable_id()->set_id(id);
  return a;
}

TEST(ValidateOp, ChecksAclsWhereTheyAreSet) {
  Limits limits;
  metastorepb::Op create = CreateOp("/a");
  EXPECT_TRUE(ValidateOp(create, limits).ok());  // no ACL: the default
  *create.mutable_create()->add_acl() = MakeAcl(31, "ip", "10.0.0.0/8");
  EXPECT_TRUE(ValidateOp(create, limits).ok());
  *create.mutable_create()->add_acl() = MakeAcl(31, "world", "nobody");
  absl::Status bad = ValidateOp(create, limits);
  EXPECT_EQ(ErrorOf(bad), metastorepb::INVALID_ACL) << bad;
  EXPECT_EQ(bad.message(), "InvalidACL: /a (malformed id world:nobody)");

  metastorepb::Op set;
  set.mutable_set_acl()->set_path("/a");
  EXPECT_EQ(ErrorOf(ValidateOp(set, limits)), metastorepb::INVALID_ACL);  // never empty
  *set.mutable_set_acl()->add_acl() = MakeAcl(1, "auth", "");
  EXPECT_TRUE(ValidateOp(set, limits).ok());  // expanded when it applies, by who sent it
  set.mutable_set_acl()->set_version(-2);
  ExpectBadArguments(ValidateOp(set, limits), "version -2");
  set.mutable_set_acl()->set_version(3);
  set.mutable_set_acl()->set_path("a");
  EXPECT_EQ(ErrorOf(ValidateOp(set, limits)), metastorepb::INVALID_PATH);
  set.mutable_set_acl()->set_path("/a");
  *set.mutable_set_acl()->add_acl() = MakeAcl(64, "world", "anyone");
  EXPECT_EQ(ErrorOf(ValidateOp(set, limits)), metastorepb::INVALID_ACL);

  metastorepb::Command multi;
  *multi.mutable_multi()->add_ops() = CreateOp("/b");
  multi.mutable_multi()->add_ops()->mutable_set_acl()->set_path("/b");
  EXPECT_TRUE(ValidateClientCommand(multi, limits).ok());  // ops are checked as they apply
}

TEST(ValidateCommandSize, UpToTheLimitAndNotOneByteMore) {
  Limits limits;
  limits.max_command_bytes = 1000;
  EXPECT_TRUE(ValidateCommandSize(1000, limits).ok());
  ExpectBadArguments(ValidateCommandSize(1001, limits), "1001 bytes");
  ExpectBadArguments(ValidateCommandSize(1001, limits), "the limit is 1000");
}

// "/c/c/.../c": `depth` components.
std::string PathOfDepth(size_t depth) {
  std::string path;
  for (size_t i = 0; i < depth; ++i) path += "/c";
  return path;
}

TEST(ValidatePathLimits, APathUpToTheLimitsPassesOnePastEitherIsRefusedNamingIt) {
  Limits limits;
  limits.max_path_bytes = 20;
  limits.max_path_depth = 3;
  EXPECT_TRUE(ValidatePathLimits("/", limits).ok());
  EXPECT_TRUE(ValidatePathLimits("/" + std::string(19, 'a'), limits).ok());
  ExpectBadArguments(ValidatePathLimits("/" + std::string(20, 'a'), limits),
                     "the path is 21 bytes; the limit is 20 (--max-path-bytes)");
  EXPECT_TRUE(ValidatePathLimits(PathOfDepth(3), limits).ok());
  ExpectBadArguments(ValidatePathLimits(PathOfDepth(4), limits),
                     "the path has 4 components; the limit is 3 (--max-path-depth)");
  // A sequential node's counter counts.
  ExpectBadArguments(ValidatePathLimits("/" + std::string(10, 'a'), limits, 10),
                     "the path is 21 bytes");
  limits.max_path_bytes = 0;
  limits.max_path_depth = 0;
  EXPECT_TRUE(ValidatePathLimits(PathOfDepth(5000), limits).ok()) << "0 is no bound";
}

TEST(ValidatePathLimits, TheDefaultsLeaveRoomForWhatRealClientsWrite) {
  Limits limits;
  // Kafka's longest: a topic name of 249 characters in a partition's state path.
  EXPECT_TRUE(
      ValidatePathLimits(
          "/brokers/topics/" + std::string(249, 't') + "/partitions/2147483647/state", limits)
          .ok());
  // A Curator lock's node under a deep namespace.
  EXPECT_TRUE(ValidatePathLimits(PathOfDepth(20) + "/_c_0a1b2c3d-4e5f-6789-abcd-ef0123456789-lock-",
                                 limits, kSequentialSuffixBytes)
                  .ok());
}

TEST(ValidateCommandPaths, EveryOpOfAMultiIsChecked) {
  Limits limits;
  limits.max_path_bytes = 16;
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = CreateOp("/short", "");
  *cmd.mutable_multi()->add_ops() = CheckOp("/short", 0);
  EXPECT_TRUE(ValidateCommandPaths(cmd, limits).ok());
  *cmd.mutable_multi()->add_ops() = SetOp("/a-very-long-name", "x");
  ExpectBadArguments(ValidateCommandPaths(cmd, limits), "--max-path-bytes");
  metastorepb::Command seq;
  *seq.mutable_multi()->add_ops() = CreateOp("/seven", "");  // 6 bytes, 16 with its counter
  seq.mutable_multi()->mutable_ops(0)->mutable_create()->set_sequential(true);
  EXPECT_TRUE(ValidateCommandPaths(seq, limits).ok());
  seq.mutable_multi()->mutable_ops(0)->mutable_create()->set_path("/sevenx");
  ExpectBadArguments(ValidateCommandPaths(seq, limits), "the path is 17 bytes");
}

}  // namespace
}  // namespace warren::metastore
