#include "tests/log/log_files.h"

#include <algorithm>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

namespace warren::raft::testing {

namespace fs = std::filesystem;

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<fs::path> SegmentFiles(const std::string& dir) {
  std::vector<fs::path> segments;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().filename().string().rfind("seg-", 0) == 0) segments.push_back(f.path());
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

std::map<std::string, std::string> DirContents(const std::string& dir) {
  std::map<std::string, std::string> contents;
  for (const auto& f : fs::directory_iterator(dir)) {
    contents[f.path().filename().string()] = ReadBytes(f.path());
  }
  return contents;
}

void BuildSyncedLog(const std::string& dir, const SegmentedLogOptions& options, uint64_t batches,
                    uint64_t batch_size) {
  auto store = SegmentedLogStore::Open(dir, options);
  ASSERT_TRUE(store.ok()) << store.status();
  for (uint64_t b = 0; b < batches; ++b) {
    uint64_t lo = b * batch_size + 1;
    ASSERT_TRUE((*store)->Append(MakeEntries(lo, lo + batch_size, 1, 100)).ok());
    raftpb::HardState hs;
    hs.set_term(1);
    hs.set_vote(1);
    hs.set_commit(lo + batch_size - 1);
    ASSERT_TRUE((*store)->SetHardState(hs).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
}

}  // namespace warren::raft::testing
