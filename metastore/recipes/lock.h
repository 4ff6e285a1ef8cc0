#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/contender_queue.h"

namespace warren::metastore::recipes {

// A distributed lock (Curator's InterProcessSemaphoreMutex; not re-entrant): whoever's node is
// first under `root` holds it. The lock belongs to the client's session: it is released when
// the holder releases it, or when its session ends (the holder crashed, or was cut off for
// longer than the session timeout). A holder that loses its session is no longer protected:
// IsHeld() turns false and it must stop acting under the lock (see docs/recipes.md).
// Needs a session. One thread uses a lock object at a time.
class DistributedLock {
 public:
  enum class Mode { kExclusive, kRead, kWrite };
  DistributedLock(MetastoreClient& client, std::string root, Mode mode = Mode::kExclusive);
  ~DistributedLock();  // releases it

  // OK: held. OperationTimeout: not within `timeout`, and out of line again. SessionExpired:
  // the session ended. Acquiring a held lock is BadArguments (not re-entrant).
  absl::Status Acquire(absl::Duration timeout);
  absl::Status Release();
  // Held, and the session that holds it has not ended.
  bool IsHeld();

 private:
  const Mode mode_;
  ContenderQueue queue_;
  bool held_ = false;
};

// Readers share, writers exclude (Curator's InterProcessReadWriteLock): a reader waits only
// for the writers before it, a writer for everyone before it. Both halves share `root`.
class ReadWriteLock {
 public:
  ReadWriteLock(MetastoreClient& client, const std::string& root);
  DistributedLock& read() { return read_; }
  DistributedLock& write() { return write_; }

 private:
  DistributedLock read_;
  DistributedLock write_;
};

}  // namespace warren::metastore::recipes
