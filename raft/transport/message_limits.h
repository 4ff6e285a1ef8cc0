#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace warren::raft {

// How big what members send each other may be. The same numbers on every member, whatever
// its options, so that what one member may propose every other can receive and store.

// The largest GroupOptions::max_command_bytes a group may have.
inline constexpr size_t kMaxCommandBytesCeiling = size_t{64} << 20;

// A command limit (the group's, or a state machine's of its own) a member can carry; the
// error names the limit as `name`.
inline absl::Status CheckCommandLimit(absl::string_view name, size_t max_command_bytes) {
  if (max_command_bytes == 0 || max_command_bytes > kMaxCommandBytesCeiling) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is ", max_command_bytes, " bytes; it must be 1..", kMaxCommandBytesCeiling));
  }
  return absl::OkStatus();
}
// What the runtime adds around a command in a log entry (exactly-once ids, the leader's clock,
// protobuf framing), with room to spare.
inline constexpr size_t kEntryOverheadBytes = size_t{1} << 10;
// The largest log entry data a member accepts from a peer.
inline constexpr size_t kMaxEntryDataBytes = kMaxCommandBytesCeiling + kEntryOverheadBytes;
// Every gRPC message to or from a member's port, peers' and clients' alike. A MSG_APP carries
// at least one entry, so it must fit the largest; several smaller entries are bounded by the
// core's max_size_per_msg, which a group keeps at or below half of kMaxCommandBytesCeiling
// (protobuf framing of many tiny entries adds up to half again).
inline constexpr size_t kMaxMessageBytes = kMaxEntryDataBytes + (size_t{64} << 10);

}  // namespace warren::raft
