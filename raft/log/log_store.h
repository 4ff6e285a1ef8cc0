#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/raft.pb.h"

namespace warren::raft {

// The largest entry, serialized (raftpb::Entry::ByteSizeLong()), that any LogStore takes:
// Append refuses a batch holding a larger one with InvalidArgument and writes nothing. The
// layers above must keep every entry (a command with the runtime's envelope, a configuration
// change) at or below it: the runtime's commands go up to 64 MiB plus an envelope of at most
// 1 KiB (raft/transport/message_limits.h, checked where both meet), and the transport's
// message limit is above this.
inline constexpr size_t kMaxEntryBytes = (size_t{64} << 20) + (size_t{32} << 10);

// Terms and indexes grow one at a time from 0; nothing honest comes near 2^63, and anything
// at or above it would wrap (index + 1) or read as negative. A member refuses larger ones in
// its peers' messages (raft/server/peer_message_check.h) and on its own disk.
inline constexpr uint64_t kMaxTermOrIndex = (uint64_t{1} << 63) - 1;

// Where a Raft peer keeps its log and hard state. Writes may be buffered; they are durable
// only once Sync() returns OK. Indexes are contiguous in [FirstIndex(), LastIndex()]; an
// empty log has LastIndex() == FirstIndex() - 1. Not thread-safe: one thread owns a store.
class LogStore {
 public:
  virtual ~LogStore() = default;

  // Appends entries with consecutive indexes. entries[0].index() may lie anywhere in
  // [FirstIndex(), LastIndex() + 1]: stored entries at that index and above are replaced.
  // An entry over kMaxEntryBytes fails the whole call (InvalidArgument) with nothing written.
  virtual absl::Status Append(std::span<const raftpb::Entry> entries) = 0;
  // Drops the entries at `index` and above.
  virtual absl::Status TruncateSuffix(uint64_t index) = 0;
  // Drops the entries at `index` and below (they are covered by a snapshot). Purging past the
  // last entry leaves an empty log whose next entry is index + 1.
  virtual absl::Status PurgePrefix(uint64_t index) = 0;

  // Entries with index in [lo, hi); OutOfRange outside [FirstIndex(), LastIndex() + 1].
  virtual absl::StatusOr<std::vector<raftpb::Entry>> Read(uint64_t lo, uint64_t hi) const = 0;
  virtual absl::StatusOr<uint64_t> Term(uint64_t index) const = 0;
  virtual uint64_t FirstIndex() const = 0;
  virtual uint64_t LastIndex() const = 0;

  // Term and vote must survive a crash once synced; commit may come back lower than set
  // (it is re-learnt from the leader) but never higher than what was set.
  virtual absl::Status SetHardState(const raftpb::HardState& hs) = 0;
  virtual raftpb::HardState hard_state() const = 0;

  // Makes everything written so far durable (one fdatasync for many appends).
  virtual absl::Status Sync() = 0;
};

// Checks the arguments of LogStore::Append against the store's bounds and the entries' sizes
// against `max_entry_bytes`.
absl::Status ValidateAppend(std::span<const raftpb::Entry> entries, uint64_t first, uint64_t last,
                            size_t max_entry_bytes = kMaxEntryBytes);
// Checks [lo, hi) against the store's bounds.
absl::Status ValidateRange(uint64_t lo, uint64_t hi, uint64_t first, uint64_t last);

}  // namespace warren::raft
