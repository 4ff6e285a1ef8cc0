#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/server/snapshot_store.h"
#include "statemachine/state_machine.h"

namespace warren::metastore::cli {

// The member restore and import-zk make: --data-dir, --id, --address.
struct NewMember {
  std::string dir;
  uint64_t id;
  std::string address;
};
// The flags' new member; nullopt if one is missing (or the address is not HOST:PORT).
std::optional<NewMember> NewMemberFromFlags();

// A new member's --data-dir must be empty or absent: restore and import-zk make a member.
absl::Status CheckNewDataDir(const std::string& dir);

// Makes `dir` the data directory of the first member of a new quorum (offline): claimed for
// member `id` and holding one snapshot, `header` under a membership of that one member at
// `address`, its state machine's bytes written by `write_data`.
absl::StatusOr<raft::SnapshotInfo> SeedMember(
    const std::string& dir, uint64_t id, const std::string& address, raftpb::SnapshotHeader header,
    const std::function<absl::Status(SnapshotWriter&)>& write_data);

// The lines that tell how to start the seeded member and grow the quorum.
std::string StartHint(const std::string& dir, uint64_t id, const std::string& address);

}  // namespace warren::metastore::cli
