#pragma once

// What a ZooKeeper client puts on the wire and reads back, written from zookeeper.jute for the
// tests and the fuzzer: request frames built with JuteWriter, replies taken apart with
// JuteReader, each reply body checked against the layout ZooKeeper's own clients expect.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metastore/zookeeper/jute.h"
#include "metastore/zookeeper/protocol.h"

namespace warren::zookeeper::testing {

// ---- Requests (frame bodies, without the 4-byte length prefix) ----

struct ConnectArgs {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 5000;
  int64_t session_id = 0;
  std::string password = std::string(16, '\0');
  std::optional<bool> read_only = false;  // nullopt: an old client that sends no flag
};
std::string ConnectFrame(const ConnectArgs& c);

// A request: RequestHeader{xid, type} then the record.
std::string RequestFrame(int32_t xid, int32_t type, std::string_view record = "");

// An ACL entry as the wire has it: perms, then the Id (scheme, id).
struct AclEntry {
  int32_t perms = 0;
  std::string scheme;
  std::string id;
};
// world:anyone with every permission, as ZooDefs.Ids.OPEN_ACL_UNSAFE.
std::vector<AclEntry> OpenAcl();
void WriteAclEntries(JuteWriter& w, const std::vector<AclEntry>& acl);
// CreateRequest, or CreateTTLRequest when `ttl` is given.
std::string CreateRecord(std::string_view path, std::string_view data, int32_t flags,
                         const std::vector<AclEntry>& acl = OpenAcl(),
                         std::optional<int64_t> ttl = std::nullopt);
// ExistsRequest, GetDataRequest, GetChildrenRequest, GetChildren2Request.
std::string PathWatchRecord(std::string_view path, bool watch);
// DeleteRequest, CheckVersionRequest.
std::string PathVersionRecord(std::string_view path, int32_t version);
std::string SetDataRecord(std::string_view path, std::string_view data, int32_t version);
// SyncRequest, GetEphemeralsRequest, GetAllChildrenNumberRequest.
std::string PathRecord(std::string_view path);
struct WatchLists {
  std::vector<std::string> data, exist, child, persistent, recursive;
};
// SetWatches, or SetWatches2 (with the persistent lists) when `two`.
std::string SetWatchesRecord(int64_t relative_zxid, const WatchLists& w, bool two);
std::string AddWatchRecord(std::string_view path, int32_t mode);
// CheckWatchesRequest, RemoveWatchesRequest.
std::string WatcherRecord(std::string_view path, int32_t watcher_type);
std::string AuthRecord(std::string_view scheme, std::string_view auth);
std::string SetAclRecord(std::string_view path, const std::vector<AclEntry>& acl, int32_t version);

// One op of a multi or multiRead: its type and record.
struct MultiOp {
  int32_t type;
  std::string record;
};
// MultiOperationRecord: a MultiHeader{type, false, -1} before each op, {-1, true, -1} after.
std::string MultiRecord(const std::vector<MultiOp>& ops);

// ---- Replies ----

struct Stat {
  int64_t czxid = 0, mzxid = 0, ctime = 0, mtime = 0;
  int32_t version = 0, cversion = 0, aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0, num_children = 0;
  int64_t pzxid = 0;
};
Stat ReadStat(JuteReader& r);

struct ConnectReply {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string password;
  std::optional<bool> read_only;  // nullopt: the reply ended before the flag
};
// False unless `frame` is exactly a ConnectResponse (with or without the read-only flag).
bool ParseConnectReply(std::string_view frame, ConnectReply* out);

struct Reply {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  std::string body;  // what follows the header
};
// False if the frame is shorter than a ReplyHeader.
bool ParseReply(std::string_view frame, Reply* out);

// A WatcherEvent (the body of a reply with xid -1).
struct Event {
  int64_t zxid = 0;
  int32_t type = 0;
  int32_t state = 0;
  std::string path;
};
bool ParseEvent(const Reply& reply, Event* out);

// One result of a multi or multiRead.
struct OpResult {
  int32_t type = 0;  // the op's type, or -1 (error)
  int32_t err = 0;   // an error result's code
  std::string path;
  std::optional<Stat> stat;
  std::string data;
  std::vector<std::string> children;
};

// The body of an OK reply, whichever fields its request type has.
struct Body {
  std::string path;          // create, create2, createContainer, createTTL, sync
  std::optional<Stat> stat;  // create2..., exists, getData, setData, getChildren2, get/setACL
  std::string data;          // getData
  std::vector<std::string> children;  // getChildren, getChildren2, getEphemerals
  int32_t number = 0;                 // getAllChildrenNumber; addWatch's ErrorResponse
  std::vector<std::pair<std::string, std::string>> who;  // whoAmI: (scheme, user)
  std::vector<AclEntry> acl;                             // getACL
  std::vector<OpResult> results;                         // multi, multiRead
};
// Decodes the body of an OK reply to a request of `type` as ZooKeeper's clients read it; an
// empty string if it decodes exactly (nothing missing, nothing left over), else what is wrong.
std::string DecodeBody(int32_t type, std::string_view body, Body* out);

}  // namespace warren::zookeeper::testing
