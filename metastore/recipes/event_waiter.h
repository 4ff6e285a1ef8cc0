#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"

namespace warren::metastore::recipes {

// Lets a recipe's thread wait for a watch event on one path without a callback of its own:
// Arm the path, set the watch, then Wait. An event that arrives between the two is kept, so
// none is missed. The session ending wakes every waiter.
class EventWaiter {
 public:
  explicit EventWaiter(MetastoreClient& client);
  ~EventWaiter();
  EventWaiter(const EventWaiter&) = delete;
  EventWaiter& operator=(const EventWaiter&) = delete;

  void Arm(const std::string& path);
  // OK once an event on `path` came after Arm; OperationTimeout at `deadline`; the session's
  // end (SessionExpired) if it ended.
  absl::Status Wait(const std::string& path, absl::Time deadline);
  // OK while the session lives; why it ended otherwise.
  absl::Status SessionStatus();

 private:
  MetastoreClient& client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> fired_;
  absl::Status session_ = absl::OkStatus();
  MetastoreClient::ListenerId event_listener_;
  MetastoreClient::ListenerId end_listener_;
};

}  // namespace warren::metastore::recipes
