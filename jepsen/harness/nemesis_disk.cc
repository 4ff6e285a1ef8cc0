// The lose-unsynced nemesis: a crash of a member, a minority, or every member at once (a
// power loss of the whole cluster) that also loses what they wrote and did not fsync, or
// keeps part of it (a torn write). See docs/fault-testing.md, "Losing unsynced writes".
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jepsen/harness/nemesis.h"

namespace warren::jepsen {

void Nemesis::LoseUnsynced(const PlannedFault& f, std::mt19937_64& rng,
                           const std::atomic<bool>& stop) {
  // Not while a member is being wiped and replaced: the rollback works on its files.
  std::lock_guard no_membership_change(membership_mu_);
  std::string label;
  std::vector<int> targets;
  // The first of a run is always the whole cluster, so that a short run with any seed has
  // one; later ones one time in four.
  const bool everyone = power_losses_ == 0 || std::uniform_int_distribution<int>(0, 3)(rng) == 0;
  if (everyone) {
    ++power_losses_;
    label = "power loss of every member";
    targets = cluster_->Group();
  } else {
    targets = Targets(rng, &label);
  }
  const bool torn = std::uniform_int_distribution<int>(0, 2)(rng) == 0;
  Note(absl::StrCat("lose-unsynced ", label, ": ", absl::StrJoin(targets, " "),
                    torn ? " (torn writes)" : ""));
  std::vector<int> dead;  // killed here: restarted here
  for (int id : targets) {
    absl::Status s = cluster_->Kill(id);
    Note(absl::StrCat("kill ", id), s);
    if (s.ok()) dead.push_back(id);
  }
  // A power loss takes from a member that another fault had already killed what it had not
  // synced, too (that fault restarts it, after the rollback: Cluster::LoseUnsynced holds it).
  for (int id : everyone ? targets : dead) {
    auto r = cluster_->LoseUnsynced(id, torn, rng());
    Note(absl::StrCat("roll back ", id, ": ", r.ok() ? r->Summary() : "nothing"), r.status());
  }
  Hold(f.hold, stop);
  for (int id : dead) Note(absl::StrCat("restart ", id), cluster_->Restart(id));
}

}  // namespace warren::jepsen
