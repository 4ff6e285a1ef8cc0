#include "metastore/client/endpoints_flag.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, endpoints, "", "HOST:PORT,... of the members (default: $WARREN_ENDPOINTS)");
ABSL_FLAG(std::string, tls_ca, "", "TLS: PEM file of the CA that signs the members' certificates");
ABSL_FLAG(std::string, tls_cert, "",
          "TLS: PEM file of this client's certificate, if asked for one");
ABSL_FLAG(std::string, tls_key, "", "TLS: PEM file of that certificate's private key");

namespace warren::metastore {

absl::StatusOr<std::vector<std::string>> EndpointsFromFlag() {
  std::string endpoints = absl::GetFlag(FLAGS_endpoints);
  if (endpoints.empty() && std::getenv("WARREN_ENDPOINTS") != nullptr) {
    endpoints = std::getenv("WARREN_ENDPOINTS");
  }
  std::vector<std::string> out = absl::StrSplit(endpoints, ',', absl::SkipEmpty());
  if (out.empty()) {
    return absl::InvalidArgumentError("--endpoints (or $WARREN_ENDPOINTS) is required");
  }
  return out;
}

absl::StatusOr<TlsFiles> TlsFromFlags() {
  TlsFiles tls;
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  if (!tls.enabled()) return tls;
  if (auto s = tls.CheckForClient(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-ca/--tls-cert/--tls-key: ", s.message()));
  }
  return tls;
}

}  // namespace warren::metastore
