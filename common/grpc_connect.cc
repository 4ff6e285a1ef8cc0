#include "common/grpc_connect.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace warren {

std::shared_ptr<grpc::Channel> MemberChannel(const std::string& address, int max_message_bytes,
                                             const TlsFiles& tls) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // Also how long a connection attempt may take (gRPC's minimum connect timeout): a TCP
  // connect on a LAN takes far less than 100 ms, a TLS handshake on a busy member may not.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, tls.enabled() ? 2000 : 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, ChannelCredentials(tls), args);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> ServeGrpc(
    const std::string& address, const TlsFiles& tls, bool require_client_cert,
    int max_message_bytes, const std::function<void(grpc::ServerBuilder&)>& add) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, ServerCredentials(tls, require_client_cert), &port);
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  add(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (in use, or not a host:port?)"));
  }
  return server;
}

absl::Duration RetryBackoff(int attempt) {
  const absl::Duration base =
      std::min(absl::Milliseconds(25) * (1 << std::min(attempt, 4)), absl::Milliseconds(250));
  return base * absl::Uniform(absl::BitGen(), 0.8, 1.2);
}

bool ConnectChannel(grpc::Channel& channel, absl::Time deadline) {
  while (true) {
    grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel.WaitForStateChange(state, absl::ToChronoTime(deadline))) return false;
  }
}

}  // namespace warren
