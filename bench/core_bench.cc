// Committed entries per second through a 3-node in-memory cluster: the Raft core alone, with
// no disk and no network, so the figure is the algorithm's own ceiling.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "glog/logging.h"
#include "raft/core/raft.h"

namespace warren::raft {
namespace {

class BenchCluster {
 public:
  explicit BenchCluster(int n) {
    std::vector<uint64_t> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(i);
    for (uint64_t id : ids) {
      Config c;
      c.id = id;
      c.random_seed = id;
      c.max_inflight_msgs = 1024;
      nodes_.push_back(std::move(*Raft::Create(c, BootstrapState(ids))));
    }
    // Node 1 campaigns; everyone's lease of a (non-existent) leader has to pass first.
    for (int i = 0; i < 10; ++i)
      for (auto& n : nodes_) n->Tick();
    while (nodes_[0]->role() != Role::kLeader) {
      nodes_[0]->Tick();
      Pump();
    }
    Pump();
  }

  Raft& leader() { return *nodes_[0]; }

  // Drops every member's applied log, as a runtime taking snapshots would, so that the
  // followers' logs do not grow for the length of the run either.
  void CompactAll() {
    for (auto& n : nodes_) (void)n->Compact(n->log().applied());
  }

  // Processes Readies and delivers messages until the cluster is idle; returns how many
  // entries the leader handed out as committed.
  uint64_t Pump() {
    uint64_t committed = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (auto& n : nodes_) {
        if (!n->HasReady()) continue;
        moved = true;
        Ready rd = n->GetReady();
        if (n.get() == nodes_[0].get()) committed += rd.committed_entries.size();
        for (auto& m : rd.messages) inbox_.push_back(std::move(m));
        n->Advance(rd);
      }
      while (!inbox_.empty()) {
        moved = true;
        raftpb::Message m = std::move(inbox_.front());
        inbox_.pop_front();
        (void)nodes_[m.to() - 1]->Step(std::move(m));
      }
    }
    return committed;
  }

 private:
  std::vector<std::unique_ptr<Raft>> nodes_;
  std::deque<raftpb::Message> inbox_;
};

// Arguments: proposals per round (batch) and payload bytes.
void BM_CommitThroughThreeNodes(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const std::string payload(static_cast<size_t>(state.range(1)), 'x');
  BenchCluster cluster(3);
  uint64_t committed = 0;
  uint64_t rounds = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) (void)cluster.leader().Propose(payload);
    committed += cluster.Pump();
    if (++rounds % 64 == 0) cluster.CompactAll();
  }
  state.SetItemsProcessed(static_cast<int64_t>(committed));
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitThroughThreeNodes)
    ->ArgNames({"batch", "bytes"})
    ->Args({1, 128})
    ->Args({16, 128})
    ->Args({256, 128})
    ->Args({256, 16})
    ->Args({256, 1024});

}  // namespace
}  // namespace warren::raft

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
