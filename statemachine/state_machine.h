#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warren {

// Where a state machine writes its snapshot bytes (a file, in practice).
class SnapshotWriter {
 public:
  virtual ~SnapshotWriter() = default;
  virtual absl::Status Write(std::string_view bytes) = 0;
};

// Where a state machine reads its snapshot bytes back.
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  // Reads up to `n` bytes into `buf`; returns 0 at the end.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // Reads everything that is left; for small state machines.
  absl::StatusOr<std::string> ReadAll();
};

// The replicated application a RaftServer group drives. Apply, Query, TakeSnapshot and
// RestoreSnapshot are called from the group's one apply thread, in log order, so an
// implementation needs no locks of its own. Only the function TakeSnapshot returns runs
// elsewhere (the snapshot thread), while Apply goes on.
class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies the committed command at `index` and returns the reply for the client. Must be
  // deterministic: every member applies the same commands and must reach the same state.
  // An error status is a reply too (e.g. "no such key") and must not change the state.
  virtual absl::StatusOr<std::string> Apply(uint64_t index, std::string_view command) = 0;
  // Answers a read-only query from the current state.
  virtual absl::StatusOr<std::string> Query(std::string_view query) = 0;

  // Writes the state as of LastApplied(). TakeSnapshot itself must be quick (freeze or copy
  // the state); the returned function does the slow writing on the snapshot thread.
  using SnapshotFn = std::function<absl::Status(SnapshotWriter& writer)>;
  virtual SnapshotFn TakeSnapshot() = 0;
  // Replaces the whole state by a snapshot taken at `index`.
  virtual absl::Status RestoreSnapshot(uint64_t index, SnapshotReader& reader) = 0;
  // The index of the last command applied or snapshot restored (0 when new). For a durable
  // state machine, right after it is opened: the index of its last Persist.
  virtual uint64_t LastApplied() const = 0;

  // --- Durable state machines ---
  // A durable state machine keeps its state on disk (RocksDB, say) and comes back after a
  // restart without a snapshot: the runtime replays only the entries after LastApplied().
  // For that the runtime's own bookkeeping (the exactly-once table, the membership) must be
  // exactly as fresh as the state, so the runtime hands it over to be stored in the same
  // atomic write. Apply may keep its effects in memory until Persist.
  virtual bool durable() const { return false; }
  // Key -> bytes to store; nullopt erases the key.
  using RuntimeRecords = std::map<std::string, std::optional<std::string>>;
  // Durable only: makes everything applied up to `index` durable (not necessarily synced:
  // the Raft log is what survives a power loss), together with `records`, in one atomic
  // write. `index` also covers entries that never reached Apply (membership, no-ops).
  virtual absl::Status Persist(uint64_t index, const RuntimeRecords& records) {
    return absl::OkStatus();
  }
  // Durable only: every runtime record as of the last Persist.
  virtual absl::StatusOr<std::map<std::string, std::string>> LoadRuntimeRecords() {
    return std::map<std::string, std::string>{};
  }
};

}  // namespace warren
