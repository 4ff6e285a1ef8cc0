#include "metastore/recipes/event_waiter.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "metastore/errors.h"

namespace warren::metastore::recipes {

EventWaiter::EventWaiter(MetastoreClient& client) : client_(client) {
  event_listener_ = client_.OnEvent([this](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu_);
    fired_.insert(e.path());
    cv_.notify_all();
  });
  end_listener_ = client_.OnSessionEnd([this](const absl::Status& why) {
    std::lock_guard lock(mu_);
    session_ = why.ok() ? MetaError(metastorepb::SESSION_EXPIRED, "the session ended") : why;
    cv_.notify_all();
  });
}

EventWaiter::~EventWaiter() {
  client_.RemoveListener(event_listener_);
  client_.RemoveListener(end_listener_);
}

void EventWaiter::Arm(const std::string& path) {
  std::lock_guard lock(mu_);
  fired_.erase(path);
}

absl::Status EventWaiter::Wait(const std::string& path, absl::Time deadline) {
  std::unique_lock lock(mu_);
  // Far enough to mean "no deadline", near enough for the condition variable's arithmetic.
  const auto until = absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Hours(24 * 365)));
  const bool woken =
      cv_.wait_until(lock, until, [&] { return fired_.count(path) > 0 || !session_.ok(); });
  if (!session_.ok()) return session_;
  if (!woken) return MetaError(metastorepb::OPERATION_TIMEOUT, path);
  fired_.erase(path);
  return absl::OkStatus();
}

absl::Status EventWaiter::SessionStatus() {
  std::lock_guard lock(mu_);
  return session_;
}

}  // namespace warren::metastore::recipes
