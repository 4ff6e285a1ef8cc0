#include "raft/server/peer_message_check.h"

#include <functional>
#include <limits>

#include "gtest/gtest.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {
namespace {

constexpr uint64_t kSelf = 1;
constexpr uint64_t kNegative = uint64_t{1} << 63;

raftpb::Message Msg(raftpb::MessageType type, uint64_t from = 2, uint64_t to = kSelf) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  return m;
}

raftpb::Message App() {
  raftpb::Message m = Msg(raftpb::MSG_APP);
  m.set_index(10);
  m.set_log_term(2);
  m.set_commit(9);
  auto* e = m.add_entries();
  e->set_index(11);
  e->set_term(3);
  e->set_data("cmd");
  auto* cc = m.add_entries();
  cc->set_index(12);
  cc->set_term(3);
  cc->set_type(raftpb::ENTRY_CONF_CHANGE);
  return m;
}

raftpb::Message Snap() {
  raftpb::Message m = Msg(raftpb::MSG_SNAP);
  auto* meta = m.mutable_snapshot()->mutable_metadata();
  meta->set_index(100);
  meta->set_term(3);
  meta->mutable_conf_state()->add_voters(1);
  meta->mutable_conf_state()->add_voters(2);
  return m;
}

void ExpectRefused(const absl::Status& s, const std::string& mentions) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(mentions), std::string::npos) << s;
}

TEST(CheckPeerMessage, AcceptsWhatHonestPeersSend) {
  EXPECT_TRUE(CheckPeerMessage(App(), kSelf).ok());
  for (auto type :
       {raftpb::MSG_APP_RESP, raftpb::MSG_VOTE, raftpb::MSG_VOTE_RESP, raftpb::MSG_PRE_VOTE,
        raftpb::MSG_PRE_VOTE_RESP, raftpb::MSG_HEARTBEAT, raftpb::MSG_HEARTBEAT_RESP,
        raftpb::MSG_TIMEOUT_NOW, raftpb::MSG_READ_INDEX, raftpb::MSG_READ_INDEX_RESP}) {
    EXPECT_TRUE(CheckPeerMessage(Msg(type), kSelf).ok()) << raftpb::MessageType_Name(type);
  }
  raftpb::Message stale = Msg(raftpb::MSG_HEARTBEAT);
  stale.set_term(0);  // the core's to judge
  EXPECT_TRUE(CheckPeerMessage(stale, kSelf).ok());
  EXPECT_TRUE(CheckSnapshotMessage(Snap(), kSelf).ok());
}

TEST(CheckPeerMessage, RefusesWhatNoHonestPeerSends) {
  ExpectRefused(CheckPeerMessage(Msg(raftpb::MSG_HEARTBEAT, 2, 7), kSelf), "addressed to member 7");
  ExpectRefused(CheckPeerMessage(Msg(raftpb::MSG_HEARTBEAT, 0), kSelf), "from no member");
  ExpectRefused(CheckPeerMessage(Msg(raftpb::MSG_HEARTBEAT, kSelf), kSelf), "from this member");
  ExpectRefused(CheckPeerMessage(Msg(raftpb::MSG_UNKNOWN), kSelf), "unknown type 0");
  ExpectRefused(CheckPeerMessage(Msg(static_cast<raftpb::MessageType>(99)), kSelf),
                "unknown type 99");
  ExpectRefused(CheckPeerMessage(Snap(), kSelf), "without its file");

  raftpb::Message with_snapshot = App();
  with_snapshot.mutable_snapshot()->set_data("x");
  ExpectRefused(CheckPeerMessage(with_snapshot, kSelf), "carries a snapshot");
  raftpb::Message heartbeat_with_entries = Msg(raftpb::MSG_HEARTBEAT);
  heartbeat_with_entries.add_entries()->set_index(1);
  ExpectRefused(CheckPeerMessage(heartbeat_with_entries, kSelf), "carries entries");

  // Every term and index stays below 2^63: an honest one never gets there, a forged one would
  // wrap when incremented or read as negative.
  using Setter = void (raftpb::Message::*)(uint64_t);
  for (auto [name, set] : std::vector<std::pair<std::string, Setter>>{
           {"term", &raftpb::Message::set_term},
           {"log_term", &raftpb::Message::set_log_term},
           {"index", &raftpb::Message::set_index},
           {"commit", &raftpb::Message::set_commit},
           {"reject_hint_index", &raftpb::Message::set_reject_hint_index},
           {"reject_hint_term", &raftpb::Message::set_reject_hint_term},
           {"read_round", &raftpb::Message::set_read_round},
           {"lease_time", &raftpb::Message::set_lease_time}}) {
    for (uint64_t v : {kNegative, std::numeric_limits<uint64_t>::max()}) {
      raftpb::Message m = App();
      (m.*set)(v);
      ExpectRefused(CheckPeerMessage(m, kSelf), name + " ");
    }
    raftpb::Message m = App();
    (m.*set)(kNegative - 1);
    EXPECT_TRUE(CheckPeerMessage(m, kSelf).ok()) << name;
  }
  raftpb::Message entry_term = App();
  entry_term.mutable_entries(1)->set_term(kNegative);
  ExpectRefused(CheckPeerMessage(entry_term, kSelf), "entry term");
  raftpb::Message entry_index = App();
  entry_index.mutable_entries(0)->set_index(kNegative);
  ExpectRefused(CheckPeerMessage(entry_index, kSelf), "entry index");
  raftpb::Message entry_type = App();
  entry_type.mutable_entries(0)->set_type(static_cast<raftpb::EntryType>(5));
  ExpectRefused(CheckPeerMessage(entry_type, kSelf), "unknown type 5");
}

TEST(CheckPeerMessage, RefusesAnEntryLargerThanAnyMemberMayPropose) {
  raftpb::Message m = App();
  m.mutable_entries(0)->set_data(std::string(kMaxEntryDataBytes, 'x'));
  EXPECT_TRUE(CheckPeerMessage(m, kSelf).ok());
  m.mutable_entries(0)->mutable_data()->push_back('x');
  ExpectRefused(CheckPeerMessage(m, kSelf), "no member may propose more");
}

TEST(CheckPeerMessage, TakesANotAMemberNoticeOnlyInTheShapeTheRuntimeSends) {
  raftpb::Message notice = Msg(raftpb::MSG_NOT_A_MEMBER);
  notice.set_commit(42);
  EXPECT_TRUE(CheckPeerMessage(notice, kSelf).ok());

  raftpb::Message no_index = Msg(raftpb::MSG_NOT_A_MEMBER);
  ExpectRefused(CheckPeerMessage(no_index, kSelf), "without its commit index");
  using Change = std::function<void(raftpb::Message&)>;
  for (auto [name, change] : std::vector<std::pair<std::string, Change>>{
           {"log_term", [](raftpb::Message& m) { m.set_log_term(1); }},
           {"index", [](raftpb::Message& m) { m.set_index(1); }},
           {"reject", [](raftpb::Message& m) { m.set_reject(true); }},
           {"reject_hint_index", [](raftpb::Message& m) { m.set_reject_hint_index(1); }},
           {"reject_hint_term", [](raftpb::Message& m) { m.set_reject_hint_term(1); }},
           {"context", [](raftpb::Message& m) { m.set_context("x"); }},
           {"read_round", [](raftpb::Message& m) { m.set_read_round(1); }},
           {"lease_time", [](raftpb::Message& m) { m.set_lease_time(1); }},
           {"leader_transfer", [](raftpb::Message& m) { m.set_leader_transfer(true); }},
           {"snapshot", [](raftpb::Message& m) { m.mutable_snapshot()->set_data("x"); }},
       }) {
    raftpb::Message m = notice;
    change(m);
    ExpectRefused(CheckPeerMessage(m, kSelf), "carries more than its commit index");
  }
  raftpb::Message with_entries = notice;
  with_entries.add_entries()->set_index(1);
  ExpectRefused(CheckPeerMessage(with_entries, kSelf), "carries entries");
  raftpb::Message negative = notice;
  negative.set_commit(kNegative);
  ExpectRefused(CheckPeerMessage(negative, kSelf), "commit ");
}

TEST(CheckSnapshotMessage, RefusesMalformedSnapshotMessages) {
  ExpectRefused(CheckSnapshotMessage(App(), kSelf), "must open with MSG_SNAP");
  raftpb::Message to_other = Snap();
  to_other.set_to(5);
  ExpectRefused(CheckSnapshotMessage(to_other, kSelf), "addressed to member 5");
  raftpb::Message empty = Snap();
  empty.mutable_snapshot()->mutable_metadata()->set_index(0);
  ExpectRefused(CheckSnapshotMessage(empty, kSelf), "empty snapshot");
  raftpb::Message no_term = Snap();
  no_term.mutable_snapshot()->mutable_metadata()->set_term(0);
  ExpectRefused(CheckSnapshotMessage(no_term, kSelf), "empty snapshot");
  raftpb::Message negative = Snap();
  negative.mutable_snapshot()->mutable_metadata()->set_index(kNegative);
  ExpectRefused(CheckSnapshotMessage(negative, kSelf), "snapshot index");
  raftpb::Message future = Snap();
  future.mutable_snapshot()->mutable_metadata()->set_term(4);
  ExpectRefused(CheckSnapshotMessage(future, kSelf), "of term 4 sent in term 3");
  raftpb::Message bytes = Snap();
  bytes.mutable_snapshot()->set_data("state");
  ExpectRefused(CheckSnapshotMessage(bytes, kSelf), "outside the file");
  raftpb::Message no_voters = Snap();
  no_voters.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->clear_voters();
  ExpectRefused(CheckSnapshotMessage(no_voters, kSelf), "no voters");
  raftpb::Message member_zero = Snap();
  member_zero.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_learners(0);
  ExpectRefused(CheckSnapshotMessage(member_zero, kSelf), "member 0");
}

}  // namespace
}  // namespace warren::raft
