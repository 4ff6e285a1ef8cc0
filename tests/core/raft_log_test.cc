#include "raft/core/raft_log.h"

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term, std::string data = "") {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

google::protobuf::RepeatedPtrField<raftpb::Entry> Es(std::vector<raftpb::Entry> v) {
  google::protobuf::RepeatedPtrField<raftpb::Entry> out;
  for (auto& e : v) *out.Add() = e;
  return out;
}

RaftLog LogWithTerms(std::vector<uint64_t> terms) {
  std::vector<raftpb::Entry> es;
  for (size_t i = 0; i < terms.size(); ++i) es.push_back(E(i + 1, terms[i]));
  return RaftLog(raftpb::SnapshotMetadata(), es, 0, 0);
}

TEST(RaftLogTest, IsUpToDate) {
  RaftLog log = LogWithTerms({1, 2, 3});
  EXPECT_TRUE(log.IsUpToDate(3, 3));
  EXPECT_TRUE(log.IsUpToDate(1, 4));   // higher last term wins whatever the length
  EXPECT_FALSE(log.IsUpToDate(9, 2));  // lower last term loses whatever the length
  EXPECT_FALSE(log.IsUpToDate(2, 3));
}

TEST(RaftLogTest, MaybeAppend) {
  struct Case {
    uint64_t prev_index, prev_term, commit;
    std::vector<raftpb::Entry> entries;
    std::optional<uint64_t> want_last;
    uint64_t want_commit;
    std::vector<uint64_t> want_terms;
  };
  const Case cases[] = {
      // Mismatched previous entry: refused, nothing changes.
      {3, 2, 3, {E(4, 4)}, std::nullopt, 0, {1, 2, 3}},
      {4, 3, 3, {E(5, 4)}, std::nullopt, 0, {1, 2, 3}},
      // Plain append; commit limited to the last new entry.
      {3, 3, 9, {E(4, 4)}, 4, 4, {1, 2, 3, 4}},
      // Already present: nothing is truncated.
      {1, 1, 0, {E(2, 2)}, 2, 0, {1, 2, 3}},
      // Conflict at 2: truncate the suffix and replace it.
      {1, 1, 1, {E(2, 4), E(3, 4)}, 3, 1, {1, 4, 4}},
  };
  for (const auto& c : cases) {
    RaftLog log = LogWithTerms({1, 2, 3});
    auto last = log.MaybeAppend(c.prev_index, c.prev_term, c.commit, Es(c.entries));
    EXPECT_EQ(last, c.want_last);
    EXPECT_EQ(log.committed(), c.want_commit);
    std::vector<uint64_t> terms;
    for (uint64_t i = log.FirstIndex(); i <= log.LastIndex(); ++i) terms.push_back(*log.Term(i));
    EXPECT_EQ(terms, c.want_terms);
  }
}

TEST(RaftLogTest, EntriesThatContradictCommittedOnesAreRefused) {
  // The core never sends them here (a leader's append below the commit index is answered
  // before it reaches the log), but the log does not take them on anyone's word.
  RaftLog log(raftpb::SnapshotMetadata(), {E(1, 1, "a"), E(2, 1, "b"), E(3, 2, "c")}, 2, 0);
  EXPECT_FALSE(log.MaybeAppend(1, 1, 3, Es({E(2, 3, "rewritten"), E(3, 3, "x")})).has_value());
  EXPECT_EQ(log.At(2).data(), "b");
  EXPECT_EQ(log.LastIndex(), 3u);
  // Above the commit index a conflicting suffix is replaced as usual.
  EXPECT_EQ(log.MaybeAppend(2, 1, 2, Es({E(3, 3, "x")})), 3u);
  EXPECT_EQ(log.At(3).data(), "x");
}

TEST(RaftLogTest, KnowsWhereTheMembershipChanges) {
  raftpb::Entry conf = E(2, 1);
  conf.set_type(raftpb::ENTRY_CONF_CHANGE);
  raftpb::Entry later = E(4, 1);
  later.set_type(raftpb::ENTRY_CONF_CHANGE);
  RaftLog log(raftpb::SnapshotMetadata(), {E(1, 1), conf, E(3, 1), later}, 0, 0);
  EXPECT_EQ(log.LastConfChange(), 4u);
  EXPECT_EQ(log.PenultimateConfChange(), 2u);
  EXPECT_EQ(log.MaybeAppend(2, 1, 0, Es({E(3, 1), E(4, 2)})), 4u);  // 4 replaced by a normal one
  EXPECT_EQ(log.LastConfChange(), 2u);
  EXPECT_EQ(log.PenultimateConfChange(), 0u);
}

TEST(RaftLogTest, TruncationForgetsPersistence) {
  RaftLog log = LogWithTerms({1, 2, 3});
  EXPECT_EQ(log.persisted(), 3u);
  ASSERT_TRUE(log.MaybeAppend(1, 1, 0, Es({E(2, 5)})).has_value());
  EXPECT_EQ(log.persisted(), 1u);
  ASSERT_EQ(log.UnpersistedEntries().size(), 1u);
  log.PersistedTo(2, 4);  // stale: the entry at 2 has term 5 now
  EXPECT_EQ(log.persisted(), 1u);
  log.PersistedTo(2, 5);
  EXPECT_EQ(log.persisted(), 2u);
}

TEST(RaftLogTest, SliceRespectsBytesButSendsAtLeastOne) {
  std::vector<raftpb::Entry> es;
  for (uint64_t i = 1; i <= 5; ++i) es.push_back(E(i, 1, std::string(100, 'x')));
  RaftLog log(raftpb::SnapshotMetadata(), es, 0, 0);
  EXPECT_EQ(log.Slice(1, 6, 1).size(), 1u);
  EXPECT_EQ(log.Slice(1, 6, 2 * EntrySize(es[0])).size(), 2u);
  EXPECT_EQ(log.Slice(1, 6, 1 << 20).size(), 5u);
  EXPECT_EQ(log.Slice(4, 6, 1 << 20).size(), 2u);
}

TEST(RaftLogTest, SliceEndBoundsTheSliceAndTheSliceSharesTheLogsEntries) {
  std::vector<raftpb::Entry> es;
  for (uint64_t i = 1; i <= 5; ++i) es.push_back(E(i, 1, std::string(100, 'x')));
  RaftLog log(raftpb::SnapshotMetadata(), es, 0, 0);
  EXPECT_EQ(log.SliceEnd(1, 6, 1), 2u);  // at least one
  EXPECT_EQ(log.SliceEnd(1, 6, 2 * EntrySize(es[0])), 3u);
  EXPECT_EQ(log.SliceEnd(1, 99, 1 << 20), 6u);  // clamped to the end of the log
  EXPECT_EQ(log.SliceEnd(6, 9, 1 << 20), 6u);   // nothing past the end
  auto slice = log.Slice(2, 4, 1 << 20);
  ASSERT_EQ(slice.size(), 2u);
  EXPECT_EQ(slice[0].get(), &log.At(2));
  EXPECT_EQ(slice[1].get(), &log.At(3));
}

TEST(RaftLogTest, CompactAndRestore) {
  std::vector<raftpb::Entry> es = {E(1, 1), E(2, 1), E(3, 2), E(4, 2)};
  RaftLog log(raftpb::SnapshotMetadata(), es, 4, 3);
  raftpb::SnapshotMetadata meta;
  meta.set_index(3);
  meta.set_term(2);
  log.Compact(meta);
  EXPECT_EQ(log.FirstIndex(), 4u);
  EXPECT_EQ(log.Term(3), 2u);  // the snapshot remembers its own term
  EXPECT_EQ(log.Term(2), std::nullopt);
  EXPECT_EQ(log.LastIndex(), 4u);

  meta.set_index(10);
  meta.set_term(5);
  log.Restore(meta);
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_EQ(log.LastIndex(), 10u);
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_EQ(log.applied(), 10u);
}

}  // namespace
}  // namespace warren::raft
