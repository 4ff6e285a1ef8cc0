#pragma once

// The input format of the fuzzers in tests/fuzz, shared by each fuzzer and its seeds:
//
//   input  := record*
//   record := ctl:u8 length:u16 (big-endian) body[length]   (a record cut short takes the rest)
//
// What ctl selects is each fuzzer's own. Structured fields inside a body are read with
// FieldReader, which reads zeros past the end, so that every input means something.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warren::fuzz {

struct Record {
  uint8_t ctl = 0;
  std::string body;
};

// At most `max_records` records; what follows them is ignored.
std::vector<Record> ParseRecords(std::string_view input, size_t max_records);
std::vector<Record> ParseRecords(const uint8_t* data, size_t size, size_t max_records);
std::string EncodeRecords(const std::vector<Record>& records);

// Fixed-width little-endian fields, then the rest as bytes.
class FieldReader {
 public:
  explicit FieldReader(std::string_view bytes) : bytes_(bytes) {}
  uint8_t U8();
  uint64_t U64();
  std::string Rest();

 private:
  std::string_view bytes_;
};

// The writing side, for seeds.
class FieldWriter {
 public:
  FieldWriter& U8(uint8_t v);
  FieldWriter& U64(uint64_t v);
  FieldWriter& Bytes(std::string_view v);
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// A Seeds() helper: a named input made of records.
std::pair<std::string, std::string> Seed(std::string name, const std::vector<Record>& records);

}  // namespace warren::fuzz
