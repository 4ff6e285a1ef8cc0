// The clock nemesis: members' wall clocks (CLOCK_REALTIME) skewed, jumped, or run fast or
// slow, through libfaketime (Cluster::SetWallClock). What a bad NTP server, an operator's
// `date -s`, or a VM's clock does.
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "jepsen/harness/nemesis.h"

namespace warren::jepsen {

void Nemesis::Clock(const std::atomic<bool>& stop) {
  std::string label;
  const std::vector<int> targets = Targets(&label);
  const int choice = std::uniform_int_distribution<int>(0, 5)(rng_);
  // A skew is undone when the fault is healed; a jump stays until the end of the run.
  const bool undo = choice < 2 || choice >= 4;
  std::string what;
  absl::Duration jump;
  double rate = 1;
  if (choice < 4) {
    const int s = std::uniform_int_distribution<int>(2, 60)(rng_);
    jump = absl::Seconds(choice % 2 == 0 ? s : -s);
    what = absl::StrCat(choice < 2 ? "skew " : "jump ", jump < absl::ZeroDuration() ? "" : "+",
                        absl::FormatDuration(jump));
  } else {
    rate = choice == 4 ? std::uniform_real_distribution<double>(1.5, 4)(rng_)
                       : std::uniform_real_distribution<double>(0.1, 0.7)(rng_);
    what = absl::StrFormat("rate x%.2f", rate);
  }
  for (int id : targets) {
    Note(absl::StrCat("clock ", label, ": ", id, " wall clock ", what),
         cluster_->SetWallClock(id, jump, rate));
  }
  Hold(absl::Milliseconds(std::uniform_int_distribution<int>(1000, 5000)(rng_)), stop);
  if (!undo) return;
  for (int id : targets) {
    const absl::Duration error = cluster_->WallClockError(id);
    Note(absl::StrCat("heal clock ", id, " (it was ", absl::FormatDuration(error), " off)"),
         cluster_->SetWallClock(id, -error, 1));
  }
}

}  // namespace warren::jepsen
