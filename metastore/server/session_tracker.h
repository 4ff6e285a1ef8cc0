#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "metastore/znode_tree.h"
#include "raft/server/division.h"

namespace warren::metastore {

// The leader's side of sessions and timed nodes. Keep-alives are not replicated: the leader
// alone notes when it last heard from each session, and when one stays silent past its
// timeout it proposes the expiry, which deletes the session's ephemerals in one entry. A
// new leader starts every session's timer afresh, as ZooKeeper's does. The same loop
// proposes the deletion of containers that lost their last child and of idle TTL nodes.
class SessionTracker {
 public:
  SessionTracker(raft::Division* division, ZNodeTree* tree, uint64_t self_id,
                 absl::Duration interval, std::function<void()> on_leadership_lost);
  ~SessionTracker();

  void Start();
  void Stop();
  // A keep-alive (or attach) from a session's stream.
  void Touch(uint64_t session);

 private:
  void Loop();
  void Check(absl::Time now);
  void Propose(metastorepb::Command cmd, std::atomic<bool>* in_flight);

  raft::Division* const division_;
  ZNodeTree* const tree_;
  const uint64_t self_id_;
  const absl::Duration interval_;
  const std::function<void()> on_leadership_lost_;
  const uint64_t client_id_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool leading_ = false;
  std::map<uint64_t, absl::Time> last_heard_;
  uint64_t seq_ = 0;
  std::atomic<bool> expiring_{false};
  std::atomic<bool> deleting_idle_{false};
  std::thread thread_;
};

}  // namespace warren::metastore
