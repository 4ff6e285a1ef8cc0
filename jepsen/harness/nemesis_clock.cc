// The clock nemesis: members' wall clocks (CLOCK_REALTIME) skewed, jumped, or run fast or
// slow, through libfaketime (Cluster::SetWallClock). What a bad NTP server, an operator's
// `date -s`, or a VM's clock does.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "jepsen/harness/nemesis.h"

ABSL_FLAG(int, drift_percent, 10,
          "with --nemesis=drift: member 1's clock runs this many percent slower than the "
          "others' (the lease allows 11: 100 / (100 - lease_clock_drift_percent))");

namespace warren::jepsen {

void Nemesis::Clock(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop) {
  std::string label;
  const std::vector<int> targets = Targets(rng, &label);
  const int choice = std::uniform_int_distribution<int>(0, 5)(rng);
  // A skew is undone when the fault is healed; a jump stays until the end of the run.
  const bool undo = choice < 2 || choice >= 4;
  std::string what;
  absl::Duration jump;
  double rate = 1;
  if (choice < 4) {
    const int s = std::uniform_int_distribution<int>(2, 60)(rng);
    jump = absl::Seconds(choice % 2 == 0 ? s : -s);
    what = absl::StrCat(choice < 2 ? "skew " : "jump ", jump < absl::ZeroDuration() ? "" : "+",
                        absl::FormatDuration(jump));
  } else {
    rate = choice == 4 ? std::uniform_real_distribution<double>(1.5, 4)(rng)
                       : std::uniform_real_distribution<double>(0.1, 0.7)(rng);
    what = absl::StrFormat("rate x%.2f", rate);
  }
  std::map<int, absl::Duration> before;  // each target's error before this fault
  for (int id : targets) {
    before[id] = cluster_->WallClockError(id);
    Note(absl::StrCat("clock ", label, ": ", id, " wall clock ", what),
         cluster_->SetWallClock(id, jump, rate));
  }
  Hold(f.hold, stop);
  if (!undo) return;
  // Undoes what this fault did, and only that: another may have jumped the same clock.
  for (int id : targets) {
    const absl::Duration mine = cluster_->WallClockError(id) - before[id];
    Note(absl::StrCat("heal clock ", id, " (this fault had put it ", absl::FormatDuration(mine),
                      " off)"),
         cluster_->SetWallClock(id, -mine, 1));
  }
}

// The drift nemesis. libfaketime cannot run warrend on a fake monotonic clock (see
// cluster_clock.cc), so a member whose monotonic clock runs slow is modelled by a member
// whose ticks are longer: Raft times its ticks and its lease on that clock, and a clock
// running at 1/r of real time, with ticks of T, times exactly as a true clock with ticks of
// r * T does. Member 1's ticks are `--drift-percent` longer than the others'.
namespace {
constexpr int kSlowMember = 1;
}  // namespace

absl::StatusOr<std::map<int, std::vector<std::string>>> Nemesis::MemberFlags(
    const std::set<std::string>& kinds, int tick_ms) {
  std::map<int, std::vector<std::string>> flags;
  if (kinds.count("clock") && access(kLibFakeTime, R_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the clock nemesis needs Debian's libfaketime (", kLibFakeTime, " is missing)"));
  }
  if (!kinds.count("drift")) return flags;
  const int percent = absl::GetFlag(FLAGS_drift_percent);
  if (percent < 0 || percent > 1000) {
    return absl::InvalidArgumentError("--drift-percent must be 0 to 1000");
  }
  flags[kSlowMember] = {absl::StrCat("--tick-ms=", tick_ms * (100 + percent) / 100)};
  return flags;
}

void Nemesis::Drift(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop) {
  // The slow clock must lead: hand it the leadership, then cut it off (three times in four)
  // or pause it while clients go on reading through it and the others elect another leader.
  if (auto leader = cluster_->Leader(); !leader.ok() || *leader != kSlowMember) {
    const absl::Status s = cluster_->TransferLeadership(kSlowMember);
    Note(absl::StrCat("transfer leadership to ", kSlowMember, " (its clock is slow)"), s);
    if (!s.ok()) return;
  }
  // Without network namespaces (--net=loopback), only pauses.
  const bool isolate =
      std::uniform_int_distribution<int>(0, 3)(rng) > 0 && cluster_->partitions_supported();
  std::vector<int> others = cluster_->Group();
  others.erase(std::remove(others.begin(), others.end(), kSlowMember), others.end());
  if (isolate) {
    absl::Status s;
    for (int id : others) {
      s.Update(cluster_->Drop(kSlowMember, id));
      s.Update(cluster_->Drop(id, kSlowMember));
    }
    Note(absl::StrCat("partition isolate ", kSlowMember, " (the leader, its clock slow)"), s);
  } else {
    Note(absl::StrCat("pause ", kSlowMember, " (the leader, its clock slow)"),
         cluster_->Pause(kSlowMember));
  }
  // Long enough for the others to elect a leader and take writes; a lease outliving that
  // shows within the first second or two.
  Hold(std::min(f.hold, absl::Seconds(2)), stop);
  if (isolate) {
    absl::Status s;
    for (int id : others) {
      s.Update(cluster_->Undrop(kSlowMember, id));
      s.Update(cluster_->Undrop(id, kSlowMember));
    }
    Note(absl::StrCat("heal isolation of ", kSlowMember), s);
  } else {
    Note(absl::StrCat("resume ", kSlowMember), cluster_->Resume(kSlowMember));
  }
}

}  // namespace warren::jepsen
