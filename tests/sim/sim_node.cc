#include "tests/sim/sim_node.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace warren::sim {

uint64_t ChainHash(uint64_t prev, const raftpb::Entry& e) {
  uint64_t h = prev ^ 0xcbf29ce484222325ULL;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (i * 8)) & 0xff;
      h *= 0x100000001b3ULL;
    }
  };
  mix(e.index());
  mix(e.term());
  mix(static_cast<uint64_t>(e.type()));
  for (unsigned char c : e.data()) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string ProposalData(uint64_t proposal_id) { return absl::StrCat("p", proposal_id); }

uint64_t ProposalIdOf(const raftpb::Entry& e) {
  uint64_t id = 0;
  if (e.type() != raftpb::ENTRY_NORMAL || e.data().size() < 2 || e.data()[0] != 'p') return 0;
  if (!absl::SimpleAtoi(absl::string_view(e.data()).substr(1), &id)) return 0;
  return id;
}

void SimStateMachine::Apply(const raftpb::Entry& e) {
  applied = e.index();
  chain = ChainHash(chain, e);
  if (uint64_t id = ProposalIdOf(e)) proposals.insert(id);
}

std::string SimStateMachine::Serialize() const {
  std::string out = absl::StrCat(applied, " ", chain);
  for (uint64_t id : proposals) absl::StrAppend(&out, " ", id);
  return out;
}

SimStateMachine SimStateMachine::Parse(const std::string& data) {
  SimStateMachine sm;
  std::vector<std::string> parts = absl::StrSplit(data, ' ', absl::SkipEmpty());
  if (parts.size() >= 2) {
    (void)absl::SimpleAtoi(parts[0], &sm.applied);
    (void)absl::SimpleAtoi(parts[1], &sm.chain);
    for (size_t i = 2; i < parts.size(); ++i) {
      uint64_t id = 0;
      if (absl::SimpleAtoi(parts[i], &id)) sm.proposals.insert(id);
    }
  }
  return sm;
}

absl::Status SimNode::Start() {
  // Recover as the runtime does: the snapshot, then what of the log belongs after it.
  const raftpb::SnapshotMetadata& snap = disk_.snapshot.metadata();
  std::optional<uint64_t> term_at_snap;
  for (const auto& e : disk_.entries) {
    if (e.index() == snap.index()) term_at_snap = e.term();
  }
  uint64_t first = disk_.entries.empty() ? snap.index() + 1 : disk_.entries.front().index();
  uint64_t last = disk_.entries.empty() ? snap.index() : disk_.entries.back().index();
  switch (raft::CompareLogWithSnapshot(snap, term_at_snap, first, last)) {
    case raft::LogBesideSnapshot::kKeep:
      std::erase_if(disk_.entries,
                    [&](const raftpb::Entry& e) { return e.index() <= snap.index(); });
      break;
    case raft::LogBesideSnapshot::kDrop:
      disk_.entries.clear();
      break;
    case raft::LogBesideSnapshot::kGap:
      return absl::DataLossError(absl::StrCat("node ", id_, ": log starts at ", first,
                                              " after a snapshot at ", snap.index()));
  }
  raft::RestoredState state;
  state.snapshot = snap;
  state.entries = disk_.entries;
  state.hard_state = disk_.hard_state;
  // The state machine is rebuilt from the snapshot; the core hands out the rest again.
  sm_ = disk_.snapshot.metadata().index() > 0 ? SimStateMachine::Parse(disk_.snapshot.data())
                                              : SimStateMachine{};
  state.applied = sm_.applied;
  auto core = raft::Raft::Create(config_, std::move(state));
  if (!core.ok()) return core.status();
  core_ = std::move(*core);
  return absl::OkStatus();
}

void SimNode::Crash() {
  core_.reset();
  sm_ = SimStateMachine{};
}

void SimNode::Persist(const raft::Ready& rd, const PersistCut& cut) {
  if (rd.snapshot.has_value() && cut.snapshot) {
    // The snapshot file is installed first; the log it replaces is dropped with the entries
    // that follow it, so a crash in between leaves the old log beside the new snapshot.
    disk_.snapshot = *rd.snapshot;
    if (cut.entries > 0) disk_.entries.clear();
  }
  size_t keep = std::min(cut.entries, rd.entries.size());
  if (keep > 0) {
    // Replace whatever we stored at or after the first new index.
    uint64_t first = rd.entries.front()->index();
    std::erase_if(disk_.entries, [first](const raftpb::Entry& e) { return e.index() >= first; });
    for (size_t i = 0; i < keep; ++i) disk_.entries.push_back(*rd.entries[i]);
  }
  if (rd.hard_state.has_value()) {
    if (cut.commit) disk_.hard_state.set_commit(rd.hard_state->commit());
    if (cut.term_vote) {
      disk_.hard_state.set_term(rd.hard_state->term());
      disk_.hard_state.set_vote(rd.hard_state->vote());
    }
  }
}

absl::Status SimNode::SnapshotAndCompact() {
  auto meta = core_->SnapshotMetadataAt(sm_.applied);
  if (!meta.ok()) return meta.status();
  if (meta->index() <= disk_.snapshot.metadata().index()) return absl::OkStatus();
  *disk_.snapshot.mutable_metadata() = *meta;
  disk_.snapshot.set_data(sm_.Serialize());
  std::erase_if(disk_.entries, [&](const raftpb::Entry& e) { return e.index() <= meta->index(); });
  return core_->Compact(meta->index());
}

}  // namespace warren::sim
