#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/time/time.h"
#include "metastore/server/keep_alive_batch.h"
#include "metastore/znode_tree.h"
#include "raft/server/division.h"

namespace warren::metastore {

class Forwarder;

// Sessions' liveness, and the leader's housekeeping. Keep-alives are not replicated: a
// session's client sends them to the member holding its stream, and that member, if it does
// not lead, relays the sessions it heard from to the leader in batches, as ZooKeeper's
// followers do with their pings. The leader alone notes when it last heard from each
// session, and when one stays silent past its timeout it proposes the expiry, which deletes
// the session's ephemerals in one entry. A new leader starts every session's timer afresh,
// as ZooKeeper's does. The same loop proposes the deletion of containers that lost their last
// child and of idle TTL nodes.
//
// A member that does not lead counts how long it has not been in touch with the leader: a
// relay the leader took (empty or not) answers with the leader's applied zxid, and once this
// member has applied that too, it was current as of when the relay went out. A member the
// leader no longer replicates to (removed, or far behind) is therefore out of touch however
// well it reaches the leader. The service stops serving clients that cannot wait that long
// (see MetastoreService::CheckLeaderContact).
class SessionTracker {
 public:
  // `interval`: how often to look; `relay_interval`: how often a member that does not lead
  // relays keep-alives (and at once when the leader changes); `on_silence` gets this member's
  // leader silence after every look, when it does not lead.
  SessionTracker(raft::Division* division, ZNodeTree* tree, uint64_t self_id,
                 absl::Duration interval, absl::Duration relay_interval, Forwarder* forwarder,
                 std::function<void(absl::Duration)> on_silence);
  ~SessionTracker();

  void Start();
  void Stop();
  // A keep-alive from a session's stream here, or relayed by another member. `attached`: the
  // session's stream just attached here, and its keep-alive is relayed at the next look
  // rather than at the next relay (the client may have moved here at the end of its time).
  void Touch(uint64_t session, bool attached = false);
  // A keep-alive relayed by another member: the session's client was heard from `ago`.
  void Relayed(uint64_t session, absl::Duration ago);
  // How long since this member last reached the leader: zero while it leads, infinite if it
  // never has.
  absl::Duration LeaderSilence();

 private:
  void Loop();
  // `now` is of the monotonic clock (common/monotonic_clock.h), as every time kept here: a
  // step of the wall clock must neither expire sessions nor keep dead ones alive.
  void Check(absl::Time now);
  void Relay(absl::Time now);
  void Propose(metastorepb::Command cmd, std::atomic<bool>* in_flight);

  raft::Division* const division_;
  ZNodeTree* const tree_;
  const uint64_t self_id_;
  const absl::Duration interval_;
  const absl::Duration relay_interval_;
  Forwarder* const forwarder_;
  const std::function<void(absl::Duration)> on_silence_;
  const uint64_t client_id_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool leading_ = false;
  std::map<uint64_t, absl::Time> last_heard_;  // leading: by session
  KeepAliveBatch to_relay_;                    // not leading: heard from since the last relay
  bool relay_soon_ = false;                    // a session attached: relay at the next look
  bool relaying_ = false;
  absl::Time last_relay_ = absl::InfinitePast();
  uint64_t relayed_to_ = 0;  // the leader that took the last relay
  int failed_relays_ = 0;    // in a row, since the leader last took one
  // Relays the leader took, oldest first: when each went out, and the leader's applied zxid.
  std::deque<std::pair<absl::Time, uint64_t>> unconfirmed_;
  absl::Time last_contact_ = absl::InfinitePast();
  uint64_t seq_ = 0;
  std::atomic<bool> expiring_{false};
  std::atomic<bool> deleting_idle_{false};
  std::thread thread_;
};

}  // namespace warren::metastore
