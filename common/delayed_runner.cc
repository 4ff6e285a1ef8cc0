#include "common/delayed_runner.h"

#include "absl/time/clock.h"

namespace warren {

DelayedRunner::~DelayedRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DelayedRunner::After(absl::Duration delay, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  due_.emplace(absl::Now() + delay, std::move(fn));
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  cv_.notify_all();
}

void DelayedRunner::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Time when = due_.begin()->first;
    if (absl::Now() < when) {
      cv_.wait_until(lock, absl::ToChronoTime(when));
      continue;
    }
    std::function<void()> fn = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace warren
