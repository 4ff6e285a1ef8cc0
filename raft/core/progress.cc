#include "raft/core/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace warren::raft {

void Inflights::Add(uint64_t last_index, uint64_t bytes) {
  window_.push_back({last_index, bytes});
  bytes_ += bytes;
}

void Inflights::FreeTo(uint64_t index) {
  while (!window_.empty() && window_.front().last_index <= index) FreeFirst();
}

void Inflights::FreeFirst() {
  if (window_.empty()) return;
  bytes_ -= window_.front().bytes;
  window_.pop_front();
}

void Inflights::Reset() {
  window_.clear();
  bytes_ = 0;
}

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "?";
}

void Progress::BecomeProbe() {
  // Coming back from a snapshot, resume right after it: the follower has it, or will say no.
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t index) {
  bool updated = false;
  if (match < index) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

void Progress::SentEntries(uint64_t last, uint64_t bytes) {
  if (state == ProgressState::kReplicate) {
    next = std::max(next, last + 1);
    inflights.Add(last, bytes);
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t hint) {
  if (state == ProgressState::kReplicate) {
    // Only a rejection of something past what matched can be news.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probe: only the answer to the message we sent (prev index next-1) counts.
  if (next == 0 || next - 1 != rejected) return false;
  next = std::max(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

std::string Progress::DebugString() const {
  return absl::StrCat(ProgressStateName(state), " match=", match, " next=", next,
                      is_learner ? " learner" : "", " inflight=", inflights.count());
}

}  // namespace warren::raft
