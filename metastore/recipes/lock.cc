#include "metastore/recipes/lock.h"

#include "absl/time/clock.h"
#include "glog/logging.h"
#include "metastore/errors.h"

namespace warren::metastore::recipes {
namespace {

const char* PrefixOf(DistributedLock::Mode mode) {
  switch (mode) {
    case DistributedLock::Mode::kExclusive:
      return "lock-";
    case DistributedLock::Mode::kRead:
      return "read-";
    case DistributedLock::Mode::kWrite:
      return "write-";
  }
  return "lock-";
}

// A reader waits for the last writer before it.
std::optional<size_t> LastWriterBefore(const std::vector<Contender>& line, size_t mine) {
  for (size_t i = mine; i-- > 0;) {
    if (line[i].prefix == "write-") return i;
  }
  return std::nullopt;
}

}  // namespace

DistributedLock::DistributedLock(MetastoreClient& client, std::string root, Mode mode)
    : mode_(mode), queue_(client, std::move(root), PrefixOf(mode), "") {}

DistributedLock::~DistributedLock() {
  if (auto s = Release(); !s.ok()) {
    LOG(WARNING) << "lock " << queue_.root() << " not released: " << s
                 << " (its session's end releases it)";
  }
}

absl::Status DistributedLock::Acquire(absl::Duration timeout) {
  if (held_) return MetaError(metastorepb::BAD_ARGUMENTS, queue_.root() + ": already held");
  const absl::Time deadline = absl::Now() + timeout;
  if (auto s = queue_.Join(deadline); !s.ok()) return s;
  absl::Status s = queue_.WaitForTurn(
      mode_ == Mode::kRead ? LastWriterBefore : ContenderQueue::Predecessor, deadline);
  if (s.ok()) {
    held_ = true;
    return s;
  }
  // Out of line, so that nobody waits behind a contender that gave up. If this fails, the
  // session's end removes the node.
  if (auto left = queue_.Leave(); !left.ok()) {
    LOG(WARNING) << "lock " << queue_.root() << ": could not leave the line: " << left;
  }
  return s;
}

absl::Status DistributedLock::Release() {
  if (!held_) return absl::OkStatus();
  absl::Status s = queue_.Leave();
  if (s.ok()) held_ = false;
  return s;
}

bool DistributedLock::IsHeld() { return held_ && queue_.waiter().SessionStatus().ok(); }

ReadWriteLock::ReadWriteLock(MetastoreClient& client, const std::string& root)
    : read_(client, root, DistributedLock::Mode::kRead),
      write_(client, root, DistributedLock::Mode::kWrite) {}

}  // namespace warren::metastore::recipes
