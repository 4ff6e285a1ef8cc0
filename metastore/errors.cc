#include "metastore/errors.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warren::metastore {
namespace {

constexpr char kPayloadUrl[] = "type.googleapis.com/warren.metastorepb.Error";

absl::StatusCode CodeFor(metastorepb::Error e) {
  switch (e) {
    case metastorepb::OK:
      return absl::StatusCode::kOk;
    case metastorepb::NO_NODE:
      return absl::StatusCode::kNotFound;
    case metastorepb::NODE_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case metastorepb::INVALID_PATH:
    case metastorepb::BAD_ARGUMENTS:
      return absl::StatusCode::kInvalidArgument;
    case metastorepb::CONNECTION_LOSS:
    case metastorepb::UNAVAILABLE:
    case metastorepb::NOT_LEADER:
    case metastorepb::MEMBER_BEHIND:
    case metastorepb::LEADER_UNREACHABLE:
      return absl::StatusCode::kUnavailable;
    case metastorepb::RUNTIME_INCONSISTENCY:
      return absl::StatusCode::kAborted;
    case metastorepb::OPERATION_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case metastorepb::SYSTEM_ERROR:
      return absl::StatusCode::kInternal;
    case metastorepb::NO_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case metastorepb::INVALID_ACL:
      return absl::StatusCode::kInvalidArgument;
    case metastorepb::AUTH_FAILED:
      return absl::StatusCode::kUnauthenticated;
    case metastorepb::QUOTA_EXCEEDED:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

const char* ErrorName(metastorepb::Error e) {
  switch (e) {
    case metastorepb::OK:
      return "OK";
    case metastorepb::NO_NODE:
      return "NoNode";
    case metastorepb::NODE_EXISTS:
      return "NodeExists";
    case metastorepb::BAD_VERSION:
      return "BadVersion";
    case metastorepb::NOT_EMPTY:
      return "NotEmpty";
    case metastorepb::NO_CHILDREN_FOR_EPHEMERALS:
      return "NoChildrenForEphemerals";
    case metastorepb::INVALID_PATH:
      return "InvalidPath";
    case metastorepb::BAD_ARGUMENTS:
      return "BadArguments";
    case metastorepb::SESSION_EXPIRED:
      return "SessionExpired";
    case metastorepb::SESSION_MOVED:
      return "SessionMoved";
    case metastorepb::CONNECTION_LOSS:
      return "ConnectionLoss";
    case metastorepb::UNAVAILABLE:
      return "Unavailable";
    case metastorepb::NOT_LEADER:
      return "NotLeader";
    case metastorepb::RUNTIME_INCONSISTENCY:
      return "RuntimeInconsistency";
    case metastorepb::OPERATION_TIMEOUT:
      return "OperationTimeout";
    case metastorepb::MEMBER_BEHIND:
      return "MemberBehind";
    case metastorepb::LEADER_UNREACHABLE:
      return "LeaderUnreachable";
    case metastorepb::NO_AUTH:
      return "NoAuth";
    case metastorepb::INVALID_ACL:
      return "InvalidACL";
    case metastorepb::AUTH_FAILED:
      return "AuthFailed";
    case metastorepb::QUOTA_EXCEEDED:
      return "QuotaExceeded";
    default:
      return "SystemError";
  }
}

absl::Status MetaError(metastorepb::Error e, std::string_view detail) {
  return FromWire(e, absl::StrCat(ErrorName(e), ": ", std::string(detail)));
}

metastorepb::Error ErrorOf(const absl::Status& s) {
  if (s.ok()) return metastorepb::OK;
  int value = 0;
  auto payload = s.GetPayload(kPayloadUrl);
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &value) &&
      metastorepb::Error_IsValid(value)) {
    return static_cast<metastorepb::Error>(value);
  }
  return metastorepb::SYSTEM_ERROR;
}

metastorepb::ResponseHeader ErrorHeader(const absl::Status& s) {
  metastorepb::ResponseHeader h;
  SetError(s, &h);
  return h;
}

std::string SessionLabel(uint64_t session) {
  return absl::StrCat("session 0x", absl::Hex(session));
}

absl::Status FromWire(metastorepb::Error e, std::string_view message) {
  if (e == metastorepb::OK) return absl::OkStatus();
  absl::Status s(CodeFor(e), std::string(message));
  s.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(e))));
  return s;
}

}  // namespace warren::metastore
