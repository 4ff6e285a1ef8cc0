#include "jepsen/harness/nemesis.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace warren::jepsen {

absl::StatusOr<std::set<std::string>> Nemesis::ParseKinds(const std::string& list,
                                                          bool partitions_supported) {
  const std::set<std::string> known = {"kill",          "pause",   "partition", "membership",
                                       "lose-unsynced", "corrupt", "clock",     "drift"};
  std::set<std::string> kinds;
  if (list == "none") return kinds;
  if (list == "all") {
    kinds = known;
    kinds.erase("corrupt");  // needs members that snapshot often: ask for it by name
    kinds.erase("clock");    // needs libfaketime: asked for by name
    kinds.erase("drift");    // slows member 1's clock for the whole run: asked for by name
    if (!partitions_supported) kinds.erase("partition");
    kinds.erase("lose-unsynced");  // it changes how members run: asked for by name only
    return kinds;
  }
  for (absl::string_view k : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    if (!known.count(std::string(k))) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown nemesis '", k,
                       "' (kill, pause, partition, membership, lose-unsynced, corrupt, clock, "
                       "drift, all or none)"));
    }
    kinds.insert(std::string(k));
  }
  if (kinds.count("partition") && !partitions_supported) {
    return absl::InvalidArgumentError("the partition nemesis needs --net=netns");
  }
  return kinds;
}

Nemesis::Nemesis(Cluster* cluster, std::set<std::string> kinds, int tracks, uint64_t seed,
                 const std::string& log)
    : cluster_(cluster),
      kinds_(kinds.begin(), kinds.end()),
      tracks_(tracks),
      seed_(seed),
      log_(log) {}

void Nemesis::Note(const std::string& what, const absl::Status& s) {
  const std::string line = absl::StrCat(absl::FormatDuration(absl::Now() - start_), " ", what,
                                        s.ok() ? "" : absl::StrCat(" FAILED: ", s.message()));
  LOG(INFO) << "nemesis: " << line;
  std::lock_guard lock(log_mu_);
  log_ << line << std::endl;
}

void Nemesis::Hold(absl::Duration d, const std::atomic<bool>& stop) {
  for (const absl::Time until = absl::Now() + d; !stop && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(50));
  }
}

void Nemesis::Run(const std::atomic<bool>& stop) {
  std::vector<std::thread> faults;
  if (!kinds_.empty()) {
    Note(absl::StrCat("schedule: seed ", seed_, ", ", tracks_, " track(s) of ",
                      absl::StrJoin(kinds_, ",")));
    FaultSchedule schedule(kinds_, tracks_, seed_);
    while (!stop) {
      const PlannedFault f = schedule.Next();
      Hold(start_ + f.start - absl::Now(), stop);
      if (stop) break;
      ++faults_;
      faults.emplace_back([this, f, &stop] { Inject(f, stop); });
    }
  }
  for (std::thread& t : faults) t.join();  // each heals its own
  Note("heal all", cluster_->HealAll());
}

void Nemesis::Inject(const PlannedFault& f, const std::atomic<bool>& stop) {
  std::mt19937_64 rng(f.seed);
  if (f.kind == "kill") Spell(f, rng, &Cluster::Kill, "restart", &Cluster::Restart, stop);
  if (f.kind == "pause") Spell(f, rng, &Cluster::Pause, "resume", &Cluster::Resume, stop);
  if (f.kind == "partition") Partition(f, rng, stop);
  if (f.kind == "membership") Membership(rng, stop);
  if (f.kind == "lose-unsynced") LoseUnsynced(f, rng, stop);
  if (f.kind == "corrupt") Corrupt(rng, stop);
  if (f.kind == "clock") Clock(f, rng, stop);
  if (f.kind == "drift") Drift(f, rng, stop);
}

std::vector<int> Nemesis::Targets(std::mt19937_64& rng, std::string* label) {
  std::vector<int> members = cluster_->Alive();
  std::shuffle(members.begin(), members.end(), rng);
  const int choice = std::uniform_int_distribution<int>(0, 2)(rng);
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

void Nemesis::Spell(const PlannedFault& f, std::mt19937_64& rng,
                    absl::Status (Cluster::*start)(int), const std::string& heal,
                    absl::Status (Cluster::*end)(int), const std::atomic<bool>& stop) {
  std::string label;
  const std::vector<int> targets = Targets(rng, &label);
  std::vector<int> hit;  // heal only what this fault did: another may hold the rest
  for (int id : targets) {
    const absl::Status s = (cluster_->*start)(id);
    Note(absl::StrCat(f.kind, " ", label, ": ", id), s);
    if (s.ok()) hit.push_back(id);
  }
  Hold(f.hold, stop);
  for (int id : hit) Note(absl::StrCat(heal, " ", id), (cluster_->*end)(id));
}

void Nemesis::Partition(const PlannedFault& f, std::mt19937_64& rng,
                        const std::atomic<bool>& stop) {
  std::vector<int> ids = cluster_->Group();
  const int n = static_cast<int>(ids.size());
  std::shuffle(ids.begin(), ids.end(), rng);
  // Which member hears which: cut[from][to] drops what `from` sends `to`.
  std::multiset<std::pair<int, int>> cut;
  std::string shape;
  int choice = std::uniform_int_distribution<int>(0, 3)(rng);
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
  const std::string name =
      absl::StrCat("partition ", shape, " (drop ", absl::StrJoin(pairs, " "), ")");
  Note(name, s);
  Hold(f.hold, stop);
  s = absl::OkStatus();
  for (const auto& [from, to] : cut) s.Update(cluster_->Undrop(from, to));
  Note(absl::StrCat("heal ", name), s);
}

void Nemesis::Membership(std::mt19937_64& rng, const std::atomic<bool>& stop) {
  constexpr int kFewest = 3, kMost = 5;
  // One change at a time, each decided on the group as the one before left it.
  std::lock_guard one_at_a_time(membership_mu_);
  if (stop) return;
  const std::vector<int> group = cluster_->Group();
  const int n = static_cast<int>(group.size());
  auto leader = cluster_->Leader();
  std::vector<int> followers;
  for (int id : group) {
    if (!leader.ok() || id != *leader) followers.push_back(id);
  }
  const auto pick = [&rng](const std::vector<int>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  };
  const int choice = std::uniform_int_distribution<int>(0, 3)(rng);
  if (choice < 2) {  // a machine replaced: under its id, or a new machine (new id and address)
    if (followers.empty()) return;
    const int id = pick(followers);
    const bool new_id = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    Note(absl::StrCat("replace member ", id, new_id ? " with a new id" : " under its id",
                      " (remove, wipe, join, promote)"));
    const absl::Status s = cluster_->Replace(id, new_id);
    Note(absl::StrCat("replaced ", id, ": group ", absl::StrJoin(cluster_->Group(), ",")), s);
    return;
  }
  // Grow or shrink by one, within kFewest..kMost: the leader as likely to go as any member.
  if ((choice == 2 && n < kMost) || n <= kFewest) {
    Note(absl::StrCat("grow from ", n, " members (join, promote)"));
    auto id = cluster_->Grow();
    Note(absl::StrCat("grown: group ", absl::StrJoin(cluster_->Group(), ",")), id.status());
    return;
  }
  const int id = pick(group);
  Note(absl::StrCat("shrink: remove member ", id,
                    leader.ok() && id == *leader ? " (the leader)" : ""));
  const absl::Status s = cluster_->Shrink(id);
  Note(absl::StrCat("shrunk: group ", absl::StrJoin(cluster_->Group(), ",")), s);
}

}  // namespace warren::jepsen
