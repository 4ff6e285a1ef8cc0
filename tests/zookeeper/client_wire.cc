// Request frames and reply decoding as ZooKeeper's clients do them (zookeeper.jute,
// MultiResponse.deserialize, ClientCnxn.readResponse).
#include "tests/zookeeper/client_wire.h"

#include "absl/strings/str_cat.h"

namespace warren::zookeeper::testing {

std::string ConnectFrame(const ConnectArgs& c) {
  JuteWriter w;
  w.Int(c.protocol_version);
  w.Long(c.last_zxid_seen);
  w.Int(c.timeout_ms);
  w.Long(c.session_id);
  w.Buffer(c.password);
  if (c.read_only.has_value()) w.Bool(*c.read_only);
  return w.Take();
}

std::string RequestFrame(int32_t xid, int32_t type, std::string_view record) {
  JuteWriter w;
  w.Int(xid);
  w.Int(type);
  return w.Take() + std::string(record);
}

std::vector<AclEntry> OpenAcl() { return {AclEntry{31, "world", "anyone"}}; }

void WriteAclEntries(JuteWriter& w, const std::vector<AclEntry>& acl) {
  w.Int(static_cast<int32_t>(acl.size()));
  for (const AclEntry& a : acl) {
    w.Int(a.perms);
    w.String(a.scheme);
    w.String(a.id);
  }
}

std::string CreateRecord(std::string_view path, std::string_view data, int32_t flags,
                         const std::vector<AclEntry>& acl, std::optional<int64_t> ttl) {
  JuteWriter w;
  w.String(path);
  w.Buffer(data);
  WriteAclEntries(w, acl);
  w.Int(flags);
  if (ttl.has_value()) w.Long(*ttl);
  return w.Take();
}

std::string PathWatchRecord(std::string_view path, bool watch) {
  JuteWriter w;
  w.String(path);
  w.Bool(watch);
  return w.Take();
}

std::string PathVersionRecord(std::string_view path, int32_t version) {
  JuteWriter w;
  w.String(path);
  w.Int(version);
  return w.Take();
}

std::string SetDataRecord(std::string_view path, std::string_view data, int32_t version) {
  JuteWriter w;
  w.String(path);
  w.Buffer(data);
  w.Int(version);
  return w.Take();
}

std::string PathRecord(std::string_view path) {
  JuteWriter w;
  w.String(path);
  return w.Take();
}

std::string SetWatchesRecord(int64_t relative_zxid, const WatchLists& lists, bool two) {
  JuteWriter w;
  w.Long(relative_zxid);
  w.Strings(lists.data);
  w.Strings(lists.exist);
  w.Strings(lists.child);
  if (two) {
    w.Strings(lists.persistent);
    w.Strings(lists.recursive);
  }
  return w.Take();
}

std::string AddWatchRecord(std::string_view path, int32_t mode) {
  JuteWriter w;
  w.String(path);
  w.Int(mode);
  return w.Take();
}

std::string WatcherRecord(std::string_view path, int32_t watcher_type) {
  return PathVersionRecord(path, watcher_type);  // {ustring path; int type}
}

std::string AuthRecord(std::string_view scheme, std::string_view auth) {
  JuteWriter w;
  w.Int(0);
  w.String(scheme);
  w.Buffer(auth);
  return w.Take();
}

std::string SetAclRecord(std::string_view path, const std::vector<AclEntry>& acl, int32_t version) {
  JuteWriter w;
  w.String(path);
  WriteAclEntries(w, acl);
  w.Int(version);
  return w.Take();
}

std::string MultiRecord(const std::vector<MultiOp>& ops) {
  JuteWriter w;
  std::string out;
  for (const MultiOp& op : ops) {
    w.Int(op.type);
    w.Bool(false);
    w.Int(-1);
    out += w.Take() + op.record;
    w = JuteWriter();
  }
  w.Int(-1);
  w.Bool(true);
  w.Int(-1);
  return out + w.Take();
}

Stat ReadStat(JuteReader& r) {
  Stat s;
  s.czxid = r.Long();
  s.mzxid = r.Long();
  s.ctime = r.Long();
  s.mtime = r.Long();
  s.version = r.Int();
  s.cversion = r.Int();
  s.aversion = r.Int();
  s.ephemeral_owner = r.Long();
  s.data_length = r.Int();
  s.num_children = r.Int();
  s.pzxid = r.Long();
  return s;
}

bool ParseConnectReply(std::string_view frame, ConnectReply* out) {
  JuteReader r(frame);
  out->protocol_version = r.Int();
  out->timeout_ms = r.Int();
  out->session_id = r.Long();
  out->password = r.Buffer();
  out->read_only.reset();
  if (r.ok() && r.remaining() == 1) out->read_only = r.Bool();
  return r.ok() && r.done();
}

bool ParseReply(std::string_view frame, Reply* out) {
  JuteReader r(frame);
  out->xid = r.Int();
  out->zxid = r.Long();
  out->err = r.Int();
  if (!r.ok()) return false;
  out->body = std::string(frame.substr(16));
  return true;
}

bool ParseEvent(const Reply& reply, Event* out) {
  JuteReader r(reply.body);
  out->zxid = reply.zxid;
  out->type = r.Int();
  out->state = r.Int();
  out->path = r.String();
  return reply.xid == xid::kNotification && reply.err == err::kOk && r.ok() && r.done();
}

namespace {

// One result of a MultiResponse, after its MultiHeader (as MultiResponse.deserialize).
std::string ReadResult(int32_t type, int32_t header_err, JuteReader& r, OpResult* out) {
  out->type = type;
  switch (type) {
    case op::kCreate:
      out->path = r.String();
      break;
    case op::kCreate2:
      out->path = r.String();
      out->stat = ReadStat(r);
      break;
    case op::kDelete:
    case op::kCheck:
      break;
    case op::kSetData:
      out->stat = ReadStat(r);
      break;
    case op::kGetChildren:
      out->children = r.Strings();
      break;
    case op::kGetData:
      out->data = r.Buffer();
      out->stat = ReadStat(r);
      break;
    case op::kError:
      out->err = r.Int();
      if (r.ok() && out->err != header_err) {
        return absl::StrCat("an error result says ", out->err, " in its body and ", header_err,
                            " in its header");
      }
      break;
    default:
      // What ZooKeeper's client does: IOException, the connection is lost.
      return absl::StrCat("Invalid type ", type, " in MultiResponse");
  }
  return "";
}

std::string ReadMulti(JuteReader& r, std::vector<OpResult>* results) {
  for (size_t i = 0; i < 100000; ++i) {
    const int32_t type = r.Int();
    const bool done = r.Bool();
    const int32_t header_err = r.Int();
    if (!r.ok()) return "a MultiResponse cut short";
    if (done) {
      if (type != -1 || header_err != -1) {
        return absl::StrCat("a MultiResponse ends with {", type, ", true, ", header_err,
                            "}, not {-1, true, -1}");
      }
      return "";
    }
    OpResult result;
    if (std::string why = ReadResult(type, header_err, r, &result); !why.empty()) return why;
    results->push_back(std::move(result));
  }
  return "a MultiResponse without an end";
}

}  // namespace

std::string DecodeBody(int32_t type, std::string_view body, Body* out) {
  JuteReader r(body);
  switch (type) {
    case op::kCreate:
    case op::kSync:
      out->path = r.String();
      break;
    case op::kCreate2:
    case op::kCreateContainer:
    case op::kCreateTtl:
      out->path = r.String();
      out->stat = ReadStat(r);
      break;
    case op::kExists:
    case op::kSetData:
    case op::kSetAcl:
      out->stat = ReadStat(r);
      break;
    case op::kGetAcl: {
      const int32_t n = r.Count();
      for (int32_t i = 0; i < n && r.ok(); ++i) {
        AclEntry a;
        a.perms = r.Int();
        a.scheme = r.String();
        a.id = r.String();
        out->acl.push_back(std::move(a));
      }
      out->stat = ReadStat(r);
      break;
    }
    case op::kGetData:
      out->data = r.Buffer();
      out->stat = ReadStat(r);
      break;
    case op::kGetChildren:
    case op::kGetEphemerals:
      out->children = r.Strings();
      break;
    case op::kGetChildren2:
      out->children = r.Strings();
      out->stat = ReadStat(r);
      break;
    case op::kGetAllChildrenNumber:
      out->number = r.Int();
      break;
    case op::kAddWatch:
      // ZooKeeper answers ErrorResponse(0), and its client reads it (ZooKeeper.addWatch).
      out->number = r.Int();
      break;
    case op::kWhoAmI: {
      const int32_t n = r.Count();
      for (int32_t i = 0; i < n && r.ok(); ++i) {
        std::string scheme = r.String();
        std::string user = r.String();
        out->who.emplace_back(std::move(scheme), std::move(user));
      }
      break;
    }
    case op::kMulti:
    case op::kMultiRead:
      if (std::string why = ReadMulti(r, &out->results); !why.empty()) return why;
      break;
    case op::kDelete:
    case op::kCheck:
    case op::kPing:
    case op::kSetWatches:
    case op::kSetWatches2:
    case op::kCheckWatches:
    case op::kRemoveWatches:
    case op::kCloseSession:
    case op::kAuth:
      break;
    default:
      return absl::StrCat("no OK reply is expected for a request of type ", type);
  }
  if (!r.ok()) return absl::StrCat("the reply to type ", type, " is cut short");
  if (!r.done()) {
    return absl::StrCat("the reply to type ", type, " has ", r.remaining(), " bytes left over");
  }
  return "";
}

}  // namespace warren::zookeeper::testing
