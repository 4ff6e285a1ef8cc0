#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace warren::raft {

// Makes sure `dir` belongs to member `id` of group `group`: a new directory is stamped with
// both; an existing one must carry the same, or FailedPrecondition says whose it is.
absl::Status ClaimDataDir(const std::string& dir, const std::string& group, uint64_t id);

}  // namespace warren::raft
