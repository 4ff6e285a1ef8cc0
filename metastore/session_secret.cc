#include "metastore/session_secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "glog/logging.h"

namespace warren::metastore {

namespace {

void RandomBytes(void* out, size_t n) {
  CHECK_EQ(RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)), 1)
      << "OpenSSL's random generator failed";
}

}  // namespace

std::string NewSessionPassword() {
  std::string p(kSessionPasswordBytes, '\0');
  RandomBytes(p.data(), p.size());
  return p;
}

uint64_t NewSessionId() {
  for (;;) {
    uint64_t id;
    RandomBytes(&id, sizeof(id));
    id &= ~(uint64_t{1} << 63);
    if (id != 0) return id;
  }
}

bool SessionPasswordMatches(std::string_view stored, std::string_view presented) {
  if (stored.size() != presented.size()) return false;
  return CRYPTO_memcmp(stored.data(), presented.data(), stored.size()) == 0;
}

}  // namespace warren::metastore
