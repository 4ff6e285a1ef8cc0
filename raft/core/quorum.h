#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>

#include "absl/functional/function_ref.h"

namespace warren::raft {

enum class VoteResult { kPending, kLost, kWon };

// Looks up a per-member value (a match index, an acknowledged round); 0 if unknown.
using IndexLookup = absl::FunctionRef<uint64_t(uint64_t id)>;
// Looks up a member's vote: granted, rejected, or not yet heard (nullopt).
using VoteLookup = absl::FunctionRef<std::optional<bool>(uint64_t id)>;

// A simple majority of a set of voters. The empty set agrees to everything, which is what
// lets a JointConfig with no outgoing half behave as its incoming half alone.
struct MajorityConfig {
  std::set<uint64_t> voters;

  // The largest value that a majority has reached (Raft's commit rule without the term).
  uint64_t CommittedIndex(IndexLookup value_of) const;
  VoteResult Vote(VoteLookup vote_of) const;
};

// Joint consensus (Raft §6): decisions need a majority of both halves.
struct JointConfig {
  MajorityConfig incoming;
  MajorityConfig outgoing;  // empty unless joint

  bool IsJoint() const { return !outgoing.voters.empty(); }
  bool IsVoter(uint64_t id) const {
    return incoming.voters.count(id) > 0 || outgoing.voters.count(id) > 0;
  }
  std::set<uint64_t> AllVoters() const;
  uint64_t CommittedIndex(IndexLookup value_of) const;
  VoteResult Vote(VoteLookup vote_of) const;
};

}  // namespace warren::raft
