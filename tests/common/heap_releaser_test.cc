// HeapReleaser gives the pages of freed heap memory back to the kernel, and only when enough
// lies free. glibc's allocator only: the sanitizers bring their own.
#include "common/heap_releaser.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "gtest/gtest.h"

namespace warren {
namespace {

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(HeapReleaser, FreedPagesBetweenLiveBlocksGoBackToTheKernel) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer's allocator is not glibc's";
#endif
  // 64 MiB in 1 KiB blocks, written so that their pages are resident; then all but one block
  // in sixteen freed: the live ones keep free() from giving anything back by itself.
  constexpr size_t kBlock = 1024, kBlocks = 64 << 10;
  std::vector<void*> blocks(kBlocks);
  for (auto& b : blocks) {
    b = malloc(kBlock);
    memset(b, 1, kBlock);
  }
  for (size_t i = 0; i < kBlocks; ++i) {
    if (i % 16 != 0) {
      free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  EXPECT_FALSE(HeapReleaser::ReleaseIfOver(size_t{1} << 30)) << "less than 1 GiB lies free";
  const size_t before = ResidentBytes();
  EXPECT_TRUE(HeapReleaser::ReleaseIfOver(size_t{16} << 20)) << "some 60 MiB lie free";
  const size_t after = ResidentBytes();
  EXPECT_GT(before, after + (size_t{32} << 20))
      << "resident before " << (before >> 20) << " MiB, after " << (after >> 20) << " MiB";
  for (void* b : blocks) free(b);
}

TEST(HeapReleaser, StopsWhenDestroyed) {
  { HeapReleaser releaser(absl::Milliseconds(5), 0); }
  HeapReleaser releaser(absl::Hours(1), 0);  // destroyed while waiting out its interval
}

}  // namespace
}  // namespace warren
