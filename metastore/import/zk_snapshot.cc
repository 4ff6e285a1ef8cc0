#include "metastore/import/zk_snapshot.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "metastore/import/adler32.h"

namespace warren::metastore::import {
namespace {

using zookeeper::JuteReader;

size_t Offset(std::string_view bytes, const JuteReader& r) { return bytes.size() - r.remaining(); }

// SnapStream.checkSealIntegrity: the Adler-32 of every byte before it, then the string "/".
absl::Status CheckSeal(std::string_view bytes, JuteReader& r, const char* what) {
  const size_t at = Offset(bytes, r);
  const uint32_t sum = Adler32(bytes.substr(0, at));
  const int64_t val = r.Long();
  const std::string slash = r.String();
  if (!r.ok()) return absl::DataLossError(absl::StrCat("cut short in the seal after ", what));
  if (static_cast<uint64_t>(val) != sum || slash != "/") {
    return absl::DataLossError(absl::StrCat("the checksum after ", what, " does not match (stored ",
                                            val, ", computed ", sum, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ZkSnapshot> ParseSnapshot(std::string_view bytes) {
  JuteReader r(bytes);
  ZkSnapshot snap;
  const int32_t magic = r.Int();
  const int32_t version = r.Int();
  snap.dbid = r.Long();
  if (!r.ok() || magic != kSnapshotMagic) {
    return absl::DataLossError("not a ZooKeeper snapshot (no ZKSN header)");
  }
  if (version != 2) {
    return absl::DataLossError(absl::StrCat("snapshot format version ", version, ", not 2"));
  }
  const int32_t sessions = r.Int();
  for (int32_t i = 0; i < sessions && r.ok(); ++i) {
    const int64_t id = r.Long();
    snap.sessions[id] = r.Int();
  }
  std::map<int64_t, std::vector<ZkAcl>> acls;
  const int32_t lists = r.Int();
  for (int32_t i = 0; i < lists && r.ok(); ++i) {
    const int64_t ref = r.Long();
    ReadAcls(r, &acls[ref]);
  }
  if (!r.ok()) return absl::DataLossError("cut short in the sessions or the ACL cache");

  std::set<std::string> seen;
  for (std::string path = r.String(); r.ok() && path != "/"; path = r.String()) {
    ZkSnapshotNode node;
    node.path = path.empty() ? "/" : path;
    node.data = r.Buffer();
    const int64_t ref = r.Long();
    node.stat = ReadStatPersisted(r);
    if (!r.ok()) break;
    if (node.path != "/") {
      const size_t slash = path.rfind('/');
      const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
      if (slash == std::string::npos || !seen.contains(parent)) {
        return absl::DataLossError(absl::StrCat("node ", path, " comes without its parent"));
      }
    }
    if (ref != kOpenAclRef) {
      auto it = acls.find(ref);
      if (it == acls.end()) {
        return absl::DataLossError(
            absl::StrCat("node ", node.path, " refers to ACL ", ref, ", not in the ACL cache"));
      }
      node.acl = it->second;
    } else {
      node.acl = {ZkAcl{31, "world", "anyone"}};
    }
    seen.insert(node.path);
    snap.nodes.push_back(std::move(node));
  }
  if (!r.ok()) return absl::DataLossError("cut short in the nodes (no \"/\" terminator)");
  if (!seen.contains("/")) return absl::DataLossError("no root node");
  if (auto s = CheckSeal(bytes, r, "the nodes"); !s.ok()) return s;

  // 3.6+: the digest (zxid, version, the digest: a hex string before version 2), sealed.
  if (r.done()) return snap;
  r.Long();
  if (r.Int() < 2) {
    r.String();
  } else {
    r.Long();
  }
  if (!r.ok()) return absl::DataLossError("cut short in the tree digest");
  if (auto s = CheckSeal(bytes, r, "the digest"); !s.ok()) return s;
  // 3.9+: the last processed zxid, sealed.
  if (r.done()) return snap;
  r.Long();
  if (!r.ok()) return absl::DataLossError("cut short after the digest");
  if (auto s = CheckSeal(bytes, r, "the last zxid"); !s.ok()) return s;
  return snap;
}

}  // namespace warren::metastore::import
