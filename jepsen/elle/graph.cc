#include "jepsen/elle/graph.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

namespace warren::elle {
namespace {

// Of the edges from->to whose type is in `mask`, the one that says the least about the
// isolation level the cycle breaks: ww, then wr, then real-time, then rw.
Edge Weakest(const DepGraph& g, const Edge& e, uint8_t mask) {
  static constexpr EdgeType kPreference[] = {kWW, kWR, kRT, kRW};
  for (EdgeType t : kPreference) {
    if (!(mask & t)) continue;
    for (const Edge& o : g.Out(e.from)) {
      if (o.to == e.to && o.type == t) return o;
    }
  }
  return e;
}

// A shortest path of `mask` edges from `src` to `dst` (a cycle if they are the same node),
// through nodes of component `c` only.
std::optional<Cycle> ShortestPath(const DepGraph& g, int src, int dst, uint8_t mask,
                                  const std::vector<int>& comp, int c) {
  std::unordered_map<int, Edge> parent;  // node -> the edge it was reached by
  std::deque<int> queue = {src};
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (const Edge& e : g.Out(u)) {
      if (!(e.type & mask) || comp[e.to] != c) continue;
      if (e.to == dst) {
        Cycle path = {e};
        for (int at = u; at != src; at = parent[at].from) path.push_back(parent[at]);
        std::reverse(path.begin(), path.end());
        for (Edge& p : path) p = Weakest(g, p, mask);
        return path;
      }
      if (e.to == src || parent.contains(e.to)) continue;
      parent.emplace(e.to, e);
      queue.push_back(e.to);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<int> CyclicComponents(const DepGraph& g, uint8_t mask) {
  const int n = g.nodes();
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  struct Frame {
    int node;
    size_t next;  // the next of its out-edges to look at
  };
  std::vector<Frame> calls;  // Tarjan's recursion, unrolled: histories are deep
  int counter = 0, components = 0;
  auto visit = [&](int v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    calls.push_back({v, 0});
  };
  for (int s = 0; s < n; ++s) {
    if (index[s] != -1) continue;
    visit(s);
    while (!calls.empty()) {
      const int v = calls.back().node;
      const auto& out = g.Out(v);
      if (calls.back().next < out.size()) {
        const Edge& e = out[calls.back().next++];
        if (!(e.type & mask)) continue;
        if (index[e.to] == -1) {
          visit(e.to);
        } else if (on_stack[e.to]) {
          low[v] = std::min(low[v], index[e.to]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) low[calls.back().node] = std::min(low[calls.back().node], low[v]);
      if (low[v] != index[v]) continue;
      std::vector<int> members;
      int w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        members.push_back(w);
      } while (w != v);
      if (members.size() < 2) continue;  // no self-loops: a lone node is in no cycle
      for (int m : members) comp[m] = components;
      ++components;
    }
  }
  return comp;
}

std::optional<Cycle> FindCycle(const DepGraph& g, uint8_t mask) {
  const std::vector<int> comp = CyclicComponents(g, mask);
  std::map<int, std::vector<int>> members;
  for (int v = 0; v < g.nodes(); ++v) {
    if (comp[v] != -1) members[comp[v]].push_back(v);
  }
  if (members.empty()) return std::nullopt;
  const auto smallest = std::min_element(members.begin(), members.end(), [](auto& a, auto& b) {
    return a.second.size() < b.second.size();
  });
  std::optional<Cycle> best;
  const auto& nodes = smallest->second;
  for (size_t i = 0; i < nodes.size() && i < 10; ++i) {
    auto c = ShortestPath(g, nodes[i], nodes[i], mask, comp, smallest->first);
    if (c && (!best || c->size() < best->size())) best = std::move(c);
  }
  return best;
}

std::optional<Cycle> FindSingleRwCycle(const DepGraph& g, uint8_t mask, int attempts) {
  const std::vector<int> comp = CyclicComponents(g, mask | kRW);
  std::optional<Cycle> best;
  for (int u = 0; u < g.nodes() && attempts > 0; ++u) {
    if (comp[u] == -1) continue;
    for (const Edge& e : g.Out(u)) {
      if (e.type != kRW || comp[e.to] != comp[u]) continue;
      if (attempts-- == 0) break;
      auto path = ShortestPath(g, e.to, u, mask, comp, comp[u]);
      if (!path || (best && path->size() + 1 >= best->size())) continue;
      path->insert(path->begin(), e);
      best = std::move(path);
    }
  }
  return best;
}

}  // namespace warren::elle
