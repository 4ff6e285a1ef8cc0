#include "common/grpc_connect.h"

namespace warren {

bool ConnectChannel(grpc::Channel& channel, absl::Time deadline) {
  while (true) {
    grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel.WaitForStateChange(state, absl::ToChronoTime(deadline))) return false;
  }
}

}  // namespace warren
