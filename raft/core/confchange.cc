#include "raft/core/confchange.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "raft/core/config.h"

namespace warren::raft {
namespace {

using IdSet = std::set<uint64_t>;

IdSet ToSet(const google::protobuf::RepeatedField<uint64_t>& ids) {
  return IdSet(ids.begin(), ids.end());
}

void FromSet(const IdSet& ids, google::protobuf::RepeatedField<uint64_t>* out) {
  out->Clear();
  for (uint64_t id : ids) out->Add(id);
}

struct Membership {
  IdSet voters, outgoing, learners, learners_next;
  bool auto_leave = false;

  explicit Membership(const raftpb::ConfState& cs)
      : voters(ToSet(cs.voters())),
        outgoing(ToSet(cs.voters_outgoing())),
        learners(ToSet(cs.learners())),
        learners_next(ToSet(cs.learners_next())),
        auto_leave(cs.auto_leave()) {}

  raftpb::ConfState ToProto() const {
    raftpb::ConfState cs;
    FromSet(voters, cs.mutable_voters());
    FromSet(outgoing, cs.mutable_voters_outgoing());
    FromSet(learners, cs.mutable_learners());
    FromSet(learners_next, cs.mutable_learners_next());
    cs.set_auto_leave(auto_leave);
    return cs;
  }

  bool IsJoint() const { return !outgoing.empty(); }

  absl::Status Apply(const raftpb::ConfChangeSingle& c) {
    uint64_t id = c.node_id();
    if (id == kNoNode) return absl::InvalidArgumentError("conf change: node id 0 is reserved");
    switch (c.type()) {
      case raftpb::ADD_VOTER:
        learners.erase(id);
        learners_next.erase(id);
        voters.insert(id);
        return absl::OkStatus();
      case raftpb::ADD_LEARNER:
        voters.erase(id);
        // A voter of the outgoing half still votes there until the joint state is left.
        if (outgoing.count(id)) {
          learners_next.insert(id);
        } else {
          learners.insert(id);
        }
        return absl::OkStatus();
      case raftpb::REMOVE_NODE:
        voters.erase(id);
        learners.erase(id);
        learners_next.erase(id);
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("conf change: unknown change type ", static_cast<int>(c.type())));
    }
  }

  absl::Status Check() const {
    if (voters.empty()) {
      return absl::InvalidArgumentError("conf change: the configuration would have no voters");
    }
    for (uint64_t id : learners) {
      if (voters.count(id) || outgoing.count(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat("conf change: node ", id, " is both learner and voter"));
      }
    }
    for (uint64_t id : learners_next) {
      if (!outgoing.count(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat("conf change: node ", id, " in learners_next is not an outgoing voter"));
      }
    }
    return absl::OkStatus();
  }
};

size_t SymmetricDifference(const IdSet& a, const IdSet& b) {
  size_t n = 0;
  for (uint64_t id : a) n += b.count(id) ? 0 : 1;
  for (uint64_t id : b) n += a.count(id) ? 0 : 1;
  return n;
}

}  // namespace

bool NeedsJoint(const raftpb::ConfState& current, const raftpb::ConfChange& change) {
  if (IsLeaveJoint(change)) return false;
  Membership m(current);
  // Bootstrapping: with no voters yet there is no old majority to stay safe with.
  if (m.voters.empty()) return false;
  if (change.transition() != raftpb::TRANSITION_AUTO) return true;
  IdSet before = m.voters;
  for (const auto& c : change.changes()) {
    if (!m.Apply(c).ok()) return false;
  }
  return SymmetricDifference(before, m.voters) > 1;
}

absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfState& current,
                                                  const raftpb::ConfChange& change) {
  Membership m(current);
  if (IsLeaveJoint(change)) {
    if (!m.IsJoint()) {
      return absl::FailedPreconditionError("conf change: not in a joint configuration");
    }
    m.learners.insert(m.learners_next.begin(), m.learners_next.end());
    m.learners_next.clear();
    m.outgoing.clear();
    m.auto_leave = false;
  } else {
    if (m.IsJoint()) {
      return absl::FailedPreconditionError(
          "conf change: already in a joint configuration; leave it first");
    }
    bool joint = NeedsJoint(current, change);
    if (joint) {
      m.outgoing = m.voters;
      m.auto_leave = change.transition() != raftpb::TRANSITION_JOINT_EXPLICIT;
    }
    for (const auto& c : change.changes()) {
      if (auto s = m.Apply(c); !s.ok()) return s;
    }
  }
  if (auto s = m.Check(); !s.ok()) return s;
  return m.ToProto();
}

raftpb::ConfState Normalize(const raftpb::ConfState& cs) { return Membership(cs).ToProto(); }

std::string ConfStateString(const raftpb::ConfState& cs) {
  std::string out = absl::StrCat("voters=(", absl::StrJoin(cs.voters(), ","), ")");
  if (!cs.voters_outgoing().empty()) {
    absl::StrAppend(&out, "&&(", absl::StrJoin(cs.voters_outgoing(), ","), ")");
  }
  if (!cs.learners().empty()) {
    absl::StrAppend(&out, " learners=(", absl::StrJoin(cs.learners(), ","), ")");
  }
  if (!cs.learners_next().empty()) {
    absl::StrAppend(&out, " learners_next=(", absl::StrJoin(cs.learners_next(), ","), ")");
  }
  if (cs.auto_leave()) absl::StrAppend(&out, " autoleave");
  return out;
}

}  // namespace warren::raft
