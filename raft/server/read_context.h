#pragma once

#include <cstdint>
#include <string>

namespace warren::raft {

// Names this member's ReadIndex requests. The leader echoes a name in its answer, and an
// answer may arrive late; a member that restarted must not take an answer meant for its
// previous incarnation (an older read point) as the answer to a new read, so every
// incarnation draws a random prefix of its own.
class ReadContextNamer {
 public:
  explicit ReadContextNamer(uint64_t member);
  std::string Next();

 private:
  const uint64_t member_;
  const uint64_t incarnation_;
  uint64_t next_ = 0;
};

}  // namespace warren::raft
