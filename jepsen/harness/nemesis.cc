#include "jepsen/harness/nemesis.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace warren::jepsen {

absl::StatusOr<std::set<std::string>> Nemesis::ParseKinds(const std::string& list,
                                                          bool partitions_supported) {
  const std::set<std::string> known = {"kill",       "pause", "partition",
                                       "membership", "clock", "drift"};
  std::set<std::string> kinds;
  if (list == "none") return kinds;
  if (list == "all") {
    kinds = known;
    kinds.erase("clock");  // needs libfaketime: asked for by name
    kinds.erase("drift");  // slows member 1's clock for the whole run: asked for by name
    if (!partitions_supported) kinds.erase("partition");
    return kinds;
  }
  for (absl::string_view k : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    if (!known.count(std::string(k))) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown nemesis '", k,
                       "' (kill, pause, partition, membership, clock, drift, all or none)"));
    }
    kinds.insert(std::string(k));
  }
  if (kinds.count("partition") && !partitions_supported) {
    return absl::InvalidArgumentError("the partition nemesis needs --net=netns");
  }
  return kinds;
}

Nemesis::Nemesis(Cluster* cluster, std::set<std::string> kinds, uint64_t seed,
                 const std::string& log)
    : cluster_(cluster), kinds_(kinds.begin(), kinds.end()), rng_(seed), log_(log) {}

void Nemesis::Note(const std::string& what, const absl::Status& s) {
  const std::string line = absl::StrCat(absl::FormatDuration(absl::Now() - start_), " ", what,
                                        s.ok() ? "" : absl::StrCat(" FAILED: ", s.message()));
  LOG(INFO) << "nemesis: " << line;
  log_ << line << std::endl;
}

void Nemesis::Hold(absl::Duration d, const std::atomic<bool>& stop) {
  for (const absl::Time until = absl::Now() + d; !stop && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(50));
  }
}

void Nemesis::Run(const std::atomic<bool>& stop) {
  while (!stop && !kinds_.empty()) {
    Hold(absl::Milliseconds(std::uniform_int_distribution<int>(1500, 4000)(rng_)), stop);
    if (stop) break;
    const std::string& kind =
        kinds_[std::uniform_int_distribution<size_t>(0, kinds_.size() - 1)(rng_)];
    ++faults_;
    if (kind == "kill") Spell("kill", &Cluster::Kill, "restart", &Cluster::Restart, stop);
    if (kind == "pause") Spell("pause", &Cluster::Pause, "resume", &Cluster::Resume, stop);
    if (kind == "partition") Partition(stop);
    if (kind == "membership") Membership();
    if (kind == "clock") Clock(stop);
    if (kind == "drift") Drift(stop);
  }
  Note("heal all", cluster_->HealAll());
}

std::vector<int> Nemesis::Targets(std::string* label) {
  std::vector<int> members = cluster_->Alive();
  std::shuffle(members.begin(), members.end(), rng_);
  const int choice = std::uniform_int_distribution<int>(0, 2)(rng_);
  if (choice == 1) {
    if (auto leader = cluster_->Leader(); leader.ok()) {
      *label = "the leader";
      return {*leader};
    }
  }
  if (choice == 2) {
    *label = "a minority";
    members.resize(std::min<size_t>(members.size(), (cluster_->nodes() - 1) / 2));
    return members;
  }
  *label = "a member";
  members.resize(std::min<size_t>(members.size(), 1));
  return members;
}

void Nemesis::Spell(const std::string& fault, absl::Status (Cluster::*start)(int),
                    const std::string& heal, absl::Status (Cluster::*end)(int),
                    const std::atomic<bool>& stop) {
  std::string label;
  const std::vector<int> targets = Targets(&label);
  for (int id : targets) Note(absl::StrCat(fault, " ", label, ": ", id), (cluster_->*start)(id));
  Hold(absl::Milliseconds(std::uniform_int_distribution<int>(1000, 4000)(rng_)), stop);
  for (int id : targets) Note(absl::StrCat(heal, " ", id), (cluster_->*end)(id));
}

void Nemesis::Partition(const std::atomic<bool>& stop) {
  const int n = cluster_->nodes();
  std::vector<int> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(i);
  std::shuffle(ids.begin(), ids.end(), rng_);
  // Which member hears which: cut[from][to] drops what `from` sends `to`.
  std::set<std::pair<int, int>> cut;
  std::string shape;
  int choice = std::uniform_int_distribution<int>(0, 3)(rng_);
  if (choice == 2 && n < 5) choice = 0;  // with 3 members a ring cuts nothing
  switch (choice) {
    case 0: {  // random halves: a minority and a majority
      shape = "halves";
      const int minority = std::max(1, (n - 1) / 2);
      for (int a = 0; a < n; ++a) {
        for (int b = 0; b < n; ++b) {
          if ((a < minority) != (b < minority)) cut.insert({ids[a], ids[b]});
        }
      }
      break;
    }
    case 1: {  // the leader alone
      auto leader = cluster_->Leader();
      const int alone = leader.ok() ? *leader : ids[0];
      shape = absl::StrCat("isolate ", alone);
      for (int b : ids) {
        if (b != alone) cut.insert({alone, b}), cut.insert({b, alone});
      }
      break;
    }
    case 2: {  // a ring: each member hears only its neighbours (each sees a majority for n=5)
      shape = "ring";
      for (int a = 0; a < n; ++a) {
        for (int b = 0; b < n; ++b) {
          const int d = std::abs(a - b);
          if (a != b && d != 1 && d != n - 1) cut.insert({ids[a], ids[b]});
        }
      }
      break;
    }
    default:  // one way: one member stops hearing another
      shape = absl::StrCat("one-way ", ids[0], "->", ids[1]);
      cut.insert({ids[0], ids[1]});
      break;
  }
  std::vector<std::string> pairs;
  absl::Status s;
  for (const auto& [from, to] : cut) {
    pairs.push_back(absl::StrCat(from, "->", to));
    s.Update(cluster_->Drop(from, to));
  }
  Note(absl::StrCat("partition ", shape, " (drop ", absl::StrJoin(pairs, " "), ")"), s);
  Hold(absl::Milliseconds(std::uniform_int_distribution<int>(1000, 5000)(rng_)), stop);
  Note("heal network", cluster_->HealNetwork());
}

void Nemesis::Membership() {
  auto leader = cluster_->Leader();
  std::vector<int> others;
  for (int id : cluster_->Alive()) {
    if (!leader.ok() || id != *leader) others.push_back(id);
  }
  if (others.empty()) return;
  const int id = others[std::uniform_int_distribution<size_t>(0, others.size() - 1)(rng_)];
  Note(absl::StrCat("replace member ", id, " (remove, wipe, join, promote)"),
       cluster_->Replace(id));
}

}  // namespace warren::jepsen
