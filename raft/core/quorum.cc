#include "raft/core/quorum.h"

#include <algorithm>
#include <vector>

namespace warren::raft {

uint64_t MajorityConfig::CommittedIndex(IndexLookup value_of) const {
  if (voters.empty()) return std::numeric_limits<uint64_t>::max();
  std::vector<uint64_t> values;
  values.reserve(voters.size());
  for (uint64_t id : voters) values.push_back(value_of(id));
  // The value at position n/2 of the descending order is held by a majority (n/2 + 1).
  size_t quorum_pos = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + quorum_pos, values.end(),
                   std::greater<uint64_t>());
  return values[quorum_pos];
}

VoteResult MajorityConfig::Vote(VoteLookup vote_of) const {
  if (voters.empty()) return VoteResult::kWon;
  size_t granted = 0, missing = 0;
  for (uint64_t id : voters) {
    auto v = vote_of(id);
    if (!v.has_value()) {
      ++missing;
    } else if (*v) {
      ++granted;
    }
  }
  size_t quorum = voters.size() / 2 + 1;
  if (granted >= quorum) return VoteResult::kWon;
  if (granted + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

std::set<uint64_t> JointConfig::AllVoters() const {
  std::set<uint64_t> all = incoming.voters;
  all.insert(outgoing.voters.begin(), outgoing.voters.end());
  return all;
}

uint64_t JointConfig::CommittedIndex(IndexLookup value_of) const {
  return std::min(incoming.CommittedIndex(value_of), outgoing.CommittedIndex(value_of));
}

VoteResult JointConfig::Vote(VoteLookup vote_of) const {
  VoteResult a = incoming.Vote(vote_of);
  VoteResult b = outgoing.Vote(vote_of);
  if (a == b) return a;
  if (a == VoteResult::kLost || b == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace warren::raft
