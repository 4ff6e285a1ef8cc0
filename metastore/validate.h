#pragma once

#include <cstdint>
#include <string_view>

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
  // The largest write, serialized as the command the leader proposes (all ops of a multi
  // together, with their paths and data). Room for a few nodes of max_data_bytes, as
  // ZooKeeper's jute.maxbuffer bounds a whole request; at most 64 MiB, what a member's port
  // accepts (raft::kMaxCommandBytesCeiling).
  size_t max_command_bytes = size_t{4} << 20;
  // A znode path's bytes and components, checked on every request that names a path, before
  // anything is proposed or read (never when a write applies, so members that disagree on
  // them still apply the same log). A sequential node's path counts with its 10-digit
  // suffix. 0: no bound. Far above what Kafka, BookKeeper, Curator or Flink write
  // (docs/operations.md, Limits).
  size_t max_path_bytes = 4096;
  size_t max_path_depth = 128;
  // Children one node may have: a create beyond it is refused when it applies. The leader
  // stamps its own value into each write (Command.max_children), so every member judges a
  // create against the same number. 0: no bound.
  uint64_t max_children_per_node = 1'000'000;
};

// How much of max_command_bytes a node's path and the command's own fields may need beside
// max_data_bytes of data.
inline constexpr size_t kCommandRoomBytes = 1024;

// Checks everything about a write op that does not depend on the tree or on who sent it: the
// path (with the sequential suffix rule), the data size, the version, the create flags and
// each ACL entry (acl.h). The errors are InvalidPath, BadArguments and InvalidACL; the tree
// checks the rest when it applies the op, permissions and `auth` entries among it.
absl::Status ValidateOp(const metastorepb::Op& op, const Limits& limits);
// A multi's op count; its ops are checked one by one as they apply, so that the failing op
// gets its own result.
absl::Status ValidateMulti(const metastorepb::MultiRequest& multi, const Limits& limits);
// What a client may have proposed: a multi (one op or many, each a create, delete, setData,
// check or setACL) or opening or closing a session. Expiring sessions and deleting idle nodes are
// the leader's own housekeeping, which its session tracker proposes without passing here; from a
// client they are BadArguments, as is an op this server does not know.
absl::Status ValidateClientCommand(const metastorepb::Command& cmd, const Limits& limits);
// What a sequential create appends to its path: a 10-digit counter.
inline constexpr size_t kSequentialSuffixBytes = 10;
// A path against max_path_bytes and max_path_depth (BadArguments naming the flag). `suffix`:
// bytes a sequential create appends.
absl::Status ValidatePathLimits(std::string_view path, const Limits& limits, size_t suffix = 0);
// Every path a client's write names (its multi's ops), against the path limits.
absl::Status ValidateCommandPaths(const metastorepb::Command& cmd, const Limits& limits);
// A command of `bytes`, serialized, against max_command_bytes (BadArguments).
absl::Status ValidateCommandSize(size_t bytes, const Limits& limits);
// -1 (or absent) means any version; anything else below 0 is BadArguments.
absl::Status ValidateVersion(bool has_version, int32_t version, std::string_view path);

}  // namespace warren::metastore
