// A znode tree whose RocksDB files were damaged at rest refuses to open with DataLoss naming
// the file, instead of loading part of the tree or crashing: its member must be re-seeded.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/metastore/tree_fixture.h"

namespace warren::metastore {
namespace {

namespace fs = std::filesystem;

class Discard : public SnapshotWriter {
 public:
  absl::Status Write(std::string_view) override { return absl::OkStatus(); }
};

void FlipBit(const fs::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << file;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  c ^= 0x10;
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(c);
}

std::vector<fs::path> FilesStartingWith(const fs::path& dir, const std::string& prefix,
                                        const std::string& suffix = "") {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(e.path());
  }
  return out;
}

class TreeCorruptionTest : public TreeTest {
 protected:
  // Nodes enough for a few data blocks, flushed into an SST file (as a snapshot does).
  void FillAndFlush() {
    for (int i = 0; i < 300; ++i) Create(absl::StrCat("/n", i), std::string(200, 'a' + i % 26));
    ASSERT_TRUE(tree_->Persist(index_, {}).ok());
    Discard discard;
    ASSERT_TRUE(tree_->TakeSnapshot()(discard).ok());
    tree_.reset();
  }

  // Opening the tree must fail with DataLoss naming `file` and saying it is corrupt.
  void ExpectRefused(const fs::path& file) {
    auto tree = ZNodeTree::Open(TreeOptions{(dir_ / "tree").string(), Limits{}}, &watches_);
    ASSERT_FALSE(tree.ok()) << "the tree opened with a damaged " << file;
    EXPECT_EQ(tree.status().code(), absl::StatusCode::kDataLoss) << tree.status();
    const std::string message(tree.status().message());
    EXPECT_NE(message.find(file.filename().string()), std::string::npos) << message;
    EXPECT_NE(message.find("is corrupt"), std::string::npos) << message;
    EXPECT_NE(message.find("re-seed"), std::string::npos) << message;
  }
};

TEST_F(TreeCorruptionTest, FlippedBitInAnSstDataBlockRefusesToOpen) {
  FillAndFlush();
  auto ssts = FilesStartingWith(dir_ / "tree", "", ".sst");
  ASSERT_EQ(ssts.size(), 1u);
  // Data blocks come first in an SST; its index, properties and footer are at its end.
  FlipBit(ssts[0], fs::file_size(ssts[0]) / 4);
  ExpectRefused(ssts[0]);
}

TEST_F(TreeCorruptionTest, FlippedBitInTheManifestRefusesToOpen) {
  FillAndFlush();
  auto manifests = FilesStartingWith(dir_ / "tree", "MANIFEST-");
  ASSERT_EQ(manifests.size(), 1u);
  FlipBit(manifests[0], fs::file_size(manifests[0]) / 2);
  ExpectRefused(manifests[0]);
}

TEST_F(TreeCorruptionTest, AnUndamagedTreeReopensWithEveryNode) {
  FillAndFlush();
  Reopen();
  EXPECT_TRUE(Exists("/n0"));
  EXPECT_TRUE(Exists("/n299"));
}

}  // namespace
}  // namespace warren::metastore
