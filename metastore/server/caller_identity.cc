#include "metastore/server/caller_identity.h"

#include "absl/strings/str_cat.h"
#include "common/tls.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

metastorepb::Id MakeId(std::string_view scheme, std::string_view id) {
  metastorepb::Id out;
  out.set_scheme(std::string(scheme));
  out.set_id(std::string(id));
  return out;
}

void Add(IdField* ids, metastorepb::Id id) {
  for (const auto& have : *ids) {
    if (have.scheme() == id.scheme() && have.id() == id.id()) return;
  }
  *ids->Add() = std::move(id);
}

}  // namespace

absl::StatusOr<metastorepb::Id> ParseAuthValue(std::string_view value) {
  constexpr std::string_view kDigest = "digest ";
  if (!value.starts_with(kDigest)) {
    const size_t space = value.find(' ');
    return MetaError(
        metastorepb::AUTH_FAILED,
        absl::StrCat(kAuthHeader, ": the scheme '", std::string(value.substr(0, space)),
                     "' is not digest (the form is 'digest USER:PASSWORD')"));
  }
  const std::string_view credentials = value.substr(kDigest.size());
  const size_t colon = credentials.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return MetaError(metastorepb::AUTH_FAILED,
                     absl::StrCat(kAuthHeader, ": digest credentials must be USER:PASSWORD with ",
                                  colon == 0 ? "a user before the colon" : "a colon"));
  }
  return MakeId("digest", DigestId(credentials.substr(0, colon), credentials.substr(colon + 1)));
}

std::string PeerIp(std::string_view peer) {
  const size_t scheme = peer.find(':');
  if (scheme == std::string_view::npos) return "";
  const std::string_view family = peer.substr(0, scheme);
  peer.remove_prefix(scheme + 1);
  if (family == "ipv4") {
    const size_t colon = peer.rfind(':');
    return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
  }
  if (family != "ipv6") return "";
  for (const auto& [open, close] :
       {std::pair<std::string_view, std::string_view>{"[", "]"}, {"%5B", "%5D"}, {"%5b", "%5d"}}) {
    if (!peer.starts_with(open)) continue;
    const size_t end = peer.find(close);
    if (end == std::string_view::npos) return "";
    std::string_view address = peer.substr(open.size(), end - open.size());
    // A zone (fe80::1%eth0, %25 in a URI) is not part of what an ACL can match.
    if (const size_t zone = address.find('%'); zone != std::string_view::npos) {
      address = address.substr(0, zone);
    }
    return std::string(address);
  }
  return "";
}

std::string ClientSubject(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated() || MemberOf(auth).ok()) return "";
  auto values = auth.FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
  return values.empty() ? "" : std::string(values.front().data(), values.front().size());
}

absl::StatusOr<IdField> CallerIdentities(std::string_view peer, const std::string& subject,
                                         const std::vector<std::string_view>& auth_values,
                                         const std::string& super_digest) {
  IdField ids;
  if (std::string ip = PeerIp(peer); !ip.empty()) Add(&ids, MakeId("ip", ip));
  if (!subject.empty()) Add(&ids, MakeId("x509", subject));
  for (std::string_view value : auth_values) {
    auto id = ParseAuthValue(value);
    if (!id.ok()) return id.status();
    const bool super = !super_digest.empty() && id->id() == super_digest;
    Add(&ids, *std::move(id));
    if (super) Add(&ids, MakeId("super", ""));
  }
  return ids;
}

absl::StatusOr<IdField> CallerIdentities(const grpc::CallbackServerContext& ctx,
                                         const std::string& super_digest) {
  std::vector<std::string_view> values;
  const auto& metadata = ctx.client_metadata();
  for (auto [it, end] = metadata.equal_range(kAuthHeader); it != end; ++it) {
    values.emplace_back(it->second.data(), it->second.size());
  }
  const auto auth = ctx.auth_context();
  return CallerIdentities(ctx.peer(), auth == nullptr ? "" : ClientSubject(*auth), values,
                          super_digest);
}

}  // namespace warren::metastore
