#include "metastore/client/endpoints_flag.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, endpoints, "", "HOST:PORT,... of the members (default: $WARREN_ENDPOINTS)");

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

}  // namespace warren::metastore
