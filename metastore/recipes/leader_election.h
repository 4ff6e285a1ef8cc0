#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/contender_queue.h"

namespace warren::metastore::recipes {

// Leader election (Curator's LeaderLatch over ZooKeeper's recipe): each participant's
// ephemeral sequential node under `root` holds its id; the first node leads; each of the
// others watches only the node just before its own.
//
// Leadership is lost when the session ends (expired: the leader was cut off longer than the
// session timeout, and another may lead already) or when the leader's node is deleted. Both
// are reported to the OnLost callback and turn HasLeadership() false; a leader must then stop
// acting as one. A leader that is only slow or partitioned for less than the session timeout
// keeps leading; what it writes should be fenced (a check of its node's version in a Multi, as
// examples/kafka-brokers does) if a stale leader must never write. Needs a session.
class LeaderElection {
 public:
  LeaderElection(MetastoreClient& client, std::string root, std::string participant);
  ~LeaderElection();  // resigns

  // Joins (once) and waits to lead. OK: leads. OperationTimeout: not yet (still in line; call
  // again to keep waiting). SessionExpired: the session ended.
  absl::Status AwaitLeadership(absl::Duration timeout);
  bool HasLeadership();
  // Called once, on the session's thread, when a leader loses its leadership.
  void OnLost(std::function<void(const absl::Status&)> callback);
  // Leaves the line (and leadership).
  absl::Status Resign();

  // The participant that leads now ("" if none), as anyone sees it.
  absl::StatusOr<std::string> Leader();
  // This participant's node: a leader's writes can check its version in a Multi to be fenced.
  const std::string& node() const { return queue_.node(); }

 private:
  void Lose(const absl::Status& why);

  MetastoreClient& client_;
  ContenderQueue queue_;
  std::mutex mu_;
  bool leading_ = false;
  std::function<void(const absl::Status&)> on_lost_;
  MetastoreClient::ListenerId event_listener_ = 0;
  MetastoreClient::ListenerId end_listener_ = 0;
};

}  // namespace warren::metastore::recipes
