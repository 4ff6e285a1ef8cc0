#include "common/tls.h"

#include <fstream>
#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace warren {
namespace {

constexpr char kMemberPrefix[] = "member-";

absl::Status Readable(const std::string& what, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("TLS needs ", what));
  std::ifstream in(path);
  if (!in.good()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the TLS ", what, " ", path));
  }
  return absl::OkStatus();
}

// One provider per set of files while credentials use it: each watches its files on a thread
// of its own.
std::shared_ptr<grpc::experimental::CertificateProviderInterface> Provider(const TlsFiles& files) {
  using Key = std::tuple<std::string, std::string, std::string, unsigned>;
  static std::mutex mu;
  static auto* providers =
      new std::map<Key, std::weak_ptr<grpc::experimental::CertificateProviderInterface>>;
  std::lock_guard lock(mu);
  std::erase_if(*providers, [](const auto& entry) { return entry.second.expired(); });
  auto& weak = (*providers)[Key(files.ca, files.cert, files.key, files.reload_seconds)];
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> p = weak.lock();
  if (p == nullptr) {
    if (files.cert.empty()) {
      p = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.ca, files.reload_seconds);
    } else {
      p = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key, files.cert, files.ca, files.reload_seconds);
    }
    weak = p;
  }
  return p;
}

std::string FirstValue(const grpc::AuthContext& auth, const char* property) {
  auto values = auth.FindPropertyValues(property);
  return values.empty() ? "" : std::string(values.front().data(), values.front().size());
}

}  // namespace

absl::Status TlsFiles::CheckForMember() const {
  for (const auto& [what, path] :
       {std::pair{"CA file", &ca}, {"certificate file", &cert}, {"key file", &key}}) {
    if (auto s = Readable(what, *path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status TlsFiles::CheckForClient() const {
  if (auto s = Readable("CA file", ca); !s.ok()) return s;
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key, and a key its certificate");
  }
  if (cert.empty()) return absl::OkStatus();
  if (auto s = Readable("certificate file", cert); !s.ok()) return s;
  return Readable("key file", key);
}

std::string MemberCommonName(uint64_t id) { return absl::StrCat(kMemberPrefix, id); }

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const TlsFiles& files,
                                                           bool require_client_cert) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions options(Provider(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(require_client_cert
                                    ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                    : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(files));
  options.watch_root_certs();
  if (!files.cert.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<uint64_t> MemberOf(const grpc::AuthContext& auth) {
  const std::string cn = CommonName(auth);
  if (cn.empty()) {
    return absl::UnauthenticatedError("a member's calls must come over TLS with its certificate");
  }
  uint64_t id = 0;
  if (!absl::StartsWith(cn, kMemberPrefix) ||
      !absl::SimpleAtoi(cn.substr(sizeof(kMemberPrefix) - 1), &id) || id == 0 ||
      cn != MemberCommonName(id)) {
    return absl::UnauthenticatedError(
        absl::StrCat("the certificate of CN '", cn, "' names no member (CN member-<id>)"));
  }
  return id;
}

std::string CommonName(const grpc::AuthContext& auth) {
  return auth.IsPeerAuthenticated() ? FirstValue(auth, GRPC_X509_CN_PROPERTY_NAME) : "";
}

}  // namespace warren
