#include "metastore/validate.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "metastore/acl.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/quota.h"

namespace warren::metastore {
namespace {

absl::Status BadArguments(std::string_view path, std::string_view why) {
  return MetaError(metastorepb::BAD_ARGUMENTS,
                   absl::StrCat(std::string(path), " (", std::string(why), ")"));
}

// A path as an error message names it: long ones cut short.
std::string Abbreviated(std::string_view path) {
  if (path.size() <= 64) return std::string(path);
  return absl::StrCat(std::string(path.substr(0, 64)), "...");
}

absl::Status ValidateData(const std::string& data, std::string_view path, const Limits& limits) {
  if (data.size() <= limits.max_data_bytes) return absl::OkStatus();
  return BadArguments(
      path, absl::StrCat("data is ", data.size(), " bytes; the limit is ", limits.max_data_bytes));
}

// Below /zookeeper, clients write only the quota nodes (metastore/quota.h).
absl::Status NotSystem(std::string_view path) {
  if (!IsSystemPath(path) || IsQuotaPath(path)) return absl::OkStatus();
  return BadArguments(path,
                      "/zookeeper and what lies below it are the system's, read-only, but for "
                      "the quotas below /zookeeper/quota");
}

absl::Status ValidateCreate(const metastorepb::CreateRequest& c, const Limits& limits) {
  // A sequential path gets a counter appended, so "/a/" is a valid sequential prefix.
  if (auto s = ValidatePath(c.sequential() ? c.path() + "1" : c.path()); !s.ok()) return s;
  if (auto s = NotSystem(c.path()); !s.ok()) return s;
  if (c.container() && (c.ephemeral() || c.sequential() || c.ttl_ms() != 0)) {
    return BadArguments(c.path(), "a container node cannot be ephemeral, sequential or TTL");
  }
  if (c.ttl_ms() < 0 || c.ttl_ms() > limits.max_ttl_ms) {
    return BadArguments(c.path(),
                        absl::StrCat("ttl ", c.ttl_ms(), " ms is outside 1..", limits.max_ttl_ms));
  }
  if (c.ttl_ms() > 0 && c.ephemeral()) {
    return BadArguments(c.path(), "a TTL node cannot be ephemeral");
  }
  if (auto s = ValidateAcl(c.acl(), c.path()); !s.ok()) return s;  // empty: the default
  return ValidateData(c.data(), c.path(), limits);
}

absl::Status ValidateSetAcl(const metastorepb::SetAclRequest& a) {
  if (auto s = ValidatePath(a.path()); !s.ok()) return s;
  if (auto s = ValidateVersion(a.has_version(), a.version(), a.path()); !s.ok()) return s;
  // ZooKeeper's rule: a node's ACL is never set to nothing (create's empty list is a default).
  if (a.acl().empty()) {
    return MetaError(metastorepb::INVALID_ACL, absl::StrCat(a.path(), " (an empty ACL)"));
  }
  return ValidateAcl(a.acl(), a.path());
}

// The path an op names, and the bytes a sequential create appends to it.
std::pair<std::string_view, size_t> PathOf(const metastorepb::Op& op) {
  switch (op.op_case()) {
    case metastorepb::Op::kCreate:
      return {op.create().path(), op.create().sequential() ? kSequentialSuffixBytes : 0};
    case metastorepb::Op::kDelete:
      return {op.delete_().path(), 0};
    case metastorepb::Op::kSetData:
      return {op.set_data().path(), 0};
    case metastorepb::Op::kCheck:
      return {op.check().path(), 0};
    case metastorepb::Op::kSetAcl:
      return {op.set_acl().path(), 0};
    case metastorepb::Op::OP_NOT_SET:
      break;
  }
  return {"/", 0};  // ValidateClientCommand refuses it
}

}  // namespace

absl::Status ValidateVersion(bool has_version, int32_t version, std::string_view path) {
  if (!has_version || version >= -1) return absl::OkStatus();
  return BadArguments(path, absl::StrCat("version ", version, " (use -1 for any)"));
}

absl::Status ValidateOp(const metastorepb::Op& op, const Limits& limits) {
  switch (op.op_case()) {
    case metastorepb::Op::kCreate:
      return ValidateCreate(op.create(), limits);
    case metastorepb::Op::kDelete: {
      const auto& d = op.delete_();
      if (auto s = ValidatePath(d.path()); !s.ok()) return s;
      if (d.path() == "/") return BadArguments("/", "the root cannot be deleted");
      if (auto s = NotSystem(d.path()); !s.ok()) return s;
      return ValidateVersion(d.has_version(), d.version(), d.path());
    }
    case metastorepb::Op::kSetData: {
      const auto& s = op.set_data();
      if (auto st = ValidatePath(s.path()); !st.ok()) return st;
      if (auto st = NotSystem(s.path()); !st.ok()) return st;
      if (auto st = ValidateVersion(s.has_version(), s.version(), s.path()); !st.ok()) return st;
      return ValidateData(s.data(), s.path(), limits);
    }
    case metastorepb::Op::kCheck: {
      const auto& c = op.check();
      if (auto s = ValidatePath(c.path()); !s.ok()) return s;
      return ValidateVersion(c.has_version(), c.version(), c.path());
    }
    case metastorepb::Op::kSetAcl:
      return ValidateSetAcl(op.set_acl());
    default:
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       "an op names none of create, delete, set, check, setACL");
  }
}

absl::Status ValidateClientCommand(const metastorepb::Command& cmd, const Limits& limits) {
  switch (cmd.op_case()) {
    case metastorepb::Command::kMulti: {
      if (auto s = ValidateMulti(cmd.multi(), limits); !s.ok()) return s;
      for (int i = 0; i < cmd.multi().ops_size(); ++i) {
        if (cmd.multi().ops(i).op_case() == metastorepb::Op::OP_NOT_SET) {
          return MetaError(metastorepb::BAD_ARGUMENTS,
                           absl::StrCat("op ", i,
                                        " of the multi names none of create, delete, "
                                        "set, check, setACL"));
        }
      }
      return absl::OkStatus();
    }
    case metastorepb::Command::kCreateSession:
    case metastorepb::Command::kCloseSession:
      return absl::OkStatus();
    case metastorepb::Command::kExpireSessions:
    case metastorepb::Command::kDeleteIdle:
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       "expiring sessions and deleting idle nodes are the leader's own "
                       "housekeeping, not a client's request");
    case metastorepb::Command::OP_NOT_SET:
      break;
  }
  return MetaError(metastorepb::BAD_ARGUMENTS, "the command names no operation");
}

absl::Status ValidateCommandSize(size_t bytes, const Limits& limits) {
  if (bytes <= limits.max_command_bytes) return absl::OkStatus();
  return MetaError(metastorepb::BAD_ARGUMENTS,
                   absl::StrCat("the write is ", bytes, " bytes as a command; the limit is ",
                                limits.max_command_bytes, " (--max-command-bytes)"));
}

absl::Status ValidatePathLimits(std::string_view path, const Limits& limits, size_t suffix) {
  const size_t bytes = path.size() + suffix;
  if (limits.max_path_bytes != 0 && bytes > limits.max_path_bytes) {
    return BadArguments(Abbreviated(path),
                        absl::StrCat("the path is ", bytes, " bytes; the limit is ",
                                     limits.max_path_bytes, " (--max-path-bytes)"));
  }
  const size_t depth =
      path == "/" ? 0 : static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
  if (limits.max_path_depth != 0 && depth > limits.max_path_depth) {
    return BadArguments(Abbreviated(path),
                        absl::StrCat("the path has ", depth, " components; the limit is ",
                                     limits.max_path_depth, " (--max-path-depth)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCommandPaths(const metastorepb::Command& cmd, const Limits& limits) {
  if (!cmd.has_multi()) return absl::OkStatus();
  for (const metastorepb::Op& op : cmd.multi().ops()) {
    const auto [path, suffix] = PathOf(op);
    if (auto s = ValidatePathLimits(path, limits, suffix); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateMulti(const metastorepb::MultiRequest& multi, const Limits& limits) {
  if (static_cast<size_t>(multi.ops_size()) > limits.max_ops_per_multi) {
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat("multi has ", multi.ops_size(), " ops; the limit is ",
                                  limits.max_ops_per_multi));
  }
  return absl::OkStatus();
}

}  // namespace warren::metastore
