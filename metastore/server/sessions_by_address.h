#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace warren::metastore {

// The sessions gRPC clients opened through this member, by the client's address, so that one
// address cannot hold more than a bound of them (--max-sessions-per-address), as the
// ZooKeeper port bounds connections per address. A session counts until it is closed or
// expires, wherever its client has moved since.
class SessionsByAddress {
 public:
  // 0: no bound.
  explicit SessionsByAddress(size_t max_per_address) : max_(max_per_address) {}

  // Reserves room for one more session from `address`, first forgetting the sessions for
  // which `open` is false; BadArguments naming the limit if there is none. Each reservation
  // admitted must be ended by Opened.
  absl::Status Admit(const std::string& address, const std::function<bool(uint64_t)>& open);
  // Ends a reservation: `session` was opened (0: it was not).
  void Opened(const std::string& address, uint64_t session);
  // Sessions counted for `address`, reservations included.
  size_t count(const std::string& address) const;

  // The client's address in gRPC's peer string ("ipv4:10.0.0.1:5000", "ipv6:[::1]:5000"):
  // "10.0.0.1", "::1"; any other peer string ("unix:PATH") as it is.
  static std::string AddressOf(std::string_view peer);

 private:
  struct Entry {
    std::vector<uint64_t> sessions;
    size_t reserved = 0;
  };
  const size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> by_address_;
};

}  // namespace warren::metastore
