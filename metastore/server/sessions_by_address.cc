#include "metastore/server/sessions_by_address.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "metastore/errors.h"

namespace warren::metastore {

absl::Status SessionsByAddress::Admit(const std::string& address,
                                      const std::function<bool(uint64_t)>& open) {
  if (max_ == 0) return absl::OkStatus();
  std::lock_guard lock(mu_);
  Entry& e = by_address_[address];
  std::erase_if(e.sessions, [&open](uint64_t id) { return !open(id); });
  if (e.sessions.size() + e.reserved >= max_) {
    const size_t held = e.sessions.size() + e.reserved;
    if (held == 0) by_address_.erase(address);
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat("client address ", address, " holds ", held,
                                  " sessions opened through this member; the limit is ", max_,
                                  " (--max-sessions-per-address): close some first"));
  }
  ++e.reserved;
  return absl::OkStatus();
}

void SessionsByAddress::Opened(const std::string& address, uint64_t session) {
  if (max_ == 0) return;
  std::lock_guard lock(mu_);
  auto it = by_address_.find(address);
  if (it == by_address_.end()) return;
  Entry& e = it->second;
  if (e.reserved > 0) --e.reserved;
  // A retried create answers with the session it made before: counted once.
  if (session != 0 &&
      std::find(e.sessions.begin(), e.sessions.end(), session) == e.sessions.end()) {
    e.sessions.push_back(session);
  }
  if (e.sessions.empty() && e.reserved == 0) by_address_.erase(it);
}

size_t SessionsByAddress::count(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = by_address_.find(address);
  return it == by_address_.end() ? 0 : it->second.sessions.size() + it->second.reserved;
}

std::string SessionsByAddress::AddressOf(std::string_view peer) {
  const size_t scheme = peer.find(':');
  if (scheme == std::string_view::npos ||
      (peer.substr(0, scheme) != "ipv4" && peer.substr(0, scheme) != "ipv6")) {
    return std::string(peer);  // unix:PATH and the like: the whole of it
  }
  peer.remove_prefix(scheme + 1);
  if (!peer.empty() && peer.front() == '[') {  // [v6]:port
    const size_t close = peer.find(']');
    if (close != std::string_view::npos) return std::string(peer.substr(1, close - 1));
  }
  const size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

}  // namespace warren::metastore
