// The lose-unsynced nemesis: a crash of a member, a minority, or every member at once (a
// power loss of the whole cluster) that also loses what they wrote and did not fsync, or
// keeps part of it (a torn write). See docs/fault-testing.md, "Losing unsynced writes".
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jepsen/harness/nemesis.h"

namespace warren::jepsen {

void Nemesis::LoseUnsynced(const std::atomic<bool>& stop) {
  std::string label;
  std::vector<int> targets;
  // The first of a run is always the whole cluster, so that a short run with any seed has
  // one; later ones one time in four.
  if (power_losses_ == 0 || std::uniform_int_distribution<int>(0, 3)(rng_) == 0) {
    ++power_losses_;
    label = "power loss of every member";
    targets = cluster_->Alive();
  } else {
    targets = Targets(&label);
  }
  const bool torn = std::uniform_int_distribution<int>(0, 2)(rng_) == 0;
  Note(absl::StrCat("lose-unsynced ", label, ": ", absl::StrJoin(targets, " "),
                    torn ? " (torn writes)" : ""));
  std::vector<int> dead;
  for (int id : targets) {
    absl::Status s = cluster_->Kill(id);
    Note(absl::StrCat("kill ", id), s);
    if (s.ok()) dead.push_back(id);
  }
  for (int id : dead) {
    auto r = cluster_->LoseUnsynced(id, torn, rng_());
    Note(absl::StrCat("roll back ", id, ": ", r.ok() ? r->Summary() : "nothing"), r.status());
  }
  Hold(absl::Milliseconds(std::uniform_int_distribution<int>(500, 2000)(rng_)), stop);
  for (int id : dead) Note(absl::StrCat("restart ", id), cluster_->Restart(id));
}

}  // namespace warren::jepsen
