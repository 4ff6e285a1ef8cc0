#include "metastore/server/keep_alive_batch.h"

#include <algorithm>

namespace warren::metastore {

absl::Duration HeardAgo(const metastorepb::KeepAlivesRequest& relay, int i) {
  return absl::Milliseconds(i < relay.heard_ms_ago_size() ? relay.heard_ms_ago(i) : 0);
}

void KeepLatest(std::map<uint64_t, absl::Time>& heard, uint64_t session, absl::Time when) {
  auto [it, added] = heard.try_emplace(session, when);
  if (!added) it->second = std::max(it->second, when);
}

void KeepAliveBatch::Heard(uint64_t session, absl::Time when) { KeepLatest(heard_, session, when); }

metastorepb::KeepAlivesRequest KeepAliveBatch::Take(absl::Time now) {
  metastorepb::KeepAlivesRequest relay;
  for (const auto& [session, when] : heard_) {
    const int64_t ago_ms = std::max<int64_t>(absl::ToInt64Milliseconds(now - when), 0);
    if (ago_ms >= session_timeout_ms_(session)) continue;
    relay.add_session_ids(session);
    relay.add_heard_ms_ago(static_cast<uint64_t>(ago_ms));
  }
  heard_.clear();
  return relay;
}

void KeepAliveBatch::Failed(const metastorepb::KeepAlivesRequest& relay, absl::Time now) {
  for (int i = 0; i < relay.session_ids_size(); ++i) {
    Heard(relay.session_ids(i), now - HeardAgo(relay, i));
  }
}

}  // namespace warren::metastore
