// Crash recovery of the segmented log: cut its last records at every byte offset, tear the last
// record or the header of a new segment, and reopen. The log must come back as a valid prefix of
// what was synced, never returning a corrupt entry, and must keep working afterwards. Damage that
// is not a torn tail is refused instead (log_corruption_test.cc).
#include <cstdio>
#include <filesystem>

#include "gtest/gtest.h"
#include "raft/log/hard_state_file.h"
#include "raft/log/segmented_log_store.h"
#include "tests/log/log_files.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::BuildSyncedLog;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::ReadBytes;
using testing::SegmentFiles;
using testing::TempDir;
using testing::WriteBytes;

constexpr uint64_t kBatches = 60;
constexpr uint64_t kBatchSize = 5;
constexpr uint64_t kLast = kBatches * kBatchSize;

void BuildLog(const std::string& dir, bool preallocate) {
  BuildSyncedLog(dir, {.segment_bytes = 8192, .preallocate = preallocate}, kBatches, kBatchSize);
}

// Opens the damaged log and checks it is a prefix of the model with at least `min_last`.
void ExpectValidPrefix(const std::string& dir, uint64_t min_last, const std::string& what) {
  auto store = SegmentedLogStore::Open(dir, {.segment_bytes = 8192});
  ASSERT_TRUE(store.ok()) << what << ": " << store.status();
  LogStore& log = **store;
  ASSERT_EQ(log.FirstIndex(), 1u) << what;
  ASSERT_GE(log.LastIndex(), min_last) << what;
  ASSERT_LE(log.LastIndex(), kLast) << what;
  EXPECT_LE(log.hard_state().commit(), kLast) << what;
  auto entries = log.Read(1, log.LastIndex() + 1);
  ASSERT_TRUE(entries.ok()) << what << ": " << entries.status();
  for (const auto& e : *entries) {
    ASSERT_EQ(e.SerializeAsString(), MakeEntry(e.index(), 1, 100).SerializeAsString())
        << what << ": entry " << e.index();
  }
  // The repaired log accepts the next entry and keeps it.
  uint64_t next = log.LastIndex() + 1;
  ASSERT_TRUE(log.Append(MakeEntries(next, next + 1, 2, 100)).ok()) << what;
  ASSERT_TRUE(log.Sync().ok()) << what;
  store->reset();
  auto again = SegmentedLogStore::Open(dir, {.segment_bytes = 8192});
  ASSERT_TRUE(again.ok()) << what;
  ASSERT_EQ((*again)->LastIndex(), next) << what;
  EXPECT_FALSE((*again)->recovery().truncated_at.has_value()) << what;
}

class CutTest : public ::testing::TestWithParam<bool> {};

TEST_P(CutTest, EveryByteOffsetOfTheLastRecords) {
  const bool preallocate = GetParam();
  TempDir pristine("pristine"), work("work");
  BuildLog(pristine.path(), preallocate);
  fs::path seg = SegmentFiles(pristine.path()).back();
  std::string full = ReadBytes(seg);
  // Where the records end (preallocated segments continue with zeros).
  size_t end = full.find_last_not_of('\0') + 1;
  const size_t window = 3 * kBatchSize * 130;  // about the last three batches
  ASSERT_GT(end, window);
  for (size_t cut = end - window; cut <= end; ++cut) {
    fs::remove_all(work.path());
    fs::copy(pristine.path(), work.path());
    std::string damaged = full.substr(0, cut);
    if (preallocate) damaged.resize(full.size(), '\0');  // a torn write into zeroed space
    WriteBytes(fs::path(work.path()) / seg.filename(), damaged);
    ExpectValidPrefix(work.path(), kLast - 4 * kBatchSize, "cut at " + std::to_string(cut));
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Preallocation, CutTest, ::testing::Bool());

TEST(TornTailTest, TornLastRecordIsCutAndTheEntriesBeforeItKept) {
  TempDir dir("torn");
  const SegmentedLogOptions options = {.segment_bytes = 1 << 20, .preallocate = true};
  BuildSyncedLog(dir.path(), options, kBatches, kBatchSize);
  fs::path seg = SegmentFiles(dir.path()).back();
  std::string bytes = ReadBytes(seg);
  // The last batch's write reached the disk up to 50 bytes into the last entry's data.
  size_t payload = bytes.find(MakeEntry(kLast, 1, 100).SerializeAsString());
  ASSERT_NE(payload, std::string::npos);
  const size_t record = payload - 9, torn = payload + 50;
  std::fill(bytes.begin() + torn, bytes.end(), '\0');
  WriteBytes(seg, bytes);

  auto store = SegmentedLogStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastIndex(), kLast - 1);
  EXPECT_EQ((*store)->hard_state().commit(), kLast - kBatchSize);
  auto entries = (*store)->Read(1, kLast);
  ASSERT_TRUE(entries.ok()) << entries.status();
  for (const auto& e : *entries) {
    ASSERT_EQ(e.SerializeAsString(), MakeEntry(e.index(), 1, 100).SerializeAsString());
  }
  const LogRecoveryReport& report = (*store)->recovery();
  EXPECT_EQ(report.truncated_at,
            seg.string() + " at byte " + std::to_string(record) + " (checksum mismatch)");
  EXPECT_EQ(report.bytes_dropped, torn - record);  // what the torn record held, not the zeros
  EXPECT_EQ(report.segments, 1);
}

TEST(TornTailTest, LastRecordMissingASectorInTheMiddleIsCut) {
  // A torn write need not be a prefix: a later sector of the record reached the disk, an
  // earlier one did not.
  TempDir dir("torn");
  const SegmentedLogOptions options = {.segment_bytes = 1 << 20, .preallocate = true};
  BuildSyncedLog(dir.path(), options, kBatches, kBatchSize);
  const raftpb::Entry big = MakeEntry(kLast + 1, 1, 3000);
  {
    auto store = SegmentedLogStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append({&big, 1}).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  fs::path seg = SegmentFiles(dir.path()).back();
  std::string bytes = ReadBytes(seg);
  size_t payload = bytes.find(big.SerializeAsString());
  ASSERT_NE(payload, std::string::npos);
  const size_t sector = (payload / 512 + 2) * 512;
  std::fill(bytes.begin() + sector, bytes.begin() + sector + 512, '\0');
  WriteBytes(seg, bytes);

  auto store = SegmentedLogStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastIndex(), kLast);
  EXPECT_EQ((*store)->recovery().truncated_at,
            seg.string() + " at byte " + std::to_string(payload - 9) + " (checksum mismatch)");
}

TEST(TornTailTest, NewLastSegmentWhoseHeaderNeverReachedTheDiskIsDropped) {
  TempDir dir("torn");
  const SegmentedLogOptions options = {.segment_bytes = 8192, .preallocate = true};
  BuildSyncedLog(dir.path(), options, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  // The next segment was created and preallocated; five bytes of its header made it.
  std::string next = "WRNLO" + std::string(8192 - 5, '\0');
  const std::string last = segments.back().filename().string();  // seg-<20 digits>.log
  char name[32];
  std::snprintf(name, sizeof(name), "seg-%020llu.log", std::stoull(last.substr(4, 20)) + 1);
  fs::path created = fs::path(dir.path()) / name;
  WriteBytes(created, next);

  auto store = SegmentedLogStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastIndex(), kLast);
  EXPECT_EQ((*store)->recovery().truncated_at,
            created.string() + " at byte 0 (bad segment header)");
  EXPECT_EQ((*store)->recovery().bytes_dropped, 5u);
  // It was replaced by a fresh segment of the same name, which the log goes on with.
  EXPECT_EQ(ReadBytes(created).substr(0, 8), "WRNLOG01");
  EXPECT_EQ((*store)->segment_count(), static_cast<int>(segments.size()) + 1);
}

TEST(HardStateFileTest, TornNewestSlotFallsBackToThePreviousValue) {
  TempDir dir("hardstate");
  std::string path = dir.path() + "/hardstate";
  {
    auto f = HardStateFile::Open(path);
    ASSERT_TRUE(f.ok());
    for (uint64_t t = 1; t <= 3; ++t) ASSERT_TRUE(f->Store({t, t}).ok());
  }
  std::string bytes = ReadBytes(path);
  bytes[32 + 9] ^= 0x40;  // seq 3 lives in slot 1
  WriteBytes(path, bytes);
  auto f = HardStateFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->value(), (TermVote{2, 2}));
}

TEST(HardStateFileTest, BothSlotsCorruptRefusesToStart) {
  TempDir dir("hardstate");
  std::string path = dir.path() + "/hardstate";
  {
    auto f = HardStateFile::Open(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->Store({5, 1}).ok());
    ASSERT_TRUE(f->Store({6, 2}).ok());
  }
  std::string bytes = ReadBytes(path);
  bytes[3] ^= 1;
  bytes[32 + 3] ^= 1;
  WriteBytes(path, bytes);
  auto f = HardStateFile::Open(path);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(f.status().message().find("refusing to start"), std::string::npos);
  auto log = SegmentedLogStore::Open(dir.path());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);

  WriteBytes(path, "short");
  EXPECT_EQ(HardStateFile::Open(path).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace warren::raft
