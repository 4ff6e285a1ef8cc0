#include "metastore/import/zk_records.h"

#include "absl/strings/str_cat.h"

namespace warren::metastore::import {

using zookeeper::JuteReader;

bool IsTtlOwner(int64_t owner) {
  const auto u = static_cast<uint64_t>(owner);
  return (u & kExtendedMask) == kExtendedMask && (u & kReservedBitsMask) == 0;
}

int64_t TtlOwner(int64_t ttl_ms) {
  return static_cast<int64_t>(kExtendedMask | (static_cast<uint64_t>(ttl_ms) & kTtlMask));
}

void ReadAcls(JuteReader& r, std::vector<ZkAcl>* out) {
  const int32_t n = r.Count();
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    ZkAcl a;
    a.perms = r.Int();
    a.scheme = r.String();
    a.id = r.String();
    out->push_back(std::move(a));
  }
}

ZkStat ReadStatPersisted(JuteReader& r) {
  ZkStat s;
  s.czxid = r.Long();
  s.mzxid = r.Long();
  s.ctime = r.Long();
  s.mtime = r.Long();
  s.version = r.Int();
  s.cversion = r.Int();
  s.aversion = r.Int();
  s.ephemeral_owner = r.Long();
  s.pzxid = r.Long();
  return s;
}

namespace {

// The body of a transaction of `type`; false if the type is not one a log holds.
bool ReadBody(JuteReader& r, int32_t type, bool in_multi, ZkTxn* t) {
  t->type = type;
  switch (type) {
    case zookeeper::op::kCreate:
    case zookeeper::op::kCreate2: {
      t->path = r.String();
      t->data = r.Buffer();
      ReadAcls(r, &t->acl);
      t->ephemeral = r.Bool();
      // A CreateTxnV0 ends here: no parentCVersion (DataTree then takes cversion + 1).
      if (r.ok() && r.remaining() < 4) return true;
      t->parent_cversion = r.Int();
      return true;
    }
    case zookeeper::op::kCreateContainer:
    case zookeeper::op::kCreateTtl:
      t->path = r.String();
      t->data = r.Buffer();
      ReadAcls(r, &t->acl);
      t->parent_cversion = r.Int();
      if (type == zookeeper::op::kCreateTtl) t->ttl = r.Long();
      return true;
    case zookeeper::op::kDelete:
    case zookeeper::op::kDeleteContainer:
      t->path = r.String();
      return true;
    case zookeeper::op::kReconfig:  // a SetDataTxn of /zookeeper/config, never in a multi
      if (in_multi) return false;
      [[fallthrough]];
    case zookeeper::op::kSetData:
      t->path = r.String();
      t->data = r.Buffer();
      t->version = r.Int();
      return true;
    case zookeeper::op::kCheck:
      t->path = r.String();
      t->version = r.Int();
      return true;
    case zookeeper::op::kError:
      t->err = r.Int();
      return true;
    default:
      break;
  }
  if (in_multi) return false;  // DataTree refuses any other op inside a multi
  switch (type) {
    case zookeeper::op::kSetAcl:
      t->path = r.String();
      ReadAcls(r, &t->acl);
      t->version = r.Int();
      return true;
    case zookeeper::op::kCreateSession:
      t->timeout = r.Int();
      return true;
    case zookeeper::op::kCloseSession: {
      // CloseSessionTxn since 3.6 (zookeeper.closeSessionTxn.enabled); before, no body. What
      // follows may also be a TxnDigest, which does not read as a list of paths.
      if (r.done()) return true;
      JuteReader probe = r;
      std::vector<std::string> paths = probe.Strings();
      if (probe.ok()) {
        t->has_paths = true;
        t->paths = std::move(paths);
        r = probe;
      }
      return true;
    }
    case zookeeper::op::kMulti: {
      const int32_t n = r.Count();
      for (int32_t i = 0; i < n && r.ok(); ++i) {
        const int32_t sub_type = r.Int();
        const std::string sub_bytes = r.Buffer();
        if (!r.ok()) break;
        JuteReader sub(sub_bytes);
        ZkTxn op;
        if (!ReadBody(sub, sub_type, true, &op)) {
          r.Fail();
          t->ops.clear();
          t->err = sub_type;  // reported by the caller
          return false;
        }
        if (!sub.ok()) {
          r.Fail();
          break;
        }
        t->ops.push_back(std::move(op));
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<ZkLoggedTxn> DecodeTxn(std::string_view bytes) {
  JuteReader r(bytes);
  ZkLoggedTxn t;
  t.header.client_id = r.Long();
  t.header.cxid = r.Int();
  t.header.zxid = r.Long();
  t.header.time = r.Long();
  t.header.type = r.Int();
  if (!r.ok()) return absl::DataLossError("a transaction header cut short");
  if (!ReadBody(r, t.header.type, false, &t.txn)) {
    if (t.header.type == zookeeper::op::kMulti) {
      return absl::InvalidArgumentError(absl::StrCat("zxid 0x", absl::Hex(t.header.zxid),
                                                     ": a multi holds an op of unknown type ",
                                                     t.txn.err));
    }
    return absl::InvalidArgumentError(absl::StrCat("zxid 0x", absl::Hex(t.header.zxid),
                                                   ": unknown transaction type ", t.header.type));
  }
  if (!r.ok()) {
    return absl::DataLossError(absl::StrCat("zxid 0x", absl::Hex(t.header.zxid),
                                            ": the body of a transaction of type ", t.header.type,
                                            " does not decode"));
  }
  return t;
}

}  // namespace warren::metastore::import
