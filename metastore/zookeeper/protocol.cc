#include "metastore/zookeeper/protocol.h"

namespace warren::zookeeper {

bool Read(JuteReader& r, ConnectRequest* out) {
  out->protocol_version = r.Int();
  out->last_zxid_seen = r.Long();
  out->timeout_ms = r.Int();
  out->session_id = r.Long();
  out->password = r.Buffer();
  if (r.ok() && r.remaining() >= 1) {
    out->read_only = r.Bool();
    out->has_read_only = true;
  }
  return r.ok();
}

void Write(JuteWriter& w, const ConnectResponse& c) {
  w.Int(c.protocol_version);
  w.Int(c.timeout_ms);
  w.Long(c.session_id);
  w.Buffer(c.password);
  w.Bool(c.read_only);
}

void WriteReplyHeader(JuteWriter& w, int32_t xid, int64_t zxid, int32_t error) {
  w.Int(xid);
  w.Long(zxid);
  w.Int(error);
}

void WriteStat(JuteWriter& w, const metastorepb::Stat& stat) {
  w.Long(stat.czxid());
  w.Long(stat.mzxid());
  w.Long(stat.ctime());
  w.Long(stat.mtime());
  w.Int(stat.version());
  w.Int(stat.cversion());
  w.Int(stat.aversion());
  w.Long(static_cast<int64_t>(stat.ephemeral_owner()));
  w.Int(stat.data_length());
  w.Int(stat.num_children());
  w.Long(stat.pzxid());
}

void ReadAcls(JuteReader& r, google::protobuf::RepeatedPtrField<metastorepb::Acl>* out) {
  const int32_t n = r.Count(1024);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    metastorepb::Acl* a = out->Add();
    a->set_perms(r.Int());
    a->mutable_id()->set_scheme(r.String());
    a->mutable_id()->set_id(r.String());
  }
}

void WriteAcls(JuteWriter& w, const google::protobuf::RepeatedPtrField<metastorepb::Acl>& acls) {
  w.Int(acls.size());
  for (const metastorepb::Acl& a : acls) {
    w.Int(a.perms());
    w.String(a.id().scheme());
    w.String(a.id().id());
  }
}

void WriteMultiResult(JuteWriter& w, int32_t type) {
  w.Int(type);
  w.Bool(false);
  w.Int(err::kOk);
}

void WriteMultiError(JuteWriter& w, int32_t error) {
  w.Int(op::kError);
  w.Bool(false);
  w.Int(error);
  w.Int(error);  // the ErrorResponse
}

void WriteMultiEnd(JuteWriter& w) {
  w.Int(-1);
  w.Bool(true);
  w.Int(-1);
}

std::string Notification(int64_t zxid, int32_t type, const std::string& path) {
  JuteWriter w;
  WriteReplyHeader(w, xid::kNotification, zxid, err::kOk);
  w.Int(type);
  w.Int(kStateSyncConnected);
  w.String(path);
  return w.Take();
}

int32_t CodeOf(metastorepb::Error e) {
  switch (e) {
    case metastorepb::OK:
      return err::kOk;
    case metastorepb::NO_NODE:
      return err::kNoNode;
    case metastorepb::NODE_EXISTS:
      return err::kNodeExists;
    case metastorepb::BAD_VERSION:
      return err::kBadVersion;
    case metastorepb::NOT_EMPTY:
      return err::kNotEmpty;
    case metastorepb::NO_CHILDREN_FOR_EPHEMERALS:
      return err::kNoChildrenForEphemerals;
    case metastorepb::INVALID_PATH:  // ZooKeeper's server answers a bad path so
    case metastorepb::BAD_ARGUMENTS:
      return err::kBadArguments;
    case metastorepb::SESSION_EXPIRED:
      return err::kSessionExpired;
    case metastorepb::SESSION_MOVED:
      return err::kSessionMoved;
    case metastorepb::NO_AUTH:
      return err::kNoAuth;
    case metastorepb::INVALID_ACL:
      return err::kInvalidAcl;
    case metastorepb::AUTH_FAILED:
      return err::kAuthFailed;
    case metastorepb::QUOTA_EXCEEDED:
      return err::kQuotaExceeded;
    case metastorepb::RUNTIME_INCONSISTENCY:
      return err::kRuntimeInconsistency;
    case metastorepb::OPERATION_TIMEOUT:
      return err::kOperationTimeout;
    case metastorepb::CONNECTION_LOSS:
    case metastorepb::UNAVAILABLE:  // the outcome is unknown, as after a lost connection
    case metastorepb::NOT_LEADER:
    case metastorepb::MEMBER_BEHIND:
    case metastorepb::LEADER_UNREACHABLE:
      return err::kConnectionLoss;
    default:
      return err::kSystemError;
  }
}

}  // namespace warren::zookeeper
