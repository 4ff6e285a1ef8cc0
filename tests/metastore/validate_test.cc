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

TEST(ValidateCommandSize, UpToTheLimitAndNotOneByteMore) {
  Limits limits;
  limits.max_command_bytes = 1000;
  EXPECT_TRUE(ValidateCommandSize(1000, limits).ok());
  ExpectBadArguments(ValidateCommandSize(1001, limits), "1001 bytes");
  ExpectBadArguments(ValidateCommandSize(1001, limits), "the limit is 1000");
}

}  // namespace
}  // namespace warren::metastore
