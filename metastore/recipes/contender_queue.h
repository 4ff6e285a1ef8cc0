#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/event_waiter.h"

namespace warren::metastore::recipes {

// One node of a contender queue: "<prefix><token>-<sequence>".
struct Contender {
  std::string name;
  std::string prefix;  // e.g. "lock-", "read-", "write-"
  int64_t sequence = 0;
};

// The line under a root that locks and leader election share (ZooKeeper's recipe, Curator's
// LockInternals). Each contender creates an ephemeral sequential node and, until it is at the
// front, watches the one node it waits for. A node going away wakes one waiter, not all of
// them (no herd effect).
//
// The node's name carries a random token, so that a create whose outcome was unknown (the
// client gave up with ConnectionLoss) is found again instead of leaving an orphan that would
// block the line until the session ends (Curator's protected mode).
//
// Not thread-safe: one thread drives a queue entry.
class ContenderQueue {
 public:
  // Which node `mine` (an index into the sorted line) must wait for; nullopt: none, it may go.
  using Blocker =
      std::function<std::optional<size_t>(const std::vector<Contender>& line, size_t mine)>;
  // Waits for the node just before it.
  static std::optional<size_t> Predecessor(const std::vector<Contender>& line, size_t mine);

  ContenderQueue(MetastoreClient& client, std::string root, std::string prefix, std::string data);
  ~ContenderQueue();

  // Creates this contender's node (and the root, as a container) unless it has one.
  absl::Status Join(absl::Time deadline);
  // Waits until `blocker` lets this contender go. OperationTimeout at the deadline (it stays
  // in line); SessionExpired if the session ended; NoNode if its node was deleted.
  absl::Status WaitForTurn(const Blocker& blocker, absl::Time deadline);
  // Deletes this contender's node, if it has one.
  absl::Status Leave();

  // The line, sorted by sequence.
  absl::StatusOr<std::vector<Contender>> Line();
  // This contender's node (full path); empty before Join.
  const std::string& node() const { return node_; }
  const std::string& root() const { return root_; }
  EventWaiter& waiter() { return waiter_; }

 private:
  // After a create whose outcome was unknown: our node, if it was created.
  absl::StatusOr<std::optional<std::string>> FindOwnNode();

  MetastoreClient& client_;
  const std::string root_;
  const std::string prefix_;
  const std::string data_;
  const std::string token_;
  std::string node_;
  EventWaiter waiter_;
};

// "lock-3f2a9c-0000000007" -> {prefix "lock-", sequence 7}; nullopt if it is not a contender.
std::optional<Contender> ParseContender(const std::string& name);

}  // namespace warren::metastore::recipes
