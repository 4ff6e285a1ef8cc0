#pragma once

#include "absl/status/statusor.h"
#include "proto/raft.pb.h"

namespace warren::raft {

// The membership that results from applying `change` to `current` (joint consensus, Raft
// thesis §4.3), or InvalidArgument naming why the change is not allowed. Pure: the same
// inputs always give the same answer on every peer, which is what keeps them in step.
absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfState& current,
                                                  const raftpb::ConfChange& change);

// True if `change` leaves a joint configuration (it has no individual changes).
inline bool IsLeaveJoint(const raftpb::ConfChange& change) { return change.changes().empty(); }

// Does applying `change` to `current` go through a joint configuration?
bool NeedsJoint(const raftpb::ConfState& current, const raftpb::ConfChange& change);

// A canonical form: every id list sorted and free of duplicates.
raftpb::ConfState Normalize(const raftpb::ConfState& cs);

std::string ConfStateString(const raftpb::ConfState& cs);

}  // namespace warren::raft
