// A log damaged anywhere but in a torn tail (a write a crash interrupted at the end of the last
// segment) refuses to start with DataLoss naming the segment and the byte, and leaves every file
// as it was: cutting the log there could drop entries this member acknowledged.
#include <filesystem>
#include <random>

#include "gtest/gtest.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"
#include "raft/log/rocksdb_log_store.h"
#include "raft/log/segmented_log_store.h"
#include "tests/log/log_files.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::BuildSyncedLog;
using testing::DirContents;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::ReadBytes;
using testing::SegmentFiles;
using testing::TempDir;
using testing::WriteBytes;

constexpr uint64_t kBatches = 60;
constexpr uint64_t kBatchSize = 5;
constexpr uint64_t kLast = kBatches * kBatchSize;
constexpr size_t kRecordHeaderBytes = 9;  // length, crc32c, type
constexpr size_t kCommitRecordBytes = kRecordHeaderBytes + 8;

const SegmentedLogOptions kOneSegment = {.segment_bytes = 1 << 20, .preallocate = true};
const SegmentedLogOptions kSmallSegments = {.segment_bytes = 8192, .preallocate = false};

// Where the record of entry `index`, as BuildSyncedLog wrote it, starts in a segment's bytes.
size_t RecordOf(const std::string& segment, uint64_t index) {
  size_t payload = segment.find(MakeEntry(index, 1, 100).SerializeAsString());
  EXPECT_NE(payload, std::string::npos) << "entry " << index << " not found";
  return payload - kRecordHeaderBytes;
}

// Opening the log in `dir` must fail with DataLoss whose message names `segment`, followed by
// `at` (the byte and what was wrong), and must leave every file in `dir` as it was.
void ExpectRefused(const std::string& dir, const SegmentedLogOptions& options,
                   const fs::path& segment, const std::string& at = "",
                   std::string* message_out = nullptr) {
  const auto before = DirContents(dir);
  auto store = SegmentedLogStore::Open(dir, options);
  ASSERT_FALSE(store.ok()) << "opened; repaired: "
                           << (*store)->recovery().truncated_at.value_or("nothing");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  std::string message(store.status().message());
  EXPECT_NE(message.find(segment.string() + " is corrupt at byte " + at), std::string::npos)
      << message;
  EXPECT_NE(message.find("refusing to start"), std::string::npos) << message;
  EXPECT_NE(message.find("re-seed"), std::string::npos) << message;
  EXPECT_TRUE(DirContents(dir) == before) << "recovery changed the files";
  if (message_out != nullptr) *message_out = message;
}

TEST(CorruptLogTest, FlippedBitInAnEarlyRecordRefusesToStartAndChangesNothing) {
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kOneSegment, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  ASSERT_EQ(segments.size(), 1u);
  std::string bytes = ReadBytes(segments[0]);
  size_t record = RecordOf(bytes, 10);
  bytes[record + kRecordHeaderBytes + 40] ^= 0x08;
  WriteBytes(segments[0], bytes);
  ExpectRefused(dir.path(), kOneSegment, segments[0],
                std::to_string(record) + " (checksum mismatch) with a valid record at byte");
}

// warrend --unsafe-skip-checksums, broken on purpose for the fault tests: the same damage in a
// command's bytes is taken as it reads, and the entry comes back changed.
TEST(CorruptLogTest, WithoutChecksumsAFlippedBitInACommandIsTakenAsItReads) {
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kOneSegment, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  std::string bytes = ReadBytes(segments[0]);
  const std::string payload = MakeEntry(10, 1, 100).SerializeAsString();
  bytes[RecordOf(bytes, 10) + kRecordHeaderBytes + payload.size() - 1] ^= 0x08;
  WriteBytes(segments[0], bytes);
  SegmentedLogOptions unchecked = kOneSegment;
  unchecked.unsafe_skip_checksums = true;
  auto store = SegmentedLogStore::Open(dir.path(), unchecked);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastIndex(), kLast);
  auto read = (*store)->Read(10, 11);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_NE((*read)[0].data(), MakeEntry(10, 1, 100).data());
}

TEST(CorruptLogTest, ZeroedSectorBeforeValidRecordsRefusesToStart) {
  // Zeros look like a write that never reached the disk, but the records after them did: this is
  // a lost sector of the synced log, not a torn tail.
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kOneSegment, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  std::string bytes = ReadBytes(segments[0]);
  size_t sector = (RecordOf(bytes, 100) / 512 + 1) * 512;
  std::fill(bytes.begin() + sector, bytes.begin() + sector + 512, '\0');
  WriteBytes(segments[0], bytes);
  ExpectRefused(dir.path(), kOneSegment, segments[0]);
}

TEST(CorruptLogTest, WholeLastRecordWithABadChecksumRefusesToStart) {
  // A crash leaves part of the last record missing (zeros, or the end of the file). One that is
  // all there but fails its checksum was damaged after it was written, perhaps acknowledged.
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kOneSegment, kBatches, kBatchSize);
  {
    auto store = SegmentedLogStore::Open(dir.path(), kOneSegment);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(MakeEntries(kLast + 1, kLast + 2, 1, 100)).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto segments = SegmentFiles(dir.path());
  std::string bytes = ReadBytes(segments[0]);
  size_t record = RecordOf(bytes, kLast + 1);
  bytes[record + kRecordHeaderBytes + 50] ^= 0x20;
  WriteBytes(segments[0], bytes);
  ExpectRefused(dir.path(), kOneSegment, segments[0],
                std::to_string(record) + " (checksum mismatch)");
}

TEST(CorruptLogTest, RecordThatContradictsTheLogRefusesToStartEvenAtTheEnd) {
  // A record with a valid checksum was written whole; no crash makes one that skips entries.
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kOneSegment, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  std::string bytes = ReadBytes(segments[0]);
  // The log ends with entry kLast and the commit record of its batch.
  const size_t end = RecordOf(bytes, kLast) + kRecordHeaderBytes +
                     MakeEntry(kLast, 1, 100).ByteSizeLong() + kCommitRecordBytes;
  ASSERT_EQ(bytes.find_first_not_of('\0', end), std::string::npos);
  std::string typed = "\x01" + MakeEntry(kLast + 5, 1, 100).SerializeAsString();
  std::string record;
  PutFixed32(&record, static_cast<uint32_t>(typed.size() - 1));
  PutFixed32(&record, Crc32c(typed));
  record += typed;
  bytes.replace(end, record.size(), record);
  WriteBytes(segments[0], bytes);
  ExpectRefused(dir.path(), kOneSegment, segments[0],
                std::to_string(end) + " (record contradicts the log before it");
}

TEST(CorruptLogTest, TornLookingEndOfANonLastSegmentRefusesAndKeepsTheLaterSegments) {
  // Only the last segment can end in a torn write: a segment is synced before the next begins.
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kSmallSegments, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  ASSERT_GE(segments.size(), 3u);
  std::string bytes = ReadBytes(segments[1]);
  std::fill(bytes.end() - 40, bytes.end(), '\0');
  WriteBytes(segments[1], bytes);
  std::string message;
  ExpectRefused(dir.path(), kSmallSegments, segments[1], "", &message);
  EXPECT_NE(message.find("later segment"), std::string::npos) << message;
  EXPECT_EQ(SegmentFiles(dir.path()), segments);
}

TEST(CorruptLogTest, GarbageHeaderOfANonLastSegmentRefusesToStart) {
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kSmallSegments, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  ASSERT_GE(segments.size(), 3u);
  std::string bytes = ReadBytes(segments[1]);
  std::fill(bytes.begin(), bytes.begin() + 16, 'G');
  WriteBytes(segments[1], bytes);
  ExpectRefused(dir.path(), kSmallSegments, segments[1], "0 (bad segment header)");
}

TEST(CorruptLogTest, LastSegmentWithALostHeaderButRecordsAfterItRefusesToStart) {
  // A segment whose header never reached the disk is dropped only if nothing else in it did.
  TempDir dir("corrupt");
  BuildSyncedLog(dir.path(), kSmallSegments, kBatches, kBatchSize);
  auto segments = SegmentFiles(dir.path());
  std::string bytes = ReadBytes(segments.back());
  std::fill(bytes.begin(), bytes.begin() + 16, '\0');
  WriteBytes(segments.back(), bytes);
  ExpectRefused(dir.path(), kSmallSegments, segments.back(), "0 (bad segment header)");
}

TEST(CorruptLogTest, RandomByteFlipsRefuseToStartUnlessTheyHitTheLastRecord) {
  TempDir pristine("pristine"), work("work");
  BuildSyncedLog(pristine.path(), kSmallSegments, kBatches, kBatchSize);
  std::vector<fs::path> names;
  for (const auto& p : SegmentFiles(pristine.path())) names.push_back(p.filename());
  ASSERT_GT(names.size(), 3u);
  std::mt19937_64 rng(42);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    fs::remove_all(work.path());
    fs::copy(pristine.path(), work.path());
    const size_t n = rng() % names.size();
    fs::path target = fs::path(work.path()) / names[n];
    std::string bytes = ReadBytes(target);
    size_t at = rng() % bytes.size();
    bytes[at] ^= static_cast<char>(1 + rng() % 255);
    WriteBytes(target, bytes);
    // The last record of the log is the commit index of the last batch.
    const bool in_last_record = n + 1 == names.size() && at >= bytes.size() - kCommitRecordBytes;
    const std::string what = "flip in " + names[n].string() + " at " + std::to_string(at);
    const auto before = DirContents(work.path());
    auto store = SegmentedLogStore::Open(work.path(), kSmallSegments);
    if (!store.ok()) {
      ++refused;
      ASSERT_EQ(store.status().code(), absl::StatusCode::kDataLoss)
          << what << ": " << store.status();
      ASSERT_NE(store.status().message().find(target.string()), std::string::npos) << what;
      ASSERT_TRUE(DirContents(work.path()) == before) << what << ": files changed";
      continue;
    }
    // Only the last record can look torn; cutting it loses no entry.
    ASSERT_TRUE(in_last_record) << what << ": opened, repaired "
                                << (*store)->recovery().truncated_at.value_or("nothing");
    ASSERT_EQ((*store)->LastIndex(), kLast) << what;
    auto entries = (*store)->Read(1, kLast + 1);
    ASSERT_TRUE(entries.ok()) << what << ": " << entries.status();
    for (const auto& e : *entries) {
      ASSERT_EQ(e.SerializeAsString(), MakeEntry(e.index(), 1, 100).SerializeAsString()) << what;
    }
  }
  EXPECT_GT(refused, 250);
}

// RocksDB's log: a damaged WAL record followed by others must not be skipped or cut silently.

fs::path NewestWal(const std::string& dir) {
  fs::path wal;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() == ".log" && f.path() > wal) wal = f.path();
  }
  return wal;
}

void BuildRocksDbLog(const std::string& dir) {
  auto store = RocksDbLogStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  for (uint64_t i = 1; i <= 100; ++i) {
    ASSERT_TRUE((*store)->Append(MakeEntries(i, i + 1, 1, 1000)).ok());
  }
  ASSERT_TRUE((*store)->Sync().ok());
}

TEST(RocksDbLogCorruptionTest, DamagedWalRecordBeforeOthersRefusesToStart) {
  TempDir dir("rocksdb-corrupt");
  BuildRocksDbLog(dir.path());
  fs::path wal = NewestWal(dir.path());
  ASSERT_FALSE(wal.empty());
  std::string bytes = ReadBytes(wal);
  size_t at = bytes.find(MakeEntry(10, 1, 1000).data());
  ASSERT_NE(at, std::string::npos);
  bytes[at + 500] ^= 0x10;
  WriteBytes(wal, bytes);
  auto store = RocksDbLogStore::Open(dir.path());
  ASSERT_FALSE(store.ok()) << "opened with entries up to " << (*store)->LastIndex();
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
}

TEST(RocksDbLogCorruptionTest, TornWalTailOpensWithWhatWasWhole) {
  TempDir dir("rocksdb-torn");
  BuildRocksDbLog(dir.path());
  fs::path wal = NewestWal(dir.path());
  std::string bytes = ReadBytes(wal);
  WriteBytes(wal, bytes.substr(0, bytes.size() - 300));
  auto store = RocksDbLogStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastIndex(), 99u);
  auto entries = (*store)->Read(1, 100);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->back().SerializeAsString(), MakeEntry(99, 1, 1000).SerializeAsString());
}

}  // namespace
}  // namespace warren::raft
