#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "metastore/client/metastore_client.h"

namespace warren::metastore::recipes {

// A shared counter in one node (Curator's DistributedAtomicLong), changed by compare-and-set
// on the node's version, so that no increment is lost or applied twice. The value is stored
// as decimal text, readable with `warren get`. A missing node counts as 0. Needs no session.
//
// An error after which the change may have applied (ConnectionLoss: the client gave up
// retrying) is returned as it is; the caller cannot know whether it counted.
class DistributedCounter {
 public:
  DistributedCounter(MetastoreClient& client, std::string path);
  absl::StatusOr<int64_t> Get();
  // Returns the value after the change. Also an id generator: Add(1) hands out 1, 2, 3, ...
  // each once.
  absl::StatusOr<int64_t> Add(int64_t delta);
  // Sets the value if it is `expected` now; false if it is not.
  absl::StatusOr<bool> CompareAndSet(int64_t expected, int64_t value);

 private:
  // The value and the version it was read at; version -1 if the node does not exist.
  absl::StatusOr<std::pair<int64_t, int32_t>> Read();
  // Writes `value` if the node is still at `version`; false if it is not.
  absl::StatusOr<bool> WriteIfUnchanged(int32_t version, int64_t value);

  MetastoreClient& client_;
  const std::string path_;
};

}  // namespace warren::metastore::recipes
