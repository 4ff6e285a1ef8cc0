// session: clients with sessions each own an ephemeral node; now and then one "crashes" (stops
// keeping its session alive without closing it) and a new client takes its place. An observer
// lists the nodes all along. The node of a crashed client must stay until its session timeout
// has nearly run and be gone in the end; the nodes of living clients must never go, through
// every leader change.
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kSessionParent[] = "/jepsen-session";
const absl::Duration kSessionTimeout = absl::Seconds(10);

struct Owner {
  absl::Time created;                           // acknowledged
  absl::Time crashed = absl::InfiniteFuture();  // when its client stopped
  bool session_ended = false;                   // the quorum ended it while the client lived
};

struct Observation {
  absl::Time invoked, completed;
  std::set<std::string> names;
};

class SessionWorkload : public Workload {
 public:
  explicit SessionWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    return ctx_.cluster->admin()->Create(kSessionParent, "").status();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    if (index == 0) return Observe(stop);
    std::mt19937_64 rng(ctx_.seed * 1000 + index);
    for (int generation = 0; !stop; ++generation) {
      const std::string name = absl::StrCat("c", index, "-", generation);
      auto client = ctx_.ConnectWithSession(index, kSessionTimeout);
      if (!client.ok()) continue;
      (*client)->OnSessionEnd([this, name] {
        std::lock_guard lock(mu_);
        if (owners_.count(name) && owners_[name].crashed == absl::InfiniteFuture()) {
          owners_[name].session_ended = true;
        }
      });
      auto created = (*client)->Create(absl::StrCat(kSessionParent, "/", name), "",
                                       Client::CreateMode::kEphemeral);
      if (!created.ok()) {
        if (OutcomeUnknown(created.status())) {
          std::lock_guard lock(mu_);
          doubtful_.insert(name);
        }
        (*client)->AbandonSession();
        continue;
      }
      {
        std::lock_guard lock(mu_);
        owners_[name].created = absl::Now();
      }
      // Live a while, then crash (one client in four survives the whole run).
      const absl::Time crash_at =
          absl::Now() + absl::Seconds(std::uniform_int_distribution<int>(3, 20)(rng));
      while (!stop && (generation % 4 == 3 || absl::Now() < crash_at)) {
        absl::SleepFor(absl::Milliseconds(100));
      }
      if (stop) {
        std::lock_guard lock(mu_);
        survivors_.push_back(std::move(*client));  // its node must still be there at the end
        return;
      }
      {
        std::lock_guard lock(mu_);
        owners_[name].crashed = absl::Now();
      }
      // Not under mu_: the session-end listener takes it.
      (*client)->AbandonSession();
    }
  }

  std::string Check() override {
    // Every crashed client's session must have expired by now.
    const absl::Time deadline = absl::Now() + kSessionTimeout * 2;
    std::string why;
    while (absl::Now() < deadline) {
      auto children = ctx_.cluster->admin()->GetChildren(kSessionParent);
      if (!children.ok()) {
        why = absl::StrCat("unknown: final read: ", children.status().message());
      } else {
        std::set<std::string> names;
        for (const auto& c : children->children) names.insert(c.name());
        why = CheckFinal(names);
        if (why.empty()) break;
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
    if (!why.empty()) return why;
    std::lock_guard lock(mu_);
    for (const auto& [name, owner] : owners_) {
      if (owner.session_ended) return absl::StrCat("the living session of ", name, " ended");
    }
    for (const Observation& o : observations_) {
      for (const auto& [name, owner] : owners_) {
        const bool should_be_there =
            o.invoked > owner.created && o.completed < owner.crashed + kSessionTimeout / 2;
        if (should_be_there && !o.names.count(name)) {
          return absl::StrCat(name, " was gone ", absl::FormatDuration(o.completed - owner.created),
                              " after it was created, before its session could have expired");
        }
      }
    }
    return "";
  }

 private:
  void Observe(const std::atomic<bool>& stop) {
    auto client = ctx_.Connect(0);
    while (!stop) {
      Observation o;
      o.invoked = absl::Now();
      // Linearizable: a node acknowledged before the read began must be in it.
      auto children = client->Children(kSessionParent, Client::Read::kLinearizable);
      o.completed = absl::Now();
      if (children.ok()) {
        o.names.insert(children->begin(), children->end());
        std::lock_guard lock(mu_);
        observations_.push_back(std::move(o));
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  std::string CheckFinal(const std::set<std::string>& names) {
    std::lock_guard lock(mu_);
    for (const auto& [name, owner] : owners_) {
      const bool crashed = owner.crashed != absl::InfiniteFuture();
      if (crashed && names.count(name)) return absl::StrCat(name, " outlived its crashed client");
      if (!crashed && !names.count(name)) return absl::StrCat(name, " of a living client is gone");
    }
    for (const std::string& n : names) {
      if (!owners_.count(n) && !doubtful_.count(n)) return absl::StrCat("unexpected node ", n);
    }
    return "";
  }

  WorkloadContext ctx_;
  std::mutex mu_;
  std::map<std::string, Owner> owners_;
  std::set<std::string> doubtful_;  // creates in doubt, their clients gone
  std::vector<Observation> observations_;
  std::vector<std::unique_ptr<Client>> survivors_;
};

}  // namespace

std::unique_ptr<Workload> MakeSessionWorkload(WorkloadContext ctx) {
  return std::make_unique<SessionWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
