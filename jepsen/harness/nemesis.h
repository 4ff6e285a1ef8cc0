#pragma once

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jepsen/harness/cluster.h"

namespace warren::jepsen {

// Injects faults into the cluster, one at a time: a quiet spell, a fault held a few seconds,
// then healed. Kinds (any combination): kill, pause, partition, membership.
class Nemesis {
 public:
  static absl::StatusOr<std::set<std::string>> ParseKinds(const std::string& list,
                                                          bool partitions_supported);
  // Flags of single members that the kinds need (with drift, member 1's clock runs slow); an
  // error if the clock kind cannot run here.
  static absl::StatusOr<std::map<int, std::vector<std::string>>> MemberFlags(
      const std::set<std::string>& kinds, int tick_ms);
  Nemesis(Cluster* cluster, std::set<std::string> kinds, uint64_t seed, const std::string& log);

  // Until `stop`; leaves everything healed.
  void Run(const std::atomic<bool>& stop);
  int faults() const { return faults_; }

 private:
  // Does `start` to some members (see Targets), holds a while, then does `end` to them.
  void Spell(const std::string& fault, absl::Status (Cluster::*start)(int), const std::string& heal,
             absl::Status (Cluster::*end)(int), const std::atomic<bool>& stop);
  void Partition(const std::atomic<bool>& stop);
  void Membership();
  // Skews, jumps, or changes the rate of some members' wall clocks (nemesis_clock.cc).
  void Clock(const std::atomic<bool>& stop);
  // Isolates or pauses the leader, whose clock runs slow (nemesis_clock.cc).
  void Drift(const std::atomic<bool>& stop);
  // A random member, the leader, or a random minority.
  std::vector<int> Targets(std::string* label);
  // Sleeps `d` or until `stop`.
  void Hold(absl::Duration d, const std::atomic<bool>& stop);
  void Note(const std::string& what, const absl::Status& s = absl::OkStatus());

  Cluster* cluster_;
  std::vector<std::string> kinds_;
  std::mt19937_64 rng_;
  std::ofstream log_;
  const absl::Time start_ = absl::Now();
  int faults_ = 0;
};

}  // namespace warren::jepsen
