#pragma once

// The request fuzzer's input format, shared by the fuzzer and the seed writer:
//
//   input  := flags:u8 record*   (records as tests/fuzz/records.h has them)
//   record := ctl:u8 length:u16 (big-endian) body[length]   (a record cut short takes the rest)
//
// flags bit 0 set: the harness opens each connection with a handshake of its own (a new
//   session), so that every record reaches the request dispatcher; clear: the first frame a
//   connection gets is its ConnectRequest, as the input has it.
// ctl bit 0: which of two client connections the record is for.
// ctl bit 7 clear: `body` is the next frame that connection sends.
// ctl bit 7 set: an action, chosen by (ctl >> 1) & 3 (see Action); `body` goes to the raw
//   decoders only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace warren::zookeeper::fuzz {

inline constexpr uint8_t kAutoHandshake = 0x01;
inline constexpr uint8_t kAction = 0x80;

enum class Action : uint8_t {
  kReconnect = 0,           // the session moves to a new connection (its password)
  kReconnectWrongPassword,  // a new connection claims the session with a wrong password
  kDisconnect,              // the socket ends (no closeSession); the next frame opens anew
  kDecodeOnly,              // nothing but the raw decoders
};

struct Record {
  uint8_t ctl = 0;
  std::string body;

  int connection() const { return ctl & 1; }
  bool is_action() const { return (ctl & kAction) != 0; }
  Action action() const { return static_cast<Action>((ctl >> 1) & 3); }
};

struct Input {
  uint8_t flags = 0;
  std::vector<Record> records;
};

// At most `max_records` records; what follows them is ignored.
Input ParseInput(const uint8_t* data, size_t size, size_t max_records);
std::string EncodeInput(const Input& input);

// A record's ctl byte.
inline uint8_t FrameCtl(int connection) { return static_cast<uint8_t>(connection & 1); }
inline uint8_t ActionCtl(Action a, int connection) {
  return static_cast<uint8_t>(kAction | (static_cast<uint8_t>(a) << 1) | (connection & 1));
}

}  // namespace warren::zookeeper::fuzz
