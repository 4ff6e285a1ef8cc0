#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/event_waiter.h"

namespace warren::metastore::recipes {

// A barrier (Curator's DistributedBarrier): while the node at `path` exists, Wait blocks.
// Set and Remove need no session; Wait needs one (it watches the node).
class Barrier {
 public:
  Barrier(MetastoreClient& client, std::string path);
  absl::Status Set();     // OK if it was set already
  absl::Status Remove();  // OK if it was not set
  // OK once the barrier is not set; OperationTimeout; SessionExpired.
  absl::Status Wait(absl::Duration timeout);

 private:
  MetastoreClient& client_;
  const std::string path_;
  EventWaiter waiter_;
};

// A double barrier (Curator's DistributedDoubleBarrier): `count` members Enter, and none goes
// on until all have entered; they Leave, and none goes on until all have left. Each member is
// an ephemeral node named after it under `root`, so a member that crashes counts as having
// left. A root serves one round at a time. Needs a session.
class DoubleBarrier {
 public:
  DoubleBarrier(MetastoreClient& client, std::string root, std::string member, int count);
  absl::Status Enter(absl::Duration timeout);
  absl::Status Leave(absl::Duration timeout);

 private:
  // Members under the root (the ready flag is not one).
  absl::StatusOr<int> Members(bool watch);

  MetastoreClient& client_;
  const std::string root_;
  const std::string member_;
  const std::string ready_;
  const int count_;
  EventWaiter waiter_;
};

}  // namespace warren::metastore::recipes
