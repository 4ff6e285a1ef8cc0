#include "metastore/import/adler32.h"

#include <algorithm>

namespace warren::metastore::import {

uint32_t Adler32(std::string_view bytes) {
  constexpr uint32_t kMod = 65521;
  // 5552 bytes is the most that can be summed before b could overflow 32 bits.
  constexpr size_t kBlock = 5552;
  uint32_t a = 1, b = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t left = bytes.size(); left > 0;) {
    const size_t n = std::min(left, kBlock);
    for (size_t i = 0; i < n; ++i) {
      a += p[i];
      b += a;
    }
    a %= kMod;
    b %= kMod;
    p += n;
    left -= n;
  }
  return b << 16 | a;
}

}  // namespace warren::metastore::import
