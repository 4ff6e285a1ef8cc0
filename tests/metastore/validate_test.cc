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

}  // namespace
}  // namespace warren::metastore
