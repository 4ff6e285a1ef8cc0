#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warren::metastore {

// The quorum a command-line program talks to: its --endpoints=HOST:PORT,... flag (defined
// here, for every program that links this), or else $WARREN_ENDPOINTS. InvalidArgument if
// neither names a member.
absl::StatusOr<std::vector<std::string>> EndpointsFromFlag();

}  // namespace warren::metastore
