#include "metastore/client/endpoints_flag.h"

#include <cstdlib>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, endpoints, "", "HOST:PORT,... of the members (default: $WARREN_ENDPOINTS)");
ABSL_FLAG(std::string, tls_ca, "", "TLS: PEM file of the CA that signs the members' certificates");
ABSL_FLAG(std::string, tls_cert, "",
          "TLS: PEM file of this client's certificate, if asked for one");
ABSL_FLAG(std::string, tls_key, "", "TLS: PEM file of that certificate's private key");
ABSL_FLAG(std::string, auth, "",
          "digest:USER:PASSWORD: the identity digest:USER:<base64 sha1> for the znode ACLs "
          "(visible in ps: prefer --auth-file or $WARREN_AUTH)");
ABSL_FLAG(std::string, auth_file, "", "a file whose first line is digest:USER:PASSWORD, as --auth");

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

absl::StatusOr<std::string> DigestFromFlags() {
  std::string auth = absl::GetFlag(FLAGS_auth);
  std::string from = "--auth";
  if (const std::string file = absl::GetFlag(FLAGS_auth_file); !file.empty()) {
    if (!auth.empty()) return absl::InvalidArgumentError("give --auth or --auth-file, not both");
    std::ifstream in(file);
    if (!in.good()) return absl::InvalidArgumentError("cannot read --auth-file " + file);
    std::getline(in, auth);
    if (!auth.empty() && auth.back() == '\r') auth.pop_back();
    from = "--auth-file " + file;
  } else if (auth.empty() && std::getenv("WARREN_AUTH") != nullptr) {
    auth = std::getenv("WARREN_AUTH");
    from = "$WARREN_AUTH";
  }
  if (auth.empty()) return auth;
  constexpr char kScheme[] = "digest:";
  const std::string credentials = auth.substr(std::min(auth.size(), sizeof(kScheme) - 1));
  if (auth.rfind(kScheme, 0) != 0 || credentials.find(':') == std::string::npos ||
      credentials.front() == ':') {
    return absl::InvalidArgumentError(
        absl::StrCat(from, ": the form is digest:USER:PASSWORD (digest is the only scheme)"));
  }
  return credentials;
}

}  // namespace warren::metastore
