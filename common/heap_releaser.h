#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace warren {

// Gives the pages of freed heap memory back to the kernel, now and then. glibc's free()
// returns memory to the kernel only from the top of the heap: after a burst (a member that
// applied a million creates holds some 180 MiB of freed requests, log entries and batches
// between the nodes it keeps) the pages stay resident though nothing uses them. Go's
// runtime (etcd) and tcmalloc return such pages in the background; this does the same for
// glibc with malloc_trim, when enough lies free to be worth the page faults of taking it
// back.
class HeapReleaser {
 public:
  // Looks every `interval` on a thread of its own; releases when more than `min_free_bytes`
  // lie free below the heap's top (what free() cannot give back by itself).
  HeapReleaser(absl::Duration interval, size_t min_free_bytes);
  ~HeapReleaser();
  HeapReleaser(const HeapReleaser&) = delete;
  HeapReleaser& operator=(const HeapReleaser&) = delete;

  // One look: if more than `min_free_bytes` lie free below the heap's top, gives back the
  // pages it can and returns true.
  static bool ReleaseIfOver(size_t min_free_bytes);

 private:
  void Loop();

  const absl::Duration interval_;
  const size_t min_free_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace warren
