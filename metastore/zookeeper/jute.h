#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::zookeeper {

// ZooKeeper's jute binary encoding, as its clients speak it: big-endian ints and longs, a
// bool as one byte, a buffer or string as a length (int) then its bytes (-1: null), a vector
// as a count then its elements (-1: null).
class JuteWriter {
 public:
  void Int(int32_t v);
  void Long(int64_t v);
  void Bool(bool v);
  void Buffer(std::string_view v);
  void NullBuffer() { Int(-1); }
  void String(std::string_view v) { Buffer(v); }
  void Strings(const std::vector<std::string>& v);

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what JuteWriter writes. A read past the end, a negative length other than -1 or a
// length beyond the bytes left fails the reader: every later read returns a zero value and
// ok() is false, so a record is decoded first and checked once.
class JuteReader {
 public:
  explicit JuteReader(std::string_view in) : in_(in) {}

  int32_t Int();
  int64_t Long();
  bool Bool();
  // A null buffer reads as empty.
  std::string Buffer();
  std::string String() { return Buffer(); }
  // At most `max` elements, else the reader fails.
  std::vector<std::string> Strings(size_t max = 1 << 20);
  // The count of a vector; -1 (null) reads as 0; more than `max` fails the reader.
  int32_t Count(size_t max = 1 << 20);

  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }
  // Fails the reader (a field out of range).
  void Fail() { ok_ = false; }

 private:
  std::optional<std::string_view> Take(size_t n);

  std::string_view in_;
  bool ok_ = true;
};

}  // namespace warren::zookeeper
