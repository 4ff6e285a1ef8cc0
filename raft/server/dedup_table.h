#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/raft_service.pb.h"

namespace warren::raft {

// What a client gets back for a write.
struct WriteReply {
  absl::Status status;
  std::string payload;
};

// Exactly-once writes (Raft thesis §6.3): the replies of applied client requests, by (client
// id, sequence number), so that a retried request is answered from here instead of being
// applied twice. A client promises it will not retry below its first_incomplete_seq, which
// bounds the replies kept per client; clients idle longer than `ttl_ms` (by the leader's
// clock carried in the log) and the least recently active beyond `max_clients` are
// forgotten. Updated only in apply order, so every member holds the same table; it is part
// of every snapshot.
class DedupTable {
 public:
  DedupTable(int64_t ttl_ms, size_t max_clients) : ttl_ms_(ttl_ms), max_clients_(max_clients) {}

  // The reply of an already applied request, or an error if that reply was already
  // discarded or the client itself was forgotten and the request is a retry (Aborted: it
  // may have applied); nullopt when the request is new and must be applied.
  std::optional<WriteReply> Lookup(const raftpb::ClientCommand& cmd) const;
  // Records the reply of a newly applied request and forgets what the client no longer needs.
  void Record(const raftpb::ClientCommand& cmd, const WriteReply& reply);

  void SaveTo(google::protobuf::RepeatedPtrField<raftpb::DedupClient>* out) const;
  void RestoreFrom(const google::protobuf::RepeatedPtrField<raftpb::DedupClient>& in);
  size_t clients() const { return clients_.size(); }
  // Start remembering which clients change, for TakeChanges.
  void TrackChanges() { track_changes_ = true; }
  // The clients recorded, restored or forgotten since the last call (nullopt: forgotten), for
  // a durable state machine to store with the state they belong to.
  std::vector<std::pair<uint64_t, std::optional<raftpb::DedupClient>>> TakeChanges();

 private:
  struct Client {
    uint64_t first_incomplete_seq = 0;
    int64_t last_active_ms = 0;
    std::map<uint64_t, WriteReply> replies;  // seq -> reply
  };
  void Expire(int64_t now_ms);
  static void SaveClient(uint64_t id, const Client& c, raftpb::DedupClient* out);

  const int64_t ttl_ms_;
  const size_t max_clients_;
  std::map<uint64_t, Client> clients_;
  std::set<std::pair<int64_t, uint64_t>> by_activity_;  // (last_active_ms, client id)
  bool track_changes_ = false;
  std::set<uint64_t> changed_;
};

}  // namespace warren::raft
