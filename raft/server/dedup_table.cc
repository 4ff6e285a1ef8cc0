#include "raft/server/dedup_table.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

std::optional<WriteReply> DedupTable::Lookup(const raftpb::ClientCommand& cmd) const {
  auto it = clients_.find(cmd.client_id());
  if (it == clients_.end()) {
    // Raft thesis §6.3: the client's session expired. A first attempt is new whatever we
    // forgot; a retry may have been applied before we forgot the client (an eviction among
    // many clients can come at any time), and must not be applied again. (A brand-new
    // client's retry is refused too: from here the two cannot be told apart.)
    if (cmd.retry()) {
      return WriteReply{
          absl::AbortedError(absl::StrCat(
              "client ", cmd.client_id(), " is no longer known (idle past the exactly-once TTL, ",
              "or evicted): its retried request ", cmd.seq(),
              " may already have been applied, so it is not applied again; its outcome is "
              "unknown")),
          ""};
    }
    return std::nullopt;
  }
  const Client& c = it->second;
  if (auto r = c.replies.find(cmd.seq()); r != c.replies.end()) return r->second;
  if (cmd.seq() < c.first_incomplete_seq) {
    return WriteReply{absl::FailedPreconditionError(absl::StrCat(
                          "request ", cmd.seq(), " of client ", cmd.client_id(),
                          " is older than its acknowledged requests; not applied again")),
                      ""};
  }
  return std::nullopt;
}

void DedupTable::Record(const raftpb::ClientCommand& cmd, const WriteReply& reply) {
  Client& c = clients_[cmd.client_id()];
  if (track_changes_) changed_.insert(cmd.client_id());
  by_activity_.erase({c.last_active_ms, cmd.client_id()});
  c.last_active_ms = std::max(c.last_active_ms, cmd.time_ms());
  by_activity_.insert({c.last_active_ms, cmd.client_id()});
  c.first_incomplete_seq = std::max(c.first_incomplete_seq, cmd.first_incomplete_seq());
  c.replies.erase(c.replies.begin(), c.replies.lower_bound(c.first_incomplete_seq));
  if (cmd.seq() >= c.first_incomplete_seq) c.replies[cmd.seq()] = reply;
  Expire(cmd.time_ms());
}

void DedupTable::Expire(int64_t now_ms) {
  while (!by_activity_.empty()) {
    auto [last_active_ms, client] = *by_activity_.begin();
    if (now_ms - last_active_ms <= ttl_ms_ && clients_.size() <= max_clients_) break;
    by_activity_.erase(by_activity_.begin());
    clients_.erase(client);
    if (track_changes_) changed_.insert(client);
  }
}

void DedupTable::SaveClient(uint64_t id, const Client& c, raftpb::DedupClient* dc) {
  dc->set_client_id(id);
  dc->set_first_incomplete_seq(c.first_incomplete_seq);
  dc->set_last_active_ms(c.last_active_ms);
  for (const auto& [seq, reply] : c.replies) {
    auto* r = dc->add_replies();
    r->set_seq(seq);
    r->set_code(static_cast<int>(reply.status.code()));
    r->set_message(std::string(reply.status.message()));
    r->set_payload(reply.payload);
  }
}

void DedupTable::SaveTo(google::protobuf::RepeatedPtrField<raftpb::DedupClient>* out) const {
  for (const auto& [id, c] : clients_) SaveClient(id, c, out->Add());
}

std::vector<std::pair<uint64_t, std::optional<raftpb::DedupClient>>> DedupTable::TakeChanges() {
  std::vector<std::pair<uint64_t, std::optional<raftpb::DedupClient>>> out;
  for (uint64_t id : changed_) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
      out.emplace_back(id, std::nullopt);
    } else {
      raftpb::DedupClient dc;
      SaveClient(id, it->second, &dc);
      out.emplace_back(id, std::move(dc));
    }
  }
  changed_.clear();
  return out;
}

void DedupTable::RestoreFrom(const google::protobuf::RepeatedPtrField<raftpb::DedupClient>& in) {
  clients_.clear();
  by_activity_.clear();
  changed_.clear();
  for (const auto& dc : in) {
    if (track_changes_) changed_.insert(dc.client_id());
    Client& c = clients_[dc.client_id()];
    c.first_incomplete_seq = dc.first_incomplete_seq();
    c.last_active_ms = dc.last_active_ms();
    by_activity_.insert({c.last_active_ms, dc.client_id()});
    for (const auto& r : dc.replies()) {
      c.replies[r.seq()] = {absl::Status(static_cast<absl::StatusCode>(r.code()), r.message()),
                            r.payload()};
    }
  }
}

}  // namespace warren::raft
