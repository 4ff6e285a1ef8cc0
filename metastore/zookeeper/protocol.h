#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metastore/zookeeper/jute.h"
#include "proto/metastore.pb.h"

// ZooKeeper's client protocol (zookeeper.jute, ZooDefs, KeeperException.Code): the numbers
// its clients send and expect, and the records Warren reads and writes.
namespace warren::zookeeper {

namespace op {
inline constexpr int32_t kNotification = 0;
inline constexpr int32_t kCreate = 1;
inline constexpr int32_t kDelete = 2;
inline constexpr int32_t kExists = 3;
inline constexpr int32_t kGetData = 4;
inline constexpr int32_t kSetData = 5;
inline constexpr int32_t kGetAcl = 6;
inline constexpr int32_t kSetAcl = 7;
inline constexpr int32_t kGetChildren = 8;
inline constexpr int32_t kSync = 9;
inline constexpr int32_t kPing = 11;
inline constexpr int32_t kGetChildren2 = 12;
inline constexpr int32_t kCheck = 13;
inline constexpr int32_t kMulti = 14;
inline constexpr int32_t kCreate2 = 15;
inline constexpr int32_t kReconfig = 16;
inline constexpr int32_t kCheckWatches = 17;
inline constexpr int32_t kRemoveWatches = 18;
inline constexpr int32_t kCreateContainer = 19;
inline constexpr int32_t kDeleteContainer = 20;
inline constexpr int32_t kCreateTtl = 21;
inline constexpr int32_t kMultiRead = 22;
inline constexpr int32_t kAuth = 100;
inline constexpr int32_t kSetWatches = 101;
inline constexpr int32_t kSasl = 102;
inline constexpr int32_t kGetEphemerals = 103;
inline constexpr int32_t kGetAllChildrenNumber = 104;
inline constexpr int32_t kSetWatches2 = 105;
inline constexpr int32_t kAddWatch = 106;
inline constexpr int32_t kWhoAmI = 107;
inline constexpr int32_t kCreateSession = -10;
inline constexpr int32_t kCloseSession = -11;
inline constexpr int32_t kError = -1;
}  // namespace op

// KeeperException.Code.
namespace err {
inline constexpr int32_t kOk = 0;
inline constexpr int32_t kSystemError = -1;
inline constexpr int32_t kRuntimeInconsistency = -2;
inline constexpr int32_t kConnectionLoss = -4;
inline constexpr int32_t kMarshallingError = -5;
inline constexpr int32_t kUnimplemented = -6;
inline constexpr int32_t kOperationTimeout = -7;
inline constexpr int32_t kBadArguments = -8;
inline constexpr int32_t kReconfigDisabled = -123;
inline constexpr int32_t kNoNode = -101;
inline constexpr int32_t kNoAuth = -102;
inline constexpr int32_t kBadVersion = -103;
inline constexpr int32_t kNoChildrenForEphemerals = -108;
inline constexpr int32_t kNodeExists = -110;
inline constexpr int32_t kNotEmpty = -111;
inline constexpr int32_t kSessionExpired = -112;
inline constexpr int32_t kInvalidCallback = -113;
inline constexpr int32_t kInvalidAcl = -114;
inline constexpr int32_t kAuthFailed = -115;
inline constexpr int32_t kSessionMoved = -118;
inline constexpr int32_t kNoWatcher = -121;
inline constexpr int32_t kQuotaExceeded = -125;
}  // namespace err

// Reserved xids of replies the server sends unasked or for special requests.
namespace xid {
inline constexpr int32_t kNotification = -1;
inline constexpr int32_t kPing = -2;
inline constexpr int32_t kAuth = -4;
inline constexpr int32_t kSetWatches = -8;
}  // namespace xid

// CreateMode flags.
namespace mode {
inline constexpr int32_t kPersistent = 0;
inline constexpr int32_t kEphemeral = 1;
inline constexpr int32_t kPersistentSequential = 2;
inline constexpr int32_t kEphemeralSequential = 3;
inline constexpr int32_t kContainer = 4;
inline constexpr int32_t kPersistentWithTtl = 5;
inline constexpr int32_t kPersistentSequentialWithTtl = 6;
}  // namespace mode

// WatcherType of checkWatches and removeWatches.
namespace watcher_type {
inline constexpr int32_t kChildren = 1;
inline constexpr int32_t kData = 2;
inline constexpr int32_t kAny = 3;
inline constexpr int32_t kPersistent = 4;
inline constexpr int32_t kPersistentRecursive = 5;
}  // namespace watcher_type

inline constexpr int32_t kStateSyncConnected = 3;
struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string password;
  bool read_only = false;
  bool has_read_only = false;  // old clients leave it out
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string password;
  bool read_only = false;
};

bool Read(JuteReader& r, ConnectRequest* out);
void Write(JuteWriter& w, const ConnectResponse& c);
// The reply header; `zxid` is the state the answer reflects.
void WriteReplyHeader(JuteWriter& w, int32_t xid, int64_t zxid, int32_t error);
void WriteStat(JuteWriter& w, const metastorepb::Stat& stat);
// An ACL: a count, then (perms, scheme, id) per entry.
void ReadAcls(JuteReader& r, google::protobuf::RepeatedPtrField<metastorepb::Acl>* out);
void WriteAcls(JuteWriter& w, const google::protobuf::RepeatedPtrField<metastorepb::Acl>& acls);
// A multi's or multiRead's answer: per op a MultiHeader (type, done=false, err) and the op's
// body; an op that failed, or did not run because another failed, is an ErrorResponse; a
// MultiHeader with done=true ends the list.
void WriteMultiResult(JuteWriter& w, int32_t type);
void WriteMultiError(JuteWriter& w, int32_t error);
void WriteMultiEnd(JuteWriter& w);
// A notification: an event on a watched path, as a whole frame body (after the length).
std::string Notification(int64_t zxid, int32_t type, const std::string& path);

// ZooKeeper's code for a metastore error.
int32_t CodeOf(metastorepb::Error e);

}  // namespace warren::zookeeper
