#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace grpc {
class AuthContext;
class ChannelCredentials;
class ServerCredentials;
}  // namespace grpc

namespace warren {

// Where a process finds its TLS material, as PEM files. All empty: plaintext. gRPC reads the
// files again every `reload_seconds`, so a certificate replaced on disk is served (and
// presented) from then on, without a restart; connections already open keep the old one.
struct TlsFiles {
  std::string ca;    // the CA certificate(s) that sign the other side's certificate
  std::string cert;  // this process's certificate (chain)
  std::string key;   // its private key
  // A directory of certificate revocation lists (PEM, named by the hash of their issuer, as
  // `openssl rehash` names them); a certificate they revoke is refused. Empty: none.
  std::string crl_dir;
  unsigned reload_seconds = 60;

  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
  // A member needs all three; a client, `ca`, and `cert` with `key` or neither. Each named
  // file must be readable; the error names the one that is not.
  absl::Status CheckForMember() const;
  absl::Status CheckForClient() const;
};

// A member's certificate names it in its subject's common name: `member-<id>`.
std::string MemberCommonName(uint64_t id);

// What a member's listener accepts. Plaintext if `files` is not enabled; otherwise TLS, asking
// every client for a certificate signed by `files.ca`, and refusing a client without one if
// `require_client_cert` (a peer's certificate is checked per call: MemberOf).
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const TlsFiles& files,
                                                           bool require_client_cert);

// How to reach a member: plaintext if `files` is not enabled; otherwise TLS, checking that the
// member's certificate is signed by `files.ca` and names the host or address dialled (as a
// subject alternative name), and presenting `files.cert` if there is one.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const TlsFiles& files);

// The member whose certificate the other side of a call presented and the listener verified:
// its id, from a common name `member-<id>`. Unauthenticated if the call is not over TLS, has
// no certificate, or one naming no member.
absl::StatusOr<uint64_t> MemberOf(const grpc::AuthContext& auth);

// The common name of the verified certificate the other side presented; empty if none.
std::string CommonName(const grpc::AuthContext& auth);

}  // namespace warren
