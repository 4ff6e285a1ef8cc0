#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "proto/raft.pb.h"

namespace warren::raft {

// What a member checks about a message from the network before its Raft core sees it: what no
// honest peer sends (a message addressed to another member, from nobody or from this member, of
// no known type; a term or index at 2^63 or above, which would wrap or read as negative) and
// what the runtime could not take (a snapshot message without its file, an entry larger than
// any member may propose), and a MSG_NOT_A_MEMBER of any other shape than the runtime sends
// (raft/server/removal_notice.h). The protocol itself is the core's to check. InvalidArgument
// names the problem.
absl::Status CheckPeerMessage(const raftpb::Message& m, uint64_t self);
// The same for the MSG_SNAP that opens a snapshot upload.
absl::Status CheckSnapshotMessage(const raftpb::Message& m, uint64_t self);

// "MSG_APP from 2 to 1 in term 7", for log lines about a message.
std::string DescribeMessage(const raftpb::Message& m);

}  // namespace warren::raft
