// The tree's invariants, as the fuzzers check them (tree_invariants.h).
#include "tests/metastore/tree_invariants.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "metastore/path.h"

namespace warren::metastore {

metastorepb::QueryReply AskAsSuper(ZNodeTree& tree, metastorepb::Query q) {
  q.add_auth()->set_scheme("super");
  auto out = tree.Query(q.SerializeAsString());
  metastorepb::QueryReply reply;
  if (!out.ok() || !reply.ParseFromString(*out)) {
    fprintf(stderr, "the tree cannot be queried\n");
    abort();
  }
  return reply;
}

namespace {

metastorepb::QueryReply GetChildren(ZNodeTree& tree, const std::string& path) {
  metastorepb::Query q;
  q.mutable_get_children()->set_path(path);
  return AskAsSuper(tree, q);
}

metastorepb::QueryReply GetData(ZNodeTree& tree, const std::string& path) {
  metastorepb::Query q;
  q.mutable_get_data()->set_path(path);
  return AskAsSuper(tree, q);
}

absl::Status Broken(std::string what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, ": ", absl::CEscape(path)));
}

}  // namespace

std::vector<std::string> WalkTree(ZNodeTree& tree) {
  std::vector<std::string> order;
  std::vector<std::string> stack = {"/"};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    const metastorepb::QueryReply reply = GetChildren(tree, path);
    for (const auto& child : reply.children()) stack.push_back(ChildPath(path, child.name()));
    order.push_back(std::move(path));
  }
  return order;
}

absl::Status CheckTreeInvariants(ZNodeTree& tree) {
  const std::vector<std::string> nodes = WalkTree(tree);
  if (nodes.size() != tree.node_count()) {
    return absl::InternalError(
        absl::StrCat("a walk finds ", nodes.size(), " nodes; node_count says ", tree.node_count()));
  }
  auto below = tree.CountDescendants("/");
  if (!below.ok() || *below + 1 != static_cast<int64_t>(nodes.size())) {
    return absl::InternalError("CountDescendants(\"/\") disagrees with the walk");
  }
  const int64_t applied = static_cast<int64_t>(tree.LastApplied());
  size_t ephemerals = 0;
  for (const std::string& path : nodes) {
    const metastorepb::QueryReply data = GetData(tree, path);
    const metastorepb::QueryReply children = GetChildren(tree, path);
    if (data.error() != metastorepb::OK || children.error() != metastorepb::OK) {
      return Broken("a node found by the walk cannot be read", path);
    }
    const metastorepb::Stat& st = data.stat();
    if (st.num_children() != children.children_size() ||
        st.data_length() != static_cast<int32_t>(data.data().size())) {
      return Broken("a stat disagrees with its node", path);
    }
    if (st.czxid() > st.mzxid() || st.czxid() > st.pzxid() || st.mzxid() > applied ||
        st.pzxid() > applied) {
      return Broken("a stat's zxids are out of order", path);
    }
    if (st.ephemeral_owner() != 0) {
      ++ephemerals;
      const auto owner = static_cast<uint64_t>(st.ephemeral_owner());
      if (!tree.HasSession(owner) || children.children_size() != 0) {
        return Broken("an ephemeral node of no session, or with children", path);
      }
      const auto listed = tree.Ephemerals(owner, path);
      if (std::find(listed.begin(), listed.end(), path) == listed.end()) {
        return Broken("an ephemeral node its session does not list", path);
      }
    }
  }
  size_t listed = 0;
  for (const auto& s : tree.Sessions()) listed += tree.Ephemerals(s.id, "/").size();
  if (listed != ephemerals) {
    return absl::InternalError(
        absl::StrCat("sessions list ", listed, " ephemerals; the walk finds ", ephemerals));
  }
  return absl::OkStatus();
}

std::string DumpTree(ZNodeTree& tree) {
  std::string out;
  for (const std::string& path : WalkTree(tree)) {
    metastorepb::Query acl;
    acl.mutable_get_acl()->set_path(path);
    absl::StrAppend(&out, absl::CEscape(path), " ", GetData(tree, path).ShortDebugString(), " ",
                    AskAsSuper(tree, acl).ShortDebugString(), "\n");
  }
  for (const auto& s : tree.Sessions()) {
    absl::StrAppend(&out, "session ", s.id, " ", s.timeout_ms, "\n");
  }
  return out;
}

}  // namespace warren::metastore
