// The dependency graph of a transactional history, and the search for its cycles.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace warren::elle {

// Edge types, as bits so that a search can allow several.
enum EdgeType : uint8_t {
  kWW = 1,  // write-write: `to` appended the element after `from`'s
  kWR = 2,  // write-read: `to` read a list that ended with `from`'s element
  kRW = 4,  // read-write (anti-dependency): `to` appended the element after what `from` read
  kRT = 8,  // real-time: `from` completed before `to` was invoked
};
constexpr uint8_t kAllEdges = kWW | kWR | kRW | kRT;

struct Edge {
  int from = 0;
  int to = 0;
  EdgeType type = kWW;
  int key = -1;       // index of the key; -1 for real-time edges
  int64_t value = 0;  // ww and rw: the element `to` appended; wr: the last element `to` read
};

class DepGraph {
 public:
  explicit DepGraph(int nodes) : out_(nodes) {}
  int nodes() const { return static_cast<int>(out_.size()); }
  size_t edges() const { return edges_; }
  void Add(const Edge& e) {
    out_[e.from].push_back(e);
    ++edges_;
  }
  const std::vector<Edge>& Out(int node) const { return out_[node]; }

 private:
  std::vector<std::vector<Edge>> out_;
  size_t edges_ = 0;
};

// A cycle as its edges in order: each edge's `to` is the next one's `from`.
using Cycle = std::vector<Edge>;

// Tarjan's strongly connected components of the subgraph of the edges whose type is in
// `mask`: each node's component id, -1 for a node in no cycle of that subgraph.
std::vector<int> CyclicComponents(const DepGraph& g, uint8_t mask);

// A short cycle of edges in `mask`, if there is one: a shortest one through each of a few
// nodes of the smallest cyclic component, by breadth-first search, the shortest of those.
std::optional<Cycle> FindCycle(const DepGraph& g, uint8_t mask);

// A cycle of exactly one rw edge, the others of types in `mask` (which must not hold kRW):
// for rw edges u->v inside a cyclic component, a shortest path v->u of `mask` edges. At most
// `attempts` rw edges are tried, so that it stays fast on a large anomalous graph.
std::optional<Cycle> FindSingleRwCycle(const DepGraph& g, uint8_t mask, int attempts = 1000);

}  // namespace warren::elle
