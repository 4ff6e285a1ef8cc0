// warren-demo: a visible run of three in-memory Raft peers. They elect a leader, commit
// commands, lose their leader to a partition, elect another, and heal.
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "raft/core/raft.h"

ABSL_FLAG(uint64_t, seed, 1, "seed of the peers' election timers");

namespace warren::raft {
namespace {

class Demo {
 public:
  explicit Demo(uint64_t seed) {
    std::vector<uint64_t> ids = {1, 2, 3};
    for (uint64_t id : ids) {
      Config c;
      c.id = id;
      c.random_seed = seed * 10 + id;
      nodes_[id] = std::move(*Raft::Create(c, BootstrapState(ids)));
    }
  }

  void Say(const std::string& what) { std::cout << "[tick " << tick_ << "] " << what << "\n"; }

  // One tick: every peer ticks, handles its Ready, and messages arrive.
  void Step() {
    ++tick_;
    for (auto& [id, n] : nodes_) n->Tick();
    for (int round = 0; round < 20; ++round) {
      for (auto& [id, n] : nodes_) {
        if (!n->HasReady()) continue;
        Ready rd = n->GetReady();
        if (rd.soft_state && rd.soft_state->role == Role::kLeader) {
          Say("node " + std::to_string(id) + " is leader of term " + std::to_string(n->term()));
        }
        for (const EntryPtr& entry : rd.committed_entries) {
          const raftpb::Entry& e = *entry;
          if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) {
            applied_[id].push_back(e.data());
            int copies = ++applied_count_[e.index()];
            if (copies == 1) {
              Say("\"" + e.data() + "\" committed at index " + std::to_string(e.index()) +
                  " (a majority has it)");
            } else if (copies == 3) {
              Say("\"" + e.data() + "\" now applied on all 3 nodes");
            }
          }
        }
        for (auto& m : rd.messages) inbox_.push_back(std::move(m));
        n->Advance(rd);
      }
      auto inbox = std::move(inbox_);
      inbox_.clear();
      for (auto& m : inbox) {
        if (cut_.count(m.from()) || cut_.count(m.to())) continue;
        (void)nodes_[m.to()]->Step(m);
      }
    }
  }

  uint64_t Leader() {
    uint64_t best = 0;
    for (auto& [id, n] : nodes_) {
      if (n->role() == Role::kLeader && !cut_.count(id) &&
          (best == 0 || n->term() > nodes_[best]->term())) {
        best = id;
      }
    }
    return best;
  }

  void WaitForLeader() {
    for (int i = 0; i < 100 && Leader() == 0; ++i) Step();
  }

  void Propose(const std::string& cmd) {
    uint64_t l = Leader();
    auto r = nodes_[l]->Propose(cmd);
    Say("client sends \"" + cmd + "\" to node " + std::to_string(l) +
        (r.ok() ? ": appended at index " + std::to_string(r->index)
                : ": " + r.status().ToString()));
    Step();
  }

  int Run() {
    Say("three nodes start; none is leader");
    WaitForLeader();
    for (const char* cmd : {"set color=blue", "set size=3", "incr counter"}) Propose(cmd);
    for (int i = 0; i < 3; ++i) Step();

    uint64_t old = Leader();
    cut_.insert(old);
    Say("network partition isolates leader node " + std::to_string(old));
    WaitForLeader();
    for (const char* cmd : {"set color=green", "incr counter"}) Propose(cmd);
    for (int i = 0; i < 3; ++i) Step();

    cut_.clear();
    Say("partition heals; node " + std::to_string(old) + " rejoins");
    for (int i = 0; i < 30; ++i) Step();
    std::cout << "\nfinal state:\n";
    bool same = true;
    for (auto& [id, n] : nodes_) {
      std::cout << "  node " << id << ": " << RoleName(n->role()) << ", term " << n->term()
                << ", commit " << n->log().committed() << ", applied " << applied_[id].size()
                << " commands\n";
      same &= applied_[id] == applied_[1];
    }
    std::cout << (same ? "all nodes applied the same commands in the same order\n"
                       : "NODES DIVERGED\n");
    return same ? 0 : 1;
  }

 private:
  std::map<uint64_t, std::unique_ptr<Raft>> nodes_;
  std::map<uint64_t, std::vector<std::string>> applied_;
  std::map<uint64_t, int> applied_count_;
  std::vector<raftpb::Message> inbox_;
  std::set<uint64_t> cut_;
  int tick_ = 0;
};

}  // namespace
}  // namespace warren::raft

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return warren::raft::Demo(absl::GetFlag(FLAGS_seed)).Run();
}
