#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace warren {

// Runs functions after a delay, one at a time, on a thread of its own (started with the
// first function). For retries with backoff from code that must not block: a completion
// callback schedules its retry here instead of sleeping. Functions still due when it is
// destroyed are dropped.
class DelayedRunner {
 public:
  DelayedRunner() = default;
  ~DelayedRunner();
  DelayedRunner(const DelayedRunner&) = delete;
  DelayedRunner& operator=(const DelayedRunner&) = delete;

  void After(absl::Duration delay, std::function<void()> fn);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<absl::Time, std::function<void()>> due_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace warren
