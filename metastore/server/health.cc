#include "metastore/server/health.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warren::metastore {
namespace {

Health Unhealthy(std::string reason) { return Health{false, std::move(reason)}; }

}  // namespace

Health CheckLiveness(const raft::Division::LoopAges& ages) {
  for (const auto& [thread, age] : {std::pair{"raft", ages.raft}, std::pair{"apply", ages.apply}}) {
    if (age > kStalledLoop) {
      return Unhealthy(absl::StrFormat("the %s thread has not gone round its loop for %.1f s",
                                       thread, absl::ToDoubleSeconds(age)));
    }
  }
  return Health{};
}

Health CheckReadiness(const raftpb::GroupStatus& status, const absl::Status& leader_contact) {
  if (status.role() == "unresponsive" || status.role() == "stopped") {
    return Unhealthy(absl::StrCat("the raft thread is ", status.role()));
  }
  if (status.role() == "removed") {
    return Unhealthy(
        "removed from the group (told by a peer): stop it, or wipe and re-seed it to join again");
  }
  if (status.leader() == 0) {
    return Unhealthy(
        absl::StrCat("no leader known (", status.role(), " in term ", status.term(), ")"));
  }
  if (!leader_contact.ok()) return Unhealthy(std::string(leader_contact.message()));
  if (status.commit() > status.applied() + kMaxApplyLag) {
    return Unhealthy(absl::StrCat("applied ", status.applied(), " is ",
                                  status.commit() - status.applied(), " entries behind commit ",
                                  status.commit(), " (at most ", kMaxApplyLag, ")"));
  }
  return Health{};
}

}  // namespace warren::metastore
