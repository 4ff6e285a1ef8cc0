#pragma once

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jepsen/harness/cluster.h"
#include "jepsen/harness/fault_schedule.h"

namespace warren::jepsen {

// Injects faults into the cluster on a schedule drawn from the seed (FaultSchedule): each
// fault is held a few seconds, then healed, on a thread of its own, so that with more than
// one track faults overlap. Kinds (any combination): kill, pause, partition, membership,
// lose-unsynced, corrupt, clock, drift.
class Nemesis {
 public:
  static absl::StatusOr<std::set<std::string>> ParseKinds(const std::string& list,
                                                          bool partitions_supported);
  // Flags of single members that the kinds need (with drift, member 1's clock runs slow); an
  // error if the clock kind cannot run here.
  static absl::StatusOr<std::map<int, std::vector<std::string>>> MemberFlags(
      const std::set<std::string>& kinds, int tick_ms);
  // `tracks`: how many faults may be in force at once (1: one after another).
  Nemesis(Cluster* cluster, std::set<std::string> kinds, int tracks, uint64_t seed,
          const std::string& log);

  // Until `stop`; leaves everything healed.
  void Run(const std::atomic<bool>& stop);
  int faults() const { return faults_; }
  // Why the run is invalid by what the nemesis itself checked (a member that started on a
  // damaged disk), or empty.
  const std::string& violation() const { return violation_; }

 private:
  // Injects `f` and holds it (or less, if `stop`), then heals it.
  void Inject(const PlannedFault& f, const std::atomic<bool>& stop);
  // Does `start` to some members (see Targets), holds, then does `end` to them.
  void Spell(const PlannedFault& f, std::mt19937_64& rng, absl::Status (Cluster::*start)(int),
             const std::string& heal, absl::Status (Cluster::*end)(int),
             const std::atomic<bool>& stop);
  void Partition(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop);
  // A member replaced (under its id or a new one), or the group grown or shrunk by one, within
  // 3 to 5 members. Skipped if `stop` came while it waited for the change before it.
  void Membership(std::mt19937_64& rng, const std::atomic<bool>& stop);
  // kill -9 a member, a minority or every member, undo what they did not fsync, restart them
  // (nemesis_disk.cc).
  void LoseUnsynced(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop);
  // Damages a stopped member's disk, checks that it refuses to start, re-seeds it
  // (nemesis_corrupt.cc). One at a time, and never with a membership change.
  void Corrupt(std::mt19937_64& rng, const std::atomic<bool>& stop);
  // Skews, jumps, or changes the rate of some members' wall clocks (nemesis_clock.cc).
  void Clock(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop);
  // Isolates or pauses the leader, whose clock runs slow (nemesis_clock.cc).
  void Drift(const PlannedFault& f, std::mt19937_64& rng, const std::atomic<bool>& stop);
  // A random member, the leader, or a random minority.
  std::vector<int> Targets(std::mt19937_64& rng, std::string* label);
  // Sleeps `d` or until `stop`.
  void Hold(absl::Duration d, const std::atomic<bool>& stop);
  void Note(const std::string& what, const absl::Status& s = absl::OkStatus());

  Cluster* cluster_;
  const std::vector<std::string> kinds_;
  const int tracks_;
  const uint64_t seed_;
  std::mutex membership_mu_;
  std::mutex log_mu_;
  std::ofstream log_;
  const absl::Time start_ = absl::Now();
  std::atomic<int> faults_{0};
  std::atomic<int> power_losses_{0};  // of the whole cluster, by LoseUnsynced
  std::string violation_;             // written under membership_mu_, read after Run
};

}  // namespace warren::jepsen
