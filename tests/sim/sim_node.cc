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
  raft::RestoredState state;
  state.snapshot = disk_.snapshot.metadata();
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

void SimNode::Persist(const raft::Ready& rd) {
  if (rd.snapshot.has_value()) {
    disk_.snapshot = *rd.snapshot;
    disk_.entries.clear();
  }
  if (!rd.entries.empty()) {
    uint64_t first = rd.entries.front().index();
    uint64_t base = disk_.snapshot.metadata().index();
    // Replace whatever we stored at or after the first new index.
    if (first <= base + disk_.entries.size()) disk_.entries.resize(first - base - 1);
    for (const auto& e : rd.entries) disk_.entries.push_back(e);
  }
  if (rd.hard_state.has_value()) disk_.hard_state = *rd.hard_state;
}

absl::Status SimNode::SnapshotAndCompact() {
  auto meta = core_->SnapshotMetadataAt(sm_.applied);
  if (!meta.ok()) return meta.status();
  if (meta->index() <= disk_.snapshot.metadata().index()) return absl::OkStatus();
  uint64_t base = disk_.snapshot.metadata().index();
  *disk_.snapshot.mutable_metadata() = *meta;
  disk_.snapshot.set_data(sm_.Serialize());
  disk_.entries.erase(disk_.entries.begin(),
                      disk_.entries.begin() + static_cast<long>(meta->index() - base));
  return core_->Compact(meta->index());
}

}  // namespace warren::sim
