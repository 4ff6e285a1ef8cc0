#include "gtest/gtest.h"
#include "raft/client/raft_client.h"
#include "raft/server/client_service.h"

namespace warren::raft {
namespace {

raftpb::ClientRequest Write(uint64_t client, uint64_t seq, uint64_t first_incomplete,
                            size_t bytes = 4) {
  raftpb::ClientRequest r;
  r.set_group("g");
  r.set_client_id(client);
  r.set_seq(seq);
  r.set_first_incomplete_seq(first_incomplete);
  r.set_write(std::string(bytes, 'w'));
  return r;
}

void ExpectInvalid(const raftpb::ClientRequest& r, const std::string& mentions) {
  absl::Status s = ValidateClientRequest(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << r.DebugString();
  EXPECT_NE(s.message().find(mentions), std::string::npos) << s;
}

TEST(ValidateClientRequest, AcceptsWellFormedRequests) {
  EXPECT_TRUE(ValidateClientRequest(Write(1, 5, 3)).ok());
  raftpb::ClientRequest read;
  read.set_group("g");
  read.mutable_read()->set_query("get");
  EXPECT_TRUE(ValidateClientRequest(read).ok());
  raftpb::ClientRequest status;
  status.set_group("g");
  status.set_status(true);
  EXPECT_TRUE(ValidateClientRequest(status).ok());
}

TEST(ValidateClientRequest, RejectsMalformedRequests) {
  raftpb::ClientRequest no_group = Write(1, 1, 1);
  no_group.clear_group();
  ExpectInvalid(no_group, "group");
  ExpectInvalid(Write(0, 1, 1), "client_id");
  ExpectInvalid(Write(1, 0, 0), "seq");
  ExpectInvalid(Write(1, 2, 3), "first_incomplete_seq");
  ExpectInvalid(Write(1, 1, 1, kMaxCommandBytesCeiling + 1), "exceeds");
  raftpb::ClientRequest empty;
  empty.set_group("g");
  ExpectInvalid(empty, "no operation");
  raftpb::ClientRequest big_read;
  big_read.set_group("g");
  big_read.mutable_read()->set_query(std::string(kMaxCommandBytesCeiling + 1, 'q'));
  ExpectInvalid(big_read, "size");
}

TEST(ParseMembers, ParsesAndRejects) {
  auto m = ParseMembers("1=127.0.0.1:7001,2=localhost:7002");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(m->at(2), "localhost:7002");
  for (const char* bad : {"", "0=h:1", "x=h:1", "1=nohostport", "1=h:1,1=h:2", "1"}) {
    EXPECT_EQ(ParseMembers(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace warren::raft
