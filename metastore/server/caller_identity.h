#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/acl.h"

namespace grpc {
class AuthContext;
class CallbackServerContext;
}  // namespace grpc

// Who a gRPC caller is to the znode ACLs, worked out by the member from the call itself and
// never taken from a request's body: the identities a write carries (Command.auth) and a read
// asks with (Query.auth), as the ZooKeeper port gives its connections.
namespace warren::metastore {

// The call metadata that carries digest credentials, one `digest USER:PASSWORD` per value
// (several values: several identities, as several `addauth`s).
inline constexpr char kAuthHeader[] = "warren-auth";

// The identity a `warren-auth` value proves: digest:USER:<base64 sha1> (DigestId). The form
// is `digest USER:PASSWORD`, USER not empty and the password everything after the first
// colon; AUTH_FAILED naming what is wrong with any other.
absl::StatusOr<metastorepb::Id> ParseAuthValue(std::string_view value);

// The address of a gRPC peer (`ipv4:1.2.3.4:5`, `ipv6:[::1]:5`, also `%5B::1%5D` as newer
// gRPC spells it) without its port: what an ip ACL is matched with. Empty if it is no IP
// peer (a unix socket).
std::string PeerIp(std::string_view peer);

// The subject of the verified client certificate of the call, as RFC 2253 text (most
// specific first, e.g. `CN=alice,O=example`; gRPC's x509_subject property). Empty if the call
// is not over TLS, presented no certificate, or presented a member's certificate: a member
// calls on a client's behalf (Forward) and is no client itself.
std::string ClientSubject(const grpc::AuthContext& auth);

// Every identity of the caller: ip:<peer address>; x509:<subject> (ClientSubject) if there
// is one; digest:... for each `warren-auth` value, and super if one matches `super_digest`
// (USER:<base64 sha1>, warrend --super-digest; empty: no superuser). AUTH_FAILED if a
// `warren-auth` value is malformed: refused, never ignored.
absl::StatusOr<IdField> CallerIdentities(const grpc::CallbackServerContext& ctx,
                                         const std::string& super_digest);
// The same from its parts (for tests).
absl::StatusOr<IdField> CallerIdentities(std::string_view peer, const std::string& subject,
                                         const std::vector<std::string_view>& auth_values,
                                         const std::string& super_digest);

}  // namespace warren::metastore
