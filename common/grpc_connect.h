#pragma once

#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace warren {

// Waits until `channel` is connected (true), or is known not to connect — refused, or still
// trying at `deadline` (false). Clients send a write only on a connected channel, so that a
// member they could not reach is known not to have it: the next attempt is then not a retry,
// which a cluster that has forgotten the client would refuse as possibly applied. (Asking
// for the state alone is not enough: with no watcher, gRPC 1.51 drops the attempt.)
bool ConnectChannel(grpc::Channel& channel, absl::Time deadline);

}  // namespace warren
