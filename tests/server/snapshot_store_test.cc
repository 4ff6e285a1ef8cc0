#include "raft/server/snapshot_store.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

raftpb::SnapshotHeader Header(uint64_t index, uint64_t term) {
  raftpb::SnapshotHeader h;
  h.mutable_metadata()->set_index(index);
  h.mutable_metadata()->set_term(term);
  h.mutable_metadata()->mutable_conf_state()->add_voters(1);
  return h;
}

StateMachine::SnapshotFn Data(std::string bytes) {
  return [bytes](SnapshotWriter& w) { return w.Write(bytes); };
}

std::string ReadData(SnapshotStore& store, const SnapshotInfo& info) {
  auto r = store.OpenData(info);
  EXPECT_TRUE(r.ok()) << r.status();
  auto all = (*r)->ReadAll();
  EXPECT_TRUE(all.ok()) << all.status();
  return *all;
}

TEST(SnapshotStore, WriteThenLatestReadsItBack) {
  TempDir dir("snaps");
  auto store = SnapshotStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Latest().ok());
  EXPECT_FALSE((*store)->Latest()->has_value());
  ASSERT_TRUE((*store)->Write(Header(10, 2), Data("ten")).ok());
  ASSERT_TRUE((*store)->Write(Header(20, 3), Data(std::string(3 << 20, 'x'))).ok());
  auto latest = (*store)->Latest();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->index(), 20u);
  EXPECT_EQ((*latest)->header.metadata().term(), 3u);
  EXPECT_EQ(ReadData(**store, **latest), std::string(3 << 20, 'x'));
}

// A snapshot in place was verified whole before it was renamed there: damage found later is
// damage at rest, and falling back to an older snapshot could need entries the log has purged.
TEST(SnapshotStore, CorruptNewestIsRefusedNamingTheFile) {
  TempDir dir("snaps");
  auto store = SnapshotStore::Open(dir.path());
  ASSERT_TRUE((*store)->Write(Header(10, 2), Data("ten")).ok());
  auto newest = (*store)->Write(Header(20, 2), Data("twenty"));
  ASSERT_TRUE(newest.ok());
  {
    std::fstream f(newest->path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(newest->path) - 6));
    f.put('!');
  }
  auto latest = (*store)->Latest();
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss);
  const std::string message(latest.status().message());
  EXPECT_NE(message.find("snapshot " + newest->path + " is corrupt: checksum mismatch"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("re-seed"), std::string::npos) << message;

  // Broken on purpose: without checksums the damaged file is taken.
  auto unchecked = SnapshotStore::Open(dir.path(), /*unsafe_skip_checksums=*/true);
  auto taken = (*unchecked)->Latest();
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ((*taken)->index(), 20u);
}

TEST(SnapshotStore, EveryTruncationIsDetected) {
  TempDir dir("snaps");
  auto store = SnapshotStore::Open(dir.path());
  auto info = (*store)->Write(Header(5, 1), Data("payload"));
  ASSERT_TRUE(info.ok());
  uint64_t size = fs::file_size(info->path);
  std::string copy = dir.path() + "/copy.snap";
  for (uint64_t cut = 0; cut < size; ++cut) {
    fs::copy_file(info->path, copy, fs::copy_options::overwrite_existing);
    fs::resize_file(copy, cut);
    EXPECT_FALSE(SnapshotStore::Verify(copy).ok()) << "cut at " << cut;
  }
}

TEST(SnapshotStore, InstallVerifiesAndMovesIntoPlace) {
  TempDir src("src"), dst("dst");
  auto a = SnapshotStore::Open(src.path());
  auto b = SnapshotStore::Open(dst.path());
  auto info = (*a)->Write(Header(7, 1), Data("seven"));
  ASSERT_TRUE(info.ok());

  std::string incoming = (*b)->NewIncomingPath();
  fs::copy_file(info->path, incoming);
  auto installed = (*b)->Install(incoming);
  ASSERT_TRUE(installed.ok()) << installed.status();
  EXPECT_FALSE(fs::exists(incoming));
  EXPECT_EQ(ReadData(**b, *installed), "seven");

  std::string bad = (*b)->NewIncomingPath();
  std::ofstream(bad) << "not a snapshot";
  EXPECT_EQ((*b)->Install(bad).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SnapshotStore, PruneKeepsTheNewest) {
  TempDir dir("snaps");
  auto store = SnapshotStore::Open(dir.path());
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE((*store)->Write(Header(i * 10, 1), Data("d")).ok());
  (*store)->Prune(2);
  int left = 0;
  for (const auto& f : fs::directory_iterator(dir.path())) left += f.path().extension() == ".snap";
  EXPECT_EQ(left, 2);
  EXPECT_EQ((*(*store)->Latest())->index(), 50u);
}

TEST(SnapshotStore, FailedWriteLeavesNothingBehind) {
  TempDir dir("snaps");
  auto store = SnapshotStore::Open(dir.path());
  auto r =
      (*store)->Write(Header(9, 1), [](SnapshotWriter&) { return absl::InternalError("disk"); });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace warren::raft
