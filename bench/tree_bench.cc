// The znode tree's apply path on one core, with no Raft and no network: what one member can
// apply per second for create / set / delete, with the tree on RocksDB as warrend keeps it
// (Persist after every `batch` entries, as the runtime does after each batch it applies, with
// and without the watch events it keeps on disk), and
// the per-request costs of path validation and key / command encoding.
//   build/bin/warren-bench-tree [--benchmark_filter=Apply]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/path.h"
#include "metastore/tree_storage.h"
#include "metastore/znode_tree.h"

namespace warren::metastore {
namespace {
namespace fs = std::filesystem;

const std::string kValue(256, 'v');

// A tree in a fresh directory, fed commands at consecutive indexes.
class Tree {
 public:
  // `keep_events`: with the events of the last zxids on disk, as warrend keeps them.
  explicit Tree(bool keep_events) {
    dir_ = fs::temp_directory_path() / absl::StrCat("warren-tree-bench-", getpid());
    fs::remove_all(dir_);
    TreeOptions options;
    options.dir = dir_.string();
    if (!keep_events) options.event_history = 0;
    auto t = ZNodeTree::Open(options, nullptr);
    CHECK(t.ok()) << t.status();
    tree_ = std::move(*t);
    Apply(Op(CreateRequestFor("/b")));
  }
  ~Tree() {
    tree_.reset();
    fs::remove_all(dir_);
  }
  static metastorepb::Op CreateRequestFor(const std::string& path) {
    metastorepb::Op op;
    op.mutable_create()->set_path(path);
    op.mutable_create()->set_data(kValue);
    return op;
  }
  static std::string Op(const metastorepb::Op& op) {
    metastorepb::Command cmd;
    cmd.set_time_ms(1);
    *cmd.mutable_multi()->add_ops() = op;
    return cmd.SerializeAsString();
  }
  void Apply(const std::string& command) {
    auto out = tree_->Apply(++index_, command);
    CHECK(out.ok()) << out.status();
    metastorepb::CommandReply reply;
    CHECK(reply.ParseFromString(*out) && reply.error() == metastorepb::OK) << reply.message();
  }
  void Persist() {
    absl::Status s = tree_->Persist(index_, {});
    CHECK(s.ok()) << s;
  }

 private:
  fs::path dir_;
  std::unique_ptr<ZNodeTree> tree_;
  uint64_t index_ = 0;
};

std::string NodePath(int64_t i) { return absl::StrCat("/b/n", i); }

// Commands are encoded before the clock starts, as they arrive encoded in log entries.
void ApplyAll(benchmark::State& state, Tree& tree, const std::vector<std::string>& commands) {
  const int64_t batch = state.range(0);
  size_t next = 0;
  for (auto _ : state) {
    tree.Apply(commands[next++ % commands.size()]);
    if (next % batch == 0) tree.Persist();
  }
  state.SetItemsProcessed(state.iterations());
}

// Each create must be of a new node: as many commands as the (fixed) iterations.
constexpr int64_t kCreates = 200000;

void BM_ApplyCreate(benchmark::State& state) {
  Tree tree(state.range(1) != 0);
  std::vector<std::string> commands;
  for (int64_t i = 0; i < kCreates; ++i) {
    commands.push_back(Tree::Op(Tree::CreateRequestFor(NodePath(i))));
  }
  ApplyAll(state, tree, commands);
}

void BM_ApplySet(benchmark::State& state) {
  Tree tree(state.range(1) != 0);
  constexpr int kNodes = 10000;
  for (int i = 0; i < kNodes; ++i) tree.Apply(Tree::Op(Tree::CreateRequestFor(NodePath(i))));
  tree.Persist();
  std::mt19937 rng(1);
  std::vector<std::string> commands;
  for (int i = 0; i < 100000; ++i) {
    metastorepb::Op op;
    op.mutable_set_data()->set_path(NodePath(rng() % kNodes));
    op.mutable_set_data()->set_data(kValue);
    commands.push_back(Tree::Op(op));
  }
  ApplyAll(state, tree, commands);
}

// Each iteration creates a node and deletes it, so the tree neither empties nor grows; the
// delete's cost is the pair's less BM_ApplyCreate's.
void BM_ApplyCreateDelete(benchmark::State& state) {
  Tree tree(state.range(1) != 0);
  std::vector<std::string> commands;
  for (int i = 0; i < 1000; ++i) {
    commands.push_back(Tree::Op(Tree::CreateRequestFor(NodePath(i))));
    metastorepb::Op del;
    del.mutable_delete_()->set_path(NodePath(i));
    commands.push_back(Tree::Op(del));
  }
  ApplyAll(state, tree, commands);
}

// Arguments: entries per Persist; whether the tree keeps its events on disk (warrend does).
BENCHMARK(BM_ApplyCreate)
    ->ArgNames({"batch", "events"})
    ->ArgsProduct({{1, 64}, {1, 0}})
    ->Iterations(kCreates);
BENCHMARK(BM_ApplySet)->ArgNames({"batch", "events"})->ArgsProduct({{1, 64}, {1, 0}});
BENCHMARK(BM_ApplyCreateDelete)->ArgNames({"batch", "events"})->ArgsProduct({{1, 64}, {1, 0}});

void BM_ValidatePath(benchmark::State& state) {
  const std::string path = "/ledgers/00/0000/L0001/some-child-name";
  for (auto _ : state) benchmark::DoNotOptimize(ValidatePath(path));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidatePath);

void BM_NodeKey(benchmark::State& state) {
  const std::string path = "/ledgers/00/0000/L0001/some-child-name";
  for (auto _ : state) benchmark::DoNotOptimize(NodeKey(path));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeKey);

void BM_CommandRoundTrip(benchmark::State& state) {
  metastorepb::Op op = Tree::CreateRequestFor("/ledgers/00/0000/L0001");
  for (auto _ : state) {
    std::string bytes = Tree::Op(op);
    metastorepb::Command cmd;
    benchmark::DoNotOptimize(cmd.ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CommandRoundTrip);

}  // namespace
}  // namespace warren::metastore

int main(int argc, char** argv) {
  FLAGS_minloglevel = 1;  // not the tree's "opened" line for every run
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
