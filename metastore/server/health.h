#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/raft_service.pb.h"
#include "raft/server/division.h"

namespace warren::metastore {

// What a member's /healthz and /readyz answer: 200 "ok", or 503 with the one-line reason.
struct Health {
  bool ok = true;
  std::string reason;
};

// A raft or apply thread that has not gone round its loop for this long is stuck (idle, each
// goes round at least every 100 ms). Restoring a large snapshot holds the apply thread
// longer: a liveness probe allows for that with its failure threshold (docs/operations.md).
inline constexpr absl::Duration kStalledLoop = absl::Seconds(10);

// A member whose applied index trails what it knows is committed by more than this is
// catching up (after a restart or a partition), not serving: a read that has seen a newer
// zxid would wait. Under full load one apply batch is a few hundred entries, so a member
// that keeps up stays well within it (docs/benchmarks.md).
inline constexpr uint64_t kMaxApplyLag = 1000;

// /healthz: the process serves, its group's raft and apply threads going round their loops.
Health CheckLiveness(const raft::Division::LoopAges& ages);

// /readyz: the member can serve clients now. Its raft thread answered its status; it was not
// told it was removed from the group (raft/server/removal_notice.h); it knows a leader; it leads,
// or has been in touch with the leader as a client's session needs
// (`leader_contact`: MetastoreService::CheckLeaderContact for the shortest session timeout,
// the rule by which it serves requests); and it has applied all it knows committed but at
// most kMaxApplyLag entries.
Health CheckReadiness(const raftpb::GroupStatus& status, const absl::Status& leader_contact);

}  // namespace warren::metastore
