#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"
#include "grpcpp/channel.h"

namespace grpc {
class Server;
class ServerBuilder;
}  // namespace grpc

namespace warren {

// A connection of its own (not shared with other channels in the process) to a member at
// `address`, in plaintext or over TLS with `tls` (common/tls.h), taking messages of up to
// `max_message_bytes` both ways, and reconnecting every second at most after the member comes
// back (not after gRPC's default of up to two minutes).
std::shared_ptr<grpc::Channel> MemberChannel(const std::string& address, int max_message_bytes,
                                             const TlsFiles& tls);

// The other side: a gRPC server on `address`, plaintext or TLS as ServerCredentials(`tls`,
// `require_client_cert`) says, taking messages of up to `max_message_bytes` both ways and
// serving what `add` registers on its builder. Unavailable naming the address if it cannot
// listen there.
absl::StatusOr<std::unique_ptr<grpc::Server>> ServeGrpc(
    const std::string& address, const TlsFiles& tls, bool require_client_cert,
    int max_message_bytes, const std::function<void(grpc::ServerBuilder&)>& add);

// How long to wait before attempt `attempt` + 1 of a request to a group whose leader may be
// changing: 25 ms doubling to at most 250 ms, with ±20% jitter so that clients do not retry in
// step. The cap is low because a new leader is usually there within an election timeout
// (0.5-1 s): a client sleeping a second past that was most of the write outage and restart
// time that bench/compare.sh measured.
absl::Duration RetryBackoff(int attempt);

// Waits until `channel` is connected (true), or is known not to connect — refused, or still
// trying at `deadline` (false). Clients send a write only on a connected channel, so that a
// member they could not reach is known not to have it: the next attempt is then not a retry,
// which a cluster that has forgotten the client would refuse as possibly applied. (Asking
// for the state alone is not enough: with no watcher, gRPC 1.51 drops the attempt.)
bool ConnectChannel(grpc::Channel& channel, absl::Time deadline);

}  // namespace warren
