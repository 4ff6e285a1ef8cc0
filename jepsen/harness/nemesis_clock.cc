// The clock nemesis: members' wall clocks (CLOCK_REALTIME) skewed, jumped, or run fast or
// slow, through libfaketime (Cluster::SetWallClock). What a bad NTP server, an operator's
// `date -s`, or a VM's clock does.
#include <unistd.h>

#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "jepsen/harness/nemesis.h"

ABSL_FLAG(int, drift_percent, 10,
          "with --nemesis=drift: member 1's clock runs this many percent slower than the "
          "others' (the lease allows 11: 100 / (100 - lease_clock_drift_percent))");

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

void Nemesis::Drift(const std::atomic<bool>& stop) {
  // The slow clock must lead: hand it the leadership, then cut it off (three times in four)
  // or pause it while clients go on reading through it and the others elect another leader.
  if (auto leader = cluster_->Leader(); !leader.ok() || *leader != kSlowMember) {
    raftpb::MembershipRequest req;
    req.set_op(raftpb::MembershipRequest::TRANSFER_LEADER);
    req.set_id(kSlowMember);
    const absl::Status s = cluster_->admin().ChangeMembership(req);
    Note(absl::StrCat("transfer leadership to ", kSlowMember, " (its clock is slow)"), s);
    if (!s.ok()) return;
  }
  // Without network namespaces (--net=loopback), only pauses.
  const bool isolate =
      std::uniform_int_distribution<int>(0, 3)(rng_) > 0 && cluster_->partitions_supported();
  if (isolate) {
    absl::Status s;
    for (int id = 1; id <= cluster_->nodes(); ++id) {
      if (id == kSlowMember) continue;
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
  Hold(absl::Milliseconds(std::uniform_int_distribution<int>(1000, 2000)(rng_)), stop);
  if (isolate) {
    Note("heal network", cluster_->HealNetwork());
  } else {
    Note(absl::StrCat("resume ", kSlowMember), cluster_->Resume(kSlowMember));
  }
}

}  // namespace warren::jepsen
