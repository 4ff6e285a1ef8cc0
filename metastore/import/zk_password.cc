#include "metastore/import/zk_password.h"

namespace warren::metastore::import {

std::string ZooKeeperSessionPassword(int64_t id) {
  constexpr int64_t kSuperSecret = 0xB3415C00;
  // java.util.Random: a 48-bit linear congruential generator.
  constexpr uint64_t kMultiplier = 0x5DEECE66D;
  constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
  uint64_t seed = (static_cast<uint64_t>(id ^ kSuperSecret) ^ kMultiplier) & kMask;
  auto next_int = [&seed] {
    seed = (seed * kMultiplier + 0xB) & kMask;
    return static_cast<uint32_t>(seed >> 16);
  };
  // Random.nextBytes: each int gives four bytes, the lowest first.
  std::string password(16, '\0');
  for (size_t i = 0; i < password.size();) {
    uint32_t rnd = next_int();
    for (int n = 0; n < 4 && i < password.size(); ++n, rnd >>= 8) {
      password[i++] = static_cast<char>(rnd & 0xff);
    }
  }
  return password;
}

}  // namespace warren::metastore::import
