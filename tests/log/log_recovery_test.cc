// Crash recovery of the segmented log: cut its last records at every byte offset, flip random
// bytes anywhere, and reopen. The log must come back as a valid prefix of what was synced,
// never returning a corrupt entry, and must keep working afterwards.
#include <filesystem>
#include <fstream>
#include <random>

#include "gtest/gtest.h"
#include "raft/log/hard_state_file.h"
#include "raft/log/segmented_log_store.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::MakeEntries;
using testing::MakeEntry;
using testing::TempDir;

constexpr uint64_t kBatches = 60;
constexpr uint64_t kBatchSize = 5;
constexpr uint64_t kLast = kBatches * kBatchSize;

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path LastSegment(const std::string& dir) {
  fs::path last;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().filename().string().rfind("seg-", 0) == 0 && f.path() > last) last = f.path();
  }
  return last;
}

// Writes kBatches synced batches into `dir`, as the runtime does: entries, commit, Sync.
void BuildLog(const std::string& dir, bool preallocate) {
  auto store = SegmentedLogStore::Open(dir, {.segment_bytes = 8192, .preallocate = preallocate});
  ASSERT_TRUE(store.ok()) << store.status();
  for (uint64_t b = 0; b < kBatches; ++b) {
    uint64_t lo = b * kBatchSize + 1;
    ASSERT_TRUE((*store)->Append(MakeEntries(lo, lo + kBatchSize, 1, 100)).ok());
    raftpb::HardState hs;
    hs.set_term(1);
    hs.set_vote(1);
    hs.set_commit(lo + kBatchSize - 1);
    ASSERT_TRUE((*store)->SetHardState(hs).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
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
  fs::path seg = LastSegment(pristine.path());
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

TEST(FlipTest, RandomByteFlipsAnywhereInTheSegments) {
  TempDir pristine("pristine"), work("work");
  BuildLog(pristine.path(), /*preallocate=*/false);
  std::vector<fs::path> segs;
  for (const auto& f : fs::directory_iterator(pristine.path())) {
    if (f.path().filename().string().rfind("seg-", 0) == 0) segs.push_back(f.path().filename());
  }
  ASSERT_GT(segs.size(), 3u);
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    fs::remove_all(work.path());
    fs::copy(pristine.path(), work.path());
    fs::path target = fs::path(work.path()) / segs[rng() % segs.size()];
    std::string bytes = ReadBytes(target);
    size_t at = rng() % bytes.size();
    bytes[at] ^= static_cast<char>(1 + rng() % 255);
    WriteBytes(target, bytes);
    ExpectValidPrefix(work.path(), 0,
                      "flip in " + target.filename().string() + " at " + std::to_string(at));
    if (HasFatalFailure()) return;
  }
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
