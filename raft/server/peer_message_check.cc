#include "raft/server/peer_message_check.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "raft/core/config.h"
#include "raft/log/log_store.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {
namespace {

absl::Status Bad(std::string why) { return absl::InvalidArgumentError(std::move(why)); }

absl::Status CheckRange(std::initializer_list<std::pair<const char*, uint64_t>> fields) {
  for (const auto& [name, value] : fields) {
    if (value > kMaxTermOrIndex) return Bad(absl::StrCat(name, " ", value, " is out of range"));
  }
  return absl::OkStatus();
}

// Who it is from and to, its type, and every term and index in it.
absl::Status CheckHeader(const raftpb::Message& m, uint64_t self) {
  if (m.to() != self) {
    return Bad(absl::StrCat("addressed to member ", m.to(), ", not to this member (", self, ")"));
  }
  if (m.from() == kNoNode) return Bad("from no member (from = 0)");
  if (m.from() == self) return Bad("claims to come from this member");
  if (m.type() == raftpb::MSG_UNKNOWN || !raftpb::MessageType_IsValid(m.type())) {
    return Bad(absl::StrCat("of unknown type ", static_cast<int>(m.type())));
  }
  if (m.type() != raftpb::MSG_APP && m.entries_size() > 0) return Bad("carries entries");
  return CheckRange({{"term", m.term()},
                     {"log_term", m.log_term()},
                     {"index", m.index()},
                     {"commit", m.commit()},
                     {"reject_hint_index", m.reject_hint_index()},
                     {"reject_hint_term", m.reject_hint_term()},
                     {"read_round", m.read_round()},
                     {"lease_time", m.lease_time()}});
}

// A MSG_NOT_A_MEMBER says one thing, the index its configuration is in effect at, and no
// more: nothing else in it could be meant, so anything else is refused.
absl::Status CheckNotAMemberNotice(const raftpb::Message& m) {
  if (m.commit() == 0) return Bad("a not-a-member notice without its commit index");
  const bool more = m.log_term() != 0 || m.index() != 0 || m.reject() ||
                    m.reject_hint_index() != 0 || m.reject_hint_term() != 0 ||
                    !m.context().empty() || m.read_round() != 0 || m.lease_time() != 0 ||
                    m.leader_transfer() || m.has_snapshot();
  if (more) return Bad("a not-a-member notice carries more than its commit index");
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPeerMessage(const raftpb::Message& m, uint64_t self) {
  if (auto s = CheckHeader(m, self); !s.ok()) return s;
  if (m.type() == raftpb::MSG_NOT_A_MEMBER) return CheckNotAMemberNotice(m);
  if (m.type() == raftpb::MSG_SNAP) {
    return Bad("a snapshot message without its file (snapshots come by InstallSnapshot)");
  }
  if (m.has_snapshot()) return Bad("carries a snapshot");
  for (const auto& e : m.entries()) {
    if (e.type() != raftpb::ENTRY_NORMAL && e.type() != raftpb::ENTRY_CONF_CHANGE) {
      return Bad(absl::StrCat("entry ", e.index(), " is of unknown type ", e.type()));
    }
    if (auto s = CheckRange({{"entry term", e.term()}, {"entry index", e.index()}}); !s.ok()) {
      return s;
    }
    if (e.data().size() > kMaxEntryDataBytes) {
      return Bad(absl::StrCat("entry ", e.index(), " holds ", e.data().size(),
                              " bytes; no member may propose more than ", kMaxEntryDataBytes));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSnapshotMessage(const raftpb::Message& m, uint64_t self) {
  if (m.type() != raftpb::MSG_SNAP) return Bad("a snapshot upload must open with MSG_SNAP");
  if (auto s = CheckHeader(m, self); !s.ok()) return s;
  const auto& meta = m.snapshot().metadata();
  if (meta.index() == 0 || meta.term() == 0) return Bad("an empty snapshot (index or term 0)");
  if (auto s = CheckRange({{"snapshot index", meta.index()}, {"snapshot term", meta.term()}});
      !s.ok()) {
    return s;
  }
  if (meta.term() > m.term()) {
    return Bad(absl::StrCat("a snapshot of term ", meta.term(), " sent in term ", m.term()));
  }
  if (!m.snapshot().data().empty()) return Bad("snapshot bytes outside the file");
  const auto& cs = meta.conf_state();
  if (cs.voters().empty()) return Bad("a snapshot whose membership has no voters");
  for (const auto* ids :
       {&cs.voters(), &cs.voters_outgoing(), &cs.learners(), &cs.learners_next()}) {
    for (uint64_t id : *ids) {
      if (id == kNoNode) return Bad("a snapshot whose membership names member 0");
    }
  }
  return absl::OkStatus();
}

std::string DescribeMessage(const raftpb::Message& m) {
  std::string type = raftpb::MessageType_IsValid(m.type())
                         ? raftpb::MessageType_Name(m.type())
                         : absl::StrCat("type ", static_cast<int>(m.type()));
  return absl::StrCat(type, " from ", m.from(), " to ", m.to(), " in term ", m.term());
}

}  // namespace warren::raft
