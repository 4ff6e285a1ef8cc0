#include "raft/server/dedup_table.h"

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

raftpb::ClientCommand Cmd(uint64_t client, uint64_t seq, uint64_t first_incomplete,
                          int64_t time_ms) {
  raftpb::ClientCommand c;
  c.set_client_id(client);
  c.set_seq(seq);
  c.set_first_incomplete_seq(first_incomplete);
  c.set_time_ms(time_ms);
  return c;
}

TEST(DedupTable, NewRequestIsNotFoundAndRecordedReplyIsReturned) {
  DedupTable t(60000, 10);
  EXPECT_FALSE(t.Lookup(Cmd(1, 1, 1, 0)).has_value());
  t.Record(Cmd(1, 1, 1, 0), {absl::OkStatus(), "first"});
  auto r = t.Lookup(Cmd(1, 1, 1, 5));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->payload, "first");
  EXPECT_FALSE(t.Lookup(Cmd(1, 2, 1, 5)).has_value());
  EXPECT_FALSE(t.Lookup(Cmd(2, 1, 1, 5)).has_value());
}

TEST(DedupTable, FailedRepliesAreRememberedToo) {
  DedupTable t(60000, 10);
  t.Record(Cmd(1, 1, 1, 0), {absl::InvalidArgumentError("bad"), ""});
  auto r = t.Lookup(Cmd(1, 1, 1, 0));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(DedupTable, RepliesBelowFirstIncompleteAreDroppedAndOldRetriesRefused) {
  DedupTable t(60000, 10);
  for (uint64_t seq = 1; seq <= 5; ++seq) t.Record(Cmd(1, seq, 1, 0), {absl::OkStatus(), "r"});
  t.Record(Cmd(1, 6, 4, 0), {absl::OkStatus(), "r6"});
  // 1..3 were acknowledged by the client: a retry of them is a client bug, refused.
  auto old = t.Lookup(Cmd(1, 2, 4, 0));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->status.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(t.Lookup(Cmd(1, 4, 4, 0)).has_value());
  EXPECT_EQ(t.Lookup(Cmd(1, 6, 4, 0))->payload, "r6");
  google::protobuf::RepeatedPtrField<raftpb::DedupClient> saved;
  t.SaveTo(&saved);
  ASSERT_EQ(saved.size(), 1);
  EXPECT_EQ(saved[0].replies_size(), 3);  // 4, 5, 6
}

TEST(DedupTable, IdleClientsExpireByLogTime) {
  DedupTable t(1000, 10);
  t.Record(Cmd(1, 1, 1, 0), {absl::OkStatus(), "a"});
  t.Record(Cmd(2, 1, 1, 900), {absl::OkStatus(), "b"});
  EXPECT_EQ(t.clients(), 2u);
  t.Record(Cmd(3, 1, 1, 1500), {absl::OkStatus(), "c"});  // client 1 idle 1500 ms > 1000
  EXPECT_EQ(t.clients(), 2u);
  EXPECT_FALSE(t.Lookup(Cmd(1, 1, 1, 1500)).has_value());
  EXPECT_TRUE(t.Lookup(Cmd(2, 1, 1, 1500)).has_value());
}

TEST(DedupTable, AForgottenClientsRetryIsRefusedAndItsNewRequestsApply) {
  DedupTable t(1000, 10);
  t.Record(Cmd(1, 1, 1, 0), {absl::OkStatus(), "a"});
  t.Record(Cmd(1, 2, 2, 10), {absl::OkStatus(), "b"});
  t.Record(Cmd(2, 1, 1, 2000), {absl::OkStatus(), "c"});  // client 1 idle past the TTL
  ASSERT_EQ(t.clients(), 1u);
  // Its retry of request 2 may have applied before it was forgotten: refused, not applied.
  raftpb::ClientCommand retry = Cmd(1, 2, 2, 2000);
  retry.set_retry(true);
  auto r = t.Lookup(retry);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code(), absl::StatusCode::kAborted);
  EXPECT_NE(r->status.message().find("no longer known"), std::string::npos) << r->status;
  // A request it sends for the first time is new, whatever was forgotten.
  EXPECT_FALSE(t.Lookup(Cmd(1, 3, 3, 2000)).has_value());
  // So is a first attempt of a client not known yet, whatever its sequence (it pipelines).
  EXPECT_FALSE(t.Lookup(Cmd(3, 2, 1, 2000)).has_value());
  // But a retry of a client's first request may have been applied too, if the client was
  // forgotten right after (evicted among many): refused as well.
  raftpb::ClientCommand first_retried = Cmd(3, 1, 1, 2000);
  first_retried.set_retry(true);
  ASSERT_TRUE(t.Lookup(first_retried).has_value());
}

TEST(DedupTable, LeastRecentlyActiveGoBeyondMaxClients) {
  DedupTable t(1000000, 3);
  for (uint64_t c = 1; c <= 3; ++c) t.Record(Cmd(c, 1, 1, c * 10), {absl::OkStatus(), "x"});
  t.Record(Cmd(1, 2, 1, 40), {absl::OkStatus(), "x"});  // client 1 becomes the most recent
  t.Record(Cmd(4, 1, 1, 50), {absl::OkStatus(), "x"});
  EXPECT_EQ(t.clients(), 3u);
  EXPECT_FALSE(t.Lookup(Cmd(2, 1, 1, 50)).has_value());  // the least recently active
  EXPECT_TRUE(t.Lookup(Cmd(1, 1, 1, 50)).has_value());
  EXPECT_TRUE(t.Lookup(Cmd(3, 1, 1, 50)).has_value());
}

TEST(DedupTable, SaveAndRestoreRoundTrip) {
  DedupTable a(1000, 10);
  a.Record(Cmd(7, 3, 2, 100), {absl::NotFoundError("gone"), ""});
  a.Record(Cmd(8, 1, 1, 200), {absl::OkStatus(), "p"});
  google::protobuf::RepeatedPtrField<raftpb::DedupClient> saved;
  a.SaveTo(&saved);
  DedupTable b(1000, 10);
  b.Record(Cmd(99, 1, 1, 0), {absl::OkStatus(), "forgotten on restore"});
  b.RestoreFrom(saved);
  EXPECT_EQ(b.clients(), 2u);
  EXPECT_FALSE(b.Lookup(Cmd(99, 1, 1, 0)).has_value());
  EXPECT_EQ(b.Lookup(Cmd(7, 3, 2, 0))->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(b.Lookup(Cmd(8, 1, 1, 0))->payload, "p");
  // The activity index came back too: client 7 expires first.
  b.Record(Cmd(9, 1, 1, 1150), {absl::OkStatus(), ""});
  EXPECT_FALSE(b.Lookup(Cmd(7, 3, 2, 0)).has_value());
  EXPECT_TRUE(b.Lookup(Cmd(8, 1, 1, 0)).has_value());
}

}  // namespace
}  // namespace warren::raft
