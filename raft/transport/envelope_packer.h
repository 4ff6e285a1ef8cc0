#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "proto/raft_service.pb.h"

namespace warren::raft {

// Messages waiting for a peer, each with its group.
using MessageQueue = std::deque<std::pair<std::string, raftpb::Message>>;

// Takes every message out of `queue` into envelopes, in order: one envelope per run of one
// group's messages, none of them larger than `max_bytes` serialized. A message that would not
// fit an envelope of its own is dropped (counted in `*dropped`): no member could receive it,
// and trying would break the stream for every other message.
std::vector<raftpb::Envelope> PackEnvelopes(MessageQueue* queue, size_t max_bytes, size_t* dropped);

}  // namespace warren::raft
