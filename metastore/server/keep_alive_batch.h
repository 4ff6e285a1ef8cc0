#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "absl/time/time.h"
#include "proto/metastore.pb.h"

namespace warren::metastore {

// How long before `relay` went out its i-th session was heard from (absent: just then).
absl::Duration HeardAgo(const metastorepb::KeepAlivesRequest& relay, int i);
// Notes that `session` was heard from at `when`, unless a later time is noted already.
void KeepLatest(std::map<uint64_t, absl::Time>& heard, uint64_t session, absl::Time when);

// The keep-alives a member that does not lead owes the leader: each session heard from here,
// and when, since the last relay the leader took. A relay carries how long ago each was
// heard, so that one that fails is sent again with the next without keeping a session alive
// longer than its client did: a keep-alive lost with one relay would cost its session a third
// of its time, and a few lost in a row (a leader change, a partition healing) its life.
class KeepAliveBatch {
 public:
  // `session_timeout_ms` is a session's timeout, 0 if it no longer exists.
  explicit KeepAliveBatch(std::function<int64_t(uint64_t)> session_timeout_ms)
      : session_timeout_ms_(std::move(session_timeout_ms)) {}

  // `when` is of the monotonic clock, as `now` below.
  void Heard(uint64_t session, absl::Time when);
  bool empty() const { return heard_.empty(); }
  void Clear() { heard_.clear(); }

  // Empties the batch into a request, as of `now`; leaves out sessions gone or heard from
  // longer ago than their timeout (the leader has expired them, or will).
  metastorepb::KeepAlivesRequest Take(absl::Time now);
  // Puts back what a relay that failed carried, heard as long before `now` (when it was
  // taken) as it said; a session heard since keeps the later time.
  void Failed(const metastorepb::KeepAlivesRequest& relay, absl::Time now);

 private:
  const std::function<int64_t(uint64_t)> session_timeout_ms_;
  std::map<uint64_t, absl::Time> heard_;
};

}  // namespace warren::metastore
