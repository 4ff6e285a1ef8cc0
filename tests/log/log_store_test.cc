// The LogStore contract, checked against every implementation; durable ones also across
// reopening.
#include <functional>
#include <memory>

#include "gtest/gtest.h"
#include "raft/log/memory_log_store.h"
#include "raft/log/rocksdb_log_store.h"
#include "raft/log/segmented_log_store.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

using testing::MakeEntries;
using testing::MakeEntry;
using testing::TempDir;

struct StoreKind {
  std::string name;
  bool durable;
  std::function<std::unique_ptr<LogStore>(const std::string& dir)> open;
};

std::vector<StoreKind> Kinds() {
  return {
      {"memory", false, [](const std::string&) { return std::make_unique<MemoryLogStore>(); }},
      {"segmented", true,
       [](const std::string& dir) -> std::unique_ptr<LogStore> {
         // Small segments so that rollover and segment deletion are exercised.
         auto s = SegmentedLogStore::Open(dir, {.segment_bytes = 4096, .preallocate = true});
         EXPECT_TRUE(s.ok()) << s.status();
         return std::move(*s);
       }},
      {"rocksdb", true,
       [](const std::string& dir) -> std::unique_ptr<LogStore> {
         auto s = RocksDbLogStore::Open(dir);
         EXPECT_TRUE(s.ok()) << s.status();
         return std::move(*s);
       }},
  };
}

class LogStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  LogStoreTest() : dir_(GetParam().name) { store_ = GetParam().open(dir_.path()); }

  // Reopens durable stores (after Sync); memory stores stay as they are.
  void Reopen() {
    ASSERT_TRUE(store_->Sync().ok());
    if (!GetParam().durable) return;
    store_.reset();
    store_ = GetParam().open(dir_.path());
  }

  void ExpectEntries(uint64_t lo, uint64_t hi, uint64_t term) {
    auto got = store_->Read(lo, hi);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), hi - lo);
    for (uint64_t i = lo; i < hi; ++i) {
      EXPECT_EQ((*got)[i - lo].SerializeAsString(), MakeEntry(i, term).SerializeAsString())
          << "index " << i;
    }
  }

  TempDir dir_;
  std::unique_ptr<LogStore> store_;
};

TEST_P(LogStoreTest, StartsEmpty) {
  EXPECT_EQ(store_->FirstIndex(), 1u);
  EXPECT_EQ(store_->LastIndex(), 0u);
  EXPECT_EQ(store_->hard_state().term(), 0u);
  EXPECT_TRUE(store_->Read(1, 1).ok());
  EXPECT_EQ(store_->Term(1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogStoreTest, AppendReadAndTermSurviveReopen) {
  auto entries = MakeEntries(1, 200, 3);
  ASSERT_TRUE(store_->Append(entries).ok());
  Reopen();
  EXPECT_EQ(store_->LastIndex(), 199u);
  ExpectEntries(1, 200, 3);
  EXPECT_EQ(*store_->Term(150), 3u);
}

TEST_P(LogStoreTest, AppendInsideTheLogReplacesTheSuffix) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 100, 1)).ok());
  ASSERT_TRUE(store_->Append(MakeEntries(40, 50, 2)).ok());
  EXPECT_EQ(store_->LastIndex(), 49u);
  Reopen();
  EXPECT_EQ(store_->LastIndex(), 49u);
  ExpectEntries(1, 40, 1);
  ExpectEntries(40, 50, 2);
}

TEST_P(LogStoreTest, BadAppendsAreRefusedAndChangeNothing) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 10, 1)).ok());
  EXPECT_EQ(store_->Append(MakeEntries(12, 13, 1)).code(), absl::StatusCode::kOutOfRange);
  std::vector<raftpb::Entry> gap = {MakeEntry(10, 1), MakeEntry(12, 1)};
  EXPECT_EQ(store_->Append(gap).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Read(5, 11).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Read(6, 5).status().code(), absl::StatusCode::kOutOfRange);
  Reopen();
  EXPECT_EQ(store_->LastIndex(), 9u);
  ExpectEntries(1, 10, 1);
}

TEST_P(LogStoreTest, EntriesOverTheSizeLimitAreRefusedAndNothingIsWritten) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 10, 1)).ok());
  std::vector<raftpb::Entry> batch = {MakeEntry(10, 1),
                                      testing::MakeEntryOfSize(11, 1, kMaxEntryBytes + 1)};
  ASSERT_EQ(batch[1].ByteSizeLong(), kMaxEntryBytes + 1);
  absl::Status s = store_->Append(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("entry 11 is " + std::to_string(kMaxEntryBytes + 1) + " bytes"),
            std::string::npos)
      << s;
  EXPECT_EQ(store_->LastIndex(), 9u);
  Reopen();
  EXPECT_EQ(store_->LastIndex(), 9u);
  ExpectEntries(1, 10, 1);
}

TEST_P(LogStoreTest, TruncateSuffix) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 50, 1)).ok());
  ASSERT_TRUE(store_->TruncateSuffix(21).ok());
  EXPECT_EQ(store_->LastIndex(), 20u);
  Reopen();
  EXPECT_EQ(store_->LastIndex(), 20u);
  ASSERT_TRUE(store_->Append(MakeEntries(21, 30, 1)).ok());
  ExpectEntries(1, 30, 1);
}

TEST_P(LogStoreTest, PurgePrefixKeepsTheRest) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 300, 1)).ok());
  ASSERT_TRUE(store_->PurgePrefix(120).ok());
  EXPECT_EQ(store_->FirstIndex(), 121u);
  EXPECT_EQ(store_->Read(100, 130).status().code(), absl::StatusCode::kOutOfRange);
  Reopen();
  // A reopened store may keep a few purged entries in a shared segment, never lose live ones.
  EXPECT_LE(store_->FirstIndex(), 121u);
  EXPECT_EQ(store_->LastIndex(), 299u);
  ExpectEntries(121, 300, 1);
}

TEST_P(LogStoreTest, PurgePastTheEndLeavesAnEmptyLogThatContinuesAfterIt) {
  ASSERT_TRUE(store_->Append(MakeEntries(1, 10, 1)).ok());
  ASSERT_TRUE(store_->PurgePrefix(500).ok());
  EXPECT_EQ(store_->FirstIndex(), 501u);
  EXPECT_EQ(store_->LastIndex(), 500u);
  EXPECT_FALSE(store_->Append(MakeEntries(10, 11, 2)).ok());
  ASSERT_TRUE(store_->Append(MakeEntries(501, 510, 2)).ok());
  Reopen();
  EXPECT_EQ(store_->FirstIndex(), 501u);
  EXPECT_EQ(store_->LastIndex(), 509u);
  ExpectEntries(501, 510, 2);
}

TEST_P(LogStoreTest, HardStateSurvivesReopen) {
  raftpb::HardState hs;
  hs.set_term(7);
  hs.set_vote(2);
  hs.set_commit(0);
  ASSERT_TRUE(store_->SetHardState(hs).ok());
  ASSERT_TRUE(store_->Append(MakeEntries(1, 10, 7)).ok());
  hs.set_commit(9);
  ASSERT_TRUE(store_->SetHardState(hs).ok());
  Reopen();
  EXPECT_EQ(store_->hard_state().term(), 7u);
  EXPECT_EQ(store_->hard_state().vote(), 2u);
  EXPECT_EQ(store_->hard_state().commit(), 9u);
}

INSTANTIATE_TEST_SUITE_P(AllStores, LogStoreTest, ::testing::ValuesIn(Kinds()),
                         [](const auto& info) { return info.param.name; });

TEST(SegmentedLogStoreTest, RollsOverAndDeletesPurgedSegments) {
  TempDir dir("segments");
  auto store = SegmentedLogStore::Open(dir.path(), {.segment_bytes = 4096, .preallocate = false});
  ASSERT_TRUE(store.ok());
  for (uint64_t i = 1; i < 1000; i += 10) {
    ASSERT_TRUE((*store)->Append(MakeEntries(i, i + 10, 1, 100)).ok());
  }
  int before = (*store)->segment_count();
  EXPECT_GT(before, 20);
  ASSERT_TRUE((*store)->PurgePrefix(900).ok());
  EXPECT_LT((*store)->segment_count(), before / 5);
  ASSERT_TRUE((*store)->Sync().ok());
  store->reset();
  auto reopened = SegmentedLogStore::Open(dir.path(), {.segment_bytes = 4096});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->LastIndex(), 1000u);
  EXPECT_LE((*reopened)->FirstIndex(), 901u);
  EXPECT_FALSE((*reopened)->recovery().truncated_at.has_value());
}

TEST(SegmentedLogStoreTest, EntryOfExactlyTheLimitIsKeptAndOneByteMoreIsRefused) {
  // A record holds the serialized entry and a type byte: the largest entry Append takes must
  // come back from recovery, byte for byte.
  TempDir dir("limit");
  const SegmentedLogOptions options = {.segment_bytes = 4096, .max_entry_bytes = 1000};
  raftpb::Entry largest = testing::MakeEntryOfSize(1, 1, 1000);
  raftpb::Entry over = testing::MakeEntryOfSize(2, 1, 1001);
  ASSERT_EQ(largest.ByteSizeLong(), 1000u);
  ASSERT_EQ(over.ByteSizeLong(), 1001u);
  {
    auto store = SegmentedLogStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append({&largest, 1}).ok());
    absl::Status s = (*store)->Append({&over, 1});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("entry 2 is 1001 bytes, over the log's limit of 1000"),
              std::string::npos)
        << s;
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = SegmentedLogStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE((*store)->recovery().truncated_at.has_value());
  ASSERT_EQ((*store)->LastIndex(), 1u);
  auto entries = (*store)->Read(1, 2);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->front().SerializeAsString(), largest.SerializeAsString());
}

TEST(SegmentedLogStoreTest, LimitAboveTheLogStoreMaximumIsRefused) {
  TempDir dir("limit");
  auto store = SegmentedLogStore::Open(dir.path(), {.max_entry_bytes = kMaxEntryBytes + 1});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warren::raft
