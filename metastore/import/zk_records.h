#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/zookeeper/jute.h"
#include "metastore/zookeeper/protocol.h"

namespace warren::metastore::import {

// ZooKeeper's on-disk records (zookeeper.jute: org.apache.zookeeper.data and .txn), as its
// snapshots and transaction logs hold them.

struct ZkAcl {
  int32_t perms = 0;
  std::string scheme;
  std::string id;
  bool operator==(const ZkAcl&) const = default;
};

// StatPersisted: a Stat without dataLength and numChildren, which follow from the tree.
struct ZkStat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int64_t pzxid = 0;
};

// EphemeralType's encodings of a node's kind in its ephemeralOwner.
inline constexpr int64_t kContainerOwner = INT64_MIN;
inline constexpr uint64_t kExtendedMask = 0xff00000000000000u;
inline constexpr uint64_t kReservedBitsMask = 0x00ffff0000000000u;
inline constexpr uint64_t kTtlMask = ~(kExtendedMask | kReservedBitsMask);
bool IsTtlOwner(int64_t owner);
int64_t TtlOwner(int64_t ttl_ms);

// One transaction body, whatever its type: the fields its type has are set.
struct ZkTxn {
  int32_t type = 0;
  std::string path;
  std::string data;
  std::vector<ZkAcl> acl;
  bool ephemeral = false;
  int32_t parent_cversion = -1;  // -1: a CreateTxnV0, the parent's cversion + 1
  int64_t ttl = 0;
  int32_t version = 0;  // setData, setACL, check
  int32_t timeout = 0;  // createSession
  int32_t err = 0;      // error
  bool has_paths = false;
  std::vector<std::string> paths;  // closeSession's CloseSessionTxn
  std::vector<ZkTxn> ops;          // multi
};

struct ZkTxnHeader {
  int64_t client_id = 0;
  int32_t cxid = 0;
  int64_t zxid = 0;
  int64_t time = 0;
  int32_t type = 0;
};

struct ZkLoggedTxn {
  ZkTxnHeader header;
  ZkTxn txn;
};

void ReadAcls(zookeeper::JuteReader& r, std::vector<ZkAcl>* out);
ZkStat ReadStatPersisted(zookeeper::JuteReader& r);

// A log record's bytes (TxnHeader, then the body its type names, then what 3.6+ may append:
// a TxnDigest, ignored). InvalidArgument for an unknown type, DataLoss for bytes that do not
// decode.
absl::StatusOr<ZkLoggedTxn> DecodeTxn(std::string_view bytes);

}  // namespace warren::metastore::import
