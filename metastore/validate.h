#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "proto/metastore.pb.h"

namespace warren::metastore {

// What a request may ask for; the same on every member.
struct Limits {
  size_t max_data_bytes = 1 << 20;
  int64_t min_session_timeout_ms = 2000;
  int64_t max_session_timeout_ms = 60000;
  int64_t max_ttl_ms = int64_t{1} << 40;  // as ZooKeeper's TTL bound, about 35 years
  size_t max_ops_per_multi = 1000;
};

// Checks everything about a write op that does not depend on the tree: the path (with the
// sequential suffix rule), the data size, the version and the create flags. The errors are
// InvalidPath and BadArguments; the tree checks the rest when it applies the op.
absl::Status ValidateOp(const metastorepb::Op& op, const Limits& limits);
// A multi's op count; its ops are checked one by one as they apply, so that the failing op
// gets its own result.
absl::Status ValidateMulti(const metastorepb::MultiRequest& multi, const Limits& limits);
// -1 (or absent) means any version; anything else below 0 is BadArguments.
absl::Status ValidateVersion(bool has_version, int32_t version, std::string_view path);

}  // namespace warren::metastore
