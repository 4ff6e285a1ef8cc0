// Bad input is refused with a clear error and changes nothing; the same inputs give the
// same outputs.
#include "glog/logging.h"
#include "gtest/gtest.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::TestCluster;

raftpb::Message App(uint64_t from, uint64_t to, uint64_t term) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  m.set_index(1);
  m.set_log_term(1);
  return m;
}

// Member 2 of a new group of three, as it starts: a follower with only the founding entry.
std::unique_ptr<Raft> FoundingMember2() {
  Config cfg;
  cfg.id = 2;
  auto r = Raft::Create(cfg, BootstrapState({1, 2, 3}));
  CHECK(r.ok()) << r.status();
  return std::move(*r);
}

TEST(InputTest, MalformedMessagesAreRefusedAndChangeNothing) {
  struct Case {
    std::string name;
    std::function<void(raftpb::Message&)> spoil;
    std::string want_in_message;
  };
  const Case cases[] = {
      {"no sender", [](raftpb::Message& m) { m.set_from(0); }, "no sender"},
      {"from self", [](raftpb::Message& m) { m.set_from(2); }, "ourselves"},
      {"wrong addressee", [](raftpb::Message& m) { m.set_to(7); }, "addressed to 7"},
      {"term 0", [](raftpb::Message& m) { m.set_term(0); }, "term 0"},
      {"unknown type", [](raftpb::Message& m) { m.set_type(static_cast<raftpb::MessageType>(99)); },
       "unknown message type"},
      {"gap in entries",
       [](raftpb::Message& m) {
         auto* e = m.add_entries();
         e->set_index(5);
         e->set_term(3);
       },
       "not contiguous"},
      {"entry term above message term",
       [](raftpb::Message& m) {
         auto* e = m.add_entries();
         e->set_index(2);
         e->set_term(9);
       },
       "out-of-order term"},
      {"empty snapshot", [](raftpb::Message& m) { m.set_type(raftpb::MSG_SNAP); },
       "empty snapshot"},
  };
  for (const auto& c : cases) {
    TestCluster cl(3);
    std::string before = cl.node(2).DebugString();
    raftpb::Message m = App(1, 2, 3);
    c.spoil(m);
    absl::Status s = cl.node(2).Step(m);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.want_in_message), std::string::npos) << c.name << ": " << s;
    EXPECT_EQ(cl.node(2).DebugString(), before) << c.name;
    EXPECT_EQ(cl.node(2).term(), 1u) << c.name;
  }
}

TEST(InputTest, ForgedMessagesCannotCorruptTheCore) {
  TestCluster c(3);
  c.Elect(1);
  c.Propose(1, "x");
  const uint64_t last = c.node(1).log().LastIndex();
  const uint64_t commit = c.node(1).log().committed();

  // An acknowledgement of entries the leader never had.
  raftpb::Message ack = testing::Ack(2, c.node(1), raftpb::MSG_APP_RESP, last + 100);
  absl::Status s = c.node(1).Step(ack);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(c.node(1).tracker().progress().at(2).match, last);
  EXPECT_EQ(c.node(1).log().committed(), commit);

  // A snapshot without members, and one from a term after the sender's.
  raftpb::Message snap = testing::Ack(1, c.node(2), raftpb::MSG_SNAP);
  snap.mutable_snapshot()->mutable_metadata()->set_index(last + 10);
  snap.mutable_snapshot()->mutable_metadata()->set_term(c.node(2).term());
  EXPECT_EQ(c.node(2).Step(snap).code(), absl::StatusCode::kInvalidArgument);
  snap.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(1);
  snap.mutable_snapshot()->mutable_metadata()->set_term(c.node(2).term() + 1);
  EXPECT_EQ(c.node(2).Step(snap).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.node(2).log().LastIndex(), last);

  // An echo of a read round the leader never started confirms no later read.
  c.Cut(1, 2);
  c.Cut(1, 3);
  raftpb::Message echo = testing::Ack(2, c.node(1), raftpb::MSG_HEARTBEAT_RESP);
  echo.set_read_round(1000);
  ASSERT_TRUE(c.node(1).Step(echo).ok());
  ASSERT_TRUE(c.node(1).ReadIndex("later").ok());
  c.Stabilize();
  EXPECT_TRUE(c.read_states(1).empty());
}

TEST(InputTest, StaleMessagesAreDroppedQuietly) {
  TestCluster c(3);
  c.Elect(1);
  uint64_t term = c.node(2).term();
  raftpb::Message m = App(3, 2, term - 1);
  EXPECT_TRUE(c.node(2).Step(m).ok());
  EXPECT_EQ(c.node(2).term(), term);
  EXPECT_EQ(c.node(2).leader(), 1u);
}

TEST(InputTest, InvalidConfigIsRefused) {
  struct Case {
    std::function<void(Config&)> spoil;
    std::string want;
  };
  const Case cases[] = {
      {[](Config& c) { c.id = 0; }, "id must not be 0"},
      {[](Config& c) { c.heartbeat_tick = 0; }, "heartbeat_tick"},
      {[](Config& c) { c.election_tick = 1; }, "election_tick"},
      {[](Config& c) { c.max_inflight_msgs = 0; }, "max_inflight_msgs"},
      {[](Config& c) {
         c.read_only = ReadOnlyOption::kLeaseBased;
         c.check_quorum = false;
       },
       "require check_quorum"},
  };
  for (const auto& c : cases) {
    Config cfg;
    cfg.id = 1;
    c.spoil(cfg);
    auto r = Raft::Create(cfg, BootstrapState({1}));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status();
  }
}

TEST(InputTest, CorruptRestoredStateIsRefused) {
  Config cfg;
  cfg.id = 1;
  RestoredState gap = BootstrapState({1});
  raftpb::Entry e;
  e.set_index(3);
  e.set_term(1);
  gap.entries.push_back(e);
  EXPECT_EQ(Raft::Create(cfg, gap).status().code(), absl::StatusCode::kDataLoss);

  RestoredState terms_go_back = BootstrapState({1});
  terms_go_back.entries[0].set_term(3);
  e.set_index(2);
  e.set_term(2);
  terms_go_back.entries.push_back(e);
  terms_go_back.hard_state.set_term(3);
  auto r = Raft::Create(cfg, terms_go_back);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("below the term"), std::string::npos) << r.status();
}

TEST(InputTest, ACrashInsideOnePersistIsRepaired) {
  // Entries of term 4 reached the disk, the hard state written with them did not: the peer
  // restarts in term 4 with no vote instead of refusing to start forever.
  Config cfg;
  cfg.id = 1;
  RestoredState entries_first = BootstrapState({1, 2, 3});
  raftpb::Entry e;
  e.set_index(2);
  e.set_term(4);
  entries_first.entries.push_back(e);
  entries_first.hard_state.set_term(3);
  entries_first.hard_state.set_vote(2);
  auto r = Raft::Create(cfg, entries_first);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->term(), 4u);
  EXPECT_EQ((*r)->vote(), kNoNode);

  // The commit index reached the disk, the entries it covers did not.
  RestoredState hard_state_first = BootstrapState({1, 2, 3});
  hard_state_first.hard_state.set_commit(5);
  r = Raft::Create(cfg, hard_state_first);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->log().committed(), 1u);
}

TEST(InputTest, AHardStateNeverCommitsEntriesItsReadyReplaces) {
  // The hard state may reach the disk before the entries of its Ready. A follower whose
  // uncommitted suffix a new leader replaces must not store a commit index over the new
  // entries until they are durable, or a crash between the two leaves the old entries on
  // disk under that commit index, and a restart applies them (warren-sim, seed 481).
  std::unique_ptr<Raft> r = FoundingMember2();
  Raft& n = *r;
  auto append = [](uint64_t from, uint64_t term, uint64_t prev, uint64_t prev_term,
                   std::vector<std::string> data, uint64_t commit) {
    raftpb::Message m = App(from, 2, term);
    m.set_index(prev);
    m.set_log_term(prev_term);
    m.set_commit(commit);
    for (size_t i = 0; i < data.size(); ++i) {
      raftpb::Entry* e = m.add_entries();
      e->set_index(prev + 1 + i);
      e->set_term(term);
      e->set_data(data[i]);
    }
    return m;
  };
  // Leader 1 of term 2 sends two entries it never gets committed.
  ASSERT_TRUE(n.Step(append(1, 2, 1, 1, {"a", "b"}, 1)).ok());
  Ready rd = n.GetReady();
  n.Advance(rd);
  ASSERT_EQ(n.log().persisted(), 3u);
  // Leader 3 of term 3 replaces them and says its entry 2 is committed.
  ASSERT_TRUE(n.Step(append(3, 3, 1, 1, {"c"}, 2)).ok());
  rd = n.GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0]->data(), "c");
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 3u);
  EXPECT_LE(rd.hard_state->commit(), 1u) << "commit stored before entry 2 is durable";
  n.Advance(rd);
  // Once it is, the next Ready stores the commit index.
  ASSERT_TRUE(n.HasReady());
  rd = n.GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit(), 2u);
}

TEST(InputTest, AFollowerTakesTheEntriesOfAMovedMessageAndSharesThem) {
  std::unique_ptr<Raft> r = FoundingMember2();
  Raft& n = *r;
  raftpb::Message m = App(1, 2, 2);
  m.set_commit(2);
  raftpb::Entry* e = m.add_entries();
  e->set_index(2);
  e->set_term(2);
  e->set_data(std::string(200, 'd'));
  ASSERT_TRUE(n.Step(std::move(m)).ok());
  EXPECT_EQ(n.log().At(2).data(), std::string(200, 'd'));
  EXPECT_TRUE(m.entries(0).data().empty()) << "the log took the entry's bytes";  // NOLINT
  // The entry to persist and the entry to apply are the log's own, not copies.
  Ready rd = n.GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].get(), &n.log().At(2));
  const raftpb::Entry* to_apply = nullptr;  // handed out in this Ready or the next
  for (int round = 0; round < 2 && to_apply == nullptr; ++round) {
    for (const EntryPtr& c : rd.committed_entries) {
      if (c->index() == 2) to_apply = c.get();
    }
    n.Advance(rd);
    if (to_apply == nullptr && n.HasReady()) rd = n.GetReady();
  }
  EXPECT_EQ(to_apply, &n.log().At(2));
}

TEST(InputTest, AMovedMessageThatIsRefusedIsLeftAsItWas) {
  std::unique_ptr<Raft> r = FoundingMember2();
  raftpb::Message m = App(1, 2, 2);
  raftpb::Entry* e = m.add_entries();
  e->set_index(3);  // not contiguous with index 1
  e->set_term(2);
  e->set_data("kept");
  EXPECT_EQ(r->Step(std::move(m)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(m.entries_size(), 1);  // NOLINT(bugprone-use-after-move): documented to stay
  EXPECT_EQ(m.entries(0).data(), "kept");
  EXPECT_EQ(r->log().LastIndex(), 1u);
}

TEST(InputTest, RestartRecoversMembershipFromTheLog) {
  // Entries committed before the crash, including conf changes, are taken into account.
  TestCluster c(3);
  c.Elect(1);
  c.AddNode(4, RestoredState{});
  ASSERT_TRUE(c.node(1).ProposeConfChange(testing::Change({{raftpb::ADD_LEARNER, 4}})).ok());
  c.Stabilize();
  RestoredState s;
  for (uint64_t i = 1; i <= c.node(2).log().LastIndex(); ++i)
    s.entries.push_back(c.node(2).log().At(i));
  s.hard_state.set_term(c.node(2).term());
  s.hard_state.set_commit(c.node(2).log().committed());
  Config cfg;
  cfg.id = 2;
  auto r = Raft::Create(cfg, s);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->tracker().IsMember(4));
  EXPECT_FALSE((*r)->tracker().IsVoter(4));
}

std::string RunTrace(uint64_t seed) {
  TestCluster c(3, [seed](Config& cfg) { cfg.random_seed = seed * 100 + cfg.id; });
  for (int i = 0; i < 60; ++i) {
    c.TickAll();
    c.Stabilize();
    if (uint64_t l = c.Leader()) (void)c.node(l).Propose("p" + std::to_string(i));
  }
  std::string out;
  for (const auto& m : c.sent()) out += m.SerializeAsString();
  return out;
}

TEST(InputTest, SameSeedSameRunByteForByte) {
  EXPECT_EQ(RunTrace(7), RunTrace(7));
  EXPECT_NE(RunTrace(7), RunTrace(8));
}

}  // namespace
}  // namespace warren::raft
