#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/server/snapshot_store.h"
#include "statemachine/state_machine.h"

// The new member, for restore and import-zk.
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(uint64_t, id);
ABSL_DECLARE_FLAG(std::string, address);

namespace warren::metastore::cli {

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
