// libFuzzer target for what a member does with its peers' messages: each goes through the
// check the server applies to messages from the network (raft/server/peer_message_check.h)
// and, if it passes, to Step on a Raft core (member 1 of voters 1, 2, 3, its log in memory;
// every Ready persisted and applied at once). Input: records (records.h), by ctl & 15:
//   0       the body is a serialized raftpb::Message, as it came off the wire;
//   1..13   a message of that type built from the body's fields, relative to the member's own
//           term, log and commit (BuildMessage), so that most of them get past the checks;
//   14      ticks;
//   15      the runtime's own calls, by ctl >> 4 (Local).
// Aborts if anything crashes or a CHECK fails, if the term or the commit index goes back, if a
// vote changes within a term, if committed entries are not handed out in order or change, or
// if the member sends a message its peers would refuse.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "raft/core/raft.h"
#include "raft/server/peer_message_check.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/records.h"

namespace warren::raft::fuzz {
namespace {

using warren::fuzz::FieldReader;
using warren::fuzz::Record;

constexpr size_t kMaxInputBytes = 1 << 16;
constexpr size_t kMaxRecords = 512;
constexpr uint64_t kSelf = 1;
constexpr uint8_t kTick = 14;
constexpr uint8_t kLocal = 15;

// PEER_FUZZ_TRACE=1: the member's state after every record on stderr, to read what an input does.
const bool kTrace = getenv("PEER_FUZZ_TRACE") != nullptr;

[[noreturn]] void Violation(const std::string& what) {
  warren::fuzz::Violation("peer_message_fuzzer", what);
}

// A small step either way from `base`, never below 0.
uint64_t Near(uint64_t base, uint8_t byte) {
  const int delta = static_cast<int8_t>(byte) / 8;
  return delta < 0 && base < static_cast<uint64_t>(-delta) ? 0 : base + delta;
}

class Member {
 public:
  Member() {
    Config config;
    config.id = kSelf;
    config.random_seed = 1;
    config.clock = [this] { return clock_; };
    config.clock_units_per_tick = 100;
    auto core = Raft::Create(config, BootstrapState({1, 2, 3}));
    if (!core.ok()) Violation(absl::StrCat("no core: ", core.status().ToString()));
    core_ = std::move(*core);
    Drain();
  }

  void Feed(const Record& r) {
    const uint8_t kind = r.ctl & 15;
    if (kind == 0) {
      raftpb::Message m;
      if (m.ParseFromString(r.body)) Deliver(m);
    } else if (kind == kTick) {
      const int ticks = FieldReader(r.body).U8() % 32 + 1;
      for (int i = 0; i < ticks; ++i) {
        clock_ += 100;
        core_->Tick();
        Drain();
      }
    } else if (kind == kLocal) {
      Local(r.ctl >> 4, r.body);
    } else {
      Deliver(BuildMessage(static_cast<raftpb::MessageType>(kind), r.body));
    }
    Drain();
    if (kTrace) fprintf(stderr, "ctl %d: %s\n", r.ctl, core_->DebugString().c_str());
  }

 private:
  raftpb::Message BuildMessage(raftpb::MessageType type, const std::string& body) {
    FieldReader in(body);
    const RaftLog& log = core_->log();
    raftpb::Message m;
    m.set_type(type);
    const uint8_t flags = in.U8();
    m.set_from(in.U8() % 5);
    m.set_to((flags & 1) ? in.U8() % 5 : kSelf);
    m.set_term(Near(core_->term(), in.U8()));
    m.set_index(Near(log.LastIndex(), in.U8()));
    const uint8_t log_term = in.U8();
    m.set_log_term((flags & 2) ? Near(m.term(), log_term) : log.Term(m.index()).value_or(m.term()));
    m.set_commit(Near(log.committed(), in.U8()));
    m.set_reject(flags & 4);
    m.set_reject_hint_index(Near(m.index(), in.U8()));
    m.set_reject_hint_term(Near(m.log_term(), in.U8()));
    m.set_read_round(in.U8());
    m.set_lease_time(clock_ - in.U8());
    m.set_leader_transfer(flags & 8);
    if (type == raftpb::MSG_APP) {
      const int entries = in.U8() % 4;
      for (int i = 1; i <= entries; ++i) {
        raftpb::Entry* e = m.add_entries();
        e->set_index(m.index() + i);
        e->set_term((flags & 16) ? Near(m.term(), in.U8()) : m.term());
        e->set_data(absl::StrCat("entry ", e->index()));
      }
      if (entries > 0 && (flags & 32)) {
        raftpb::Entry* last = m.mutable_entries(entries - 1);
        last->set_type(raftpb::ENTRY_CONF_CHANGE);
        last->set_data(in.Rest());
      }
    }
    if (type == raftpb::MSG_SNAP) {
      auto* meta = m.mutable_snapshot()->mutable_metadata();
      meta->set_index(Near(log.committed() + 8, in.U8()));
      meta->set_term(Near(m.term(), in.U8()));
      uint8_t members = in.U8();  // bit k: member k + 1 is a voter; none: 1, 2 and 3
      if (members == 0) members = 7;
      for (uint64_t id = 1; id <= 8; ++id) {
        if (members & (1 << (id - 1))) meta->mutable_conf_state()->add_voters(id);
      }
    }
    if (type == raftpb::MSG_READ_INDEX || type == raftpb::MSG_READ_INDEX_RESP) {
      m.set_context(in.Rest());
    }
    return m;
  }

  // What the server does with a message from the network: the check, then Step.
  void Deliver(const raftpb::Message& m) {
    const absl::Status check =
        m.type() == raftpb::MSG_SNAP ? CheckSnapshotMessage(m, kSelf) : CheckPeerMessage(m, kSelf);
    if (kTrace) fprintf(stderr, "%s: %s\n", m.ShortDebugString().c_str(), check.ToString().c_str());
    if (!check.ok()) return;
    core_->Step(m).IgnoreError();  // a refusal is the core's answer to a bad message
  }

  void Local(uint8_t what, const std::string& body) {
    FieldReader in(body);
    switch (what % 7) {
      case 0:
        core_->Propose(body).IgnoreError();
        break;
      case 1:
        core_->ReadIndex(body).IgnoreError();
        break;
      case 2:
        core_->TransferLeader(in.U8() % 5).IgnoreError();
        break;
      case 3: {
        raftpb::ConfChange cc;
        if (cc.ParseFromString(body)) core_->ProposeConfChange(cc).IgnoreError();
        break;
      }
      case 4:
        core_->ReportUnreachable(in.U8() % 5);
        break;
      case 5:
        core_->ReportSnapshot(in.U8() % 5, in.U8() & 1);
        break;
      default:
        // As the runtime does after a snapshot of the state machine: at most what it applied.
        core_->Compact(std::min(applied_, Near(applied_, in.U8()))).IgnoreError();
        break;
    }
  }

  void Drain() {
    for (int rounds = 0; core_->HasReady(); ++rounds) {
      if (rounds > 1000) Violation("the core keeps having Ready");
      Ready rd = core_->GetReady();
      Check(rd);
      core_->Advance(rd);
    }
    if (core_->role() == Role::kLeader && core_->leader() != kSelf) {
      Violation("a leader that does not know it leads");
    }
    if (core_->log().committed() > core_->log().LastIndex()) {
      Violation("committed past the end of the log");
    }
  }

  void Check(const Ready& rd) {
    if (core_->term() < term_) Violation("the term went back");
    if (rd.hard_state.has_value()) {
      const raftpb::HardState& hs = *rd.hard_state;
      if (hs.term() < hard_.term()) Violation("the persisted term went back");
      if (hs.commit() < hard_.commit()) Violation("the persisted commit index went back");
      if (hs.term() == hard_.term() && hard_.vote() != 0 && hs.vote() != hard_.vote()) {
        Violation(absl::StrCat("the vote changed within term ", hs.term()));
      }
      hard_ = hs;
    }
    term_ = core_->term();
    if (rd.snapshot.has_value()) {
      applied_ = rd.snapshot->metadata().index();
      committed_terms_.clear();
    }
    for (const EntryPtr& entry : rd.committed_entries) {
      const raftpb::Entry& e = *entry;
      if (e.index() != applied_ + 1) {
        Violation(absl::StrCat("entry ", e.index(), " handed out after ", applied_));
      }
      applied_ = e.index();
      auto [it, fresh] = committed_terms_.emplace(e.index(), e.term());
      if (!fresh && it->second != e.term()) Violation("a committed entry changed");
    }
    for (const raftpb::Message& m : rd.messages) {
      raftpb::Message sent = m;
      if (sent.has_snapshot()) sent.mutable_snapshot()->clear_data();  // sent beside it, as a file
      const absl::Status s = m.type() == raftpb::MSG_SNAP ? CheckSnapshotMessage(sent, m.to())
                                                          : CheckPeerMessage(sent, m.to());
      if (!s.ok()) Violation(absl::StrCat("sent what a peer refuses: ", s.ToString()));
    }
  }

  std::unique_ptr<Raft> core_;
  uint64_t clock_ = 1000000;
  uint64_t term_ = 0;
  raftpb::HardState hard_;
  uint64_t applied_ = 0;
  std::map<uint64_t, uint64_t> committed_terms_;
};

}  // namespace
}  // namespace warren::raft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::raft::fuzz;
  if (size > kMaxInputBytes) return 0;
  Member member;
  for (const Record& r : warren::fuzz::ParseRecords(data, size, kMaxRecords)) {
    member.Feed(r);
  }
  return 0;
}
