#include "common/heap_releaser.h"

#include <malloc.h>

#include "glog/logging.h"

namespace warren {

HeapReleaser::HeapReleaser(absl::Duration interval, size_t min_free_bytes)
    : interval_(interval), min_free_bytes_(min_free_bytes), thread_([this] { Loop(); }) {}

HeapReleaser::~HeapReleaser() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool HeapReleaser::ReleaseIfOver(size_t min_free_bytes) {
  const struct mallinfo2 before = mallinfo2();
  // fordblks: free bytes in the heap's chunks; keepcost: those at its top, which free()
  // gives back by itself past M_TRIM_THRESHOLD.
  const size_t free_inside = before.fordblks - before.keepcost;
  if (free_inside <= min_free_bytes) return false;
  malloc_trim(0);
  VLOG(1) << "heap: " << (free_inside >> 20) << " MiB free inside it; its free pages released";
  return true;
}

void HeapReleaser::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stopping_; })) {
    lock.unlock();
    ReleaseIfOver(min_free_bytes_);
    lock.lock();
  }
}

}  // namespace warren
