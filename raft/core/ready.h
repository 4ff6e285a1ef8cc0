#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/raft.pb.h"

namespace warren::raft {

// An entry as the core keeps and hands it out: immutable and shared, so that the log, a Ready's
// entries to persist and its entries to apply hold one copy of the command, not one each.
using EntryPtr = std::shared_ptr<const raftpb::Entry>;

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role r);

// Volatile state worth telling the runtime about when it changes (not persisted).
struct SoftState {
  uint64_t leader = 0;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

// A linearizable read point: once the state machine has applied `index`, a read issued
// with `context` may be answered from it (Raft thesis §6.4).
struct ReadState {
  uint64_t index = 0;
  std::string context;
};

// Where a proposal landed in the log; it is committed once an entry with this index and
// term is handed out in Ready::committed_entries.
struct EntryId {
  uint64_t index = 0;
  uint64_t term = 0;
};

// Everything the core asks the runtime to do, in this order:
//   1. persist `snapshot` (if any), then `entries` (replacing any stored entries at the same
//      or higher index), then `hard_state`, and make them durable;
//   2. send `messages` (they may promise the above is durable);
//   3. restore the state machine from `snapshot` (if any), then apply `committed_entries`;
//   4. serve `read_states` once the state machine has applied their index;
//   5. call Advance(ready).
// The core must not be called between GetReady() and Advance().
struct Ready {
  std::optional<SoftState> soft_state;
  std::optional<raftpb::HardState> hard_state;
  std::vector<EntryPtr> entries;
  std::optional<raftpb::Snapshot> snapshot;
  std::vector<EntryPtr> committed_entries;
  std::vector<raftpb::Message> messages;
  std::vector<ReadState> read_states;
};

}  // namespace warren::raft
