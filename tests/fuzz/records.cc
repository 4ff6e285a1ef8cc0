// The fuzzers' record format (records.h).
#include "tests/fuzz/records.h"

#include <algorithm>

namespace warren::fuzz {

std::vector<Record> ParseRecords(std::string_view input, size_t max_records) {
  std::vector<Record> records;
  size_t at = 0;
  while (at < input.size() && records.size() < max_records) {
    Record r;
    r.ctl = static_cast<uint8_t>(input[at++]);
    size_t length = 0;
    for (int i = 0; i < 2 && at < input.size(); ++i) {
      length = length << 8 | static_cast<uint8_t>(input[at++]);
    }
    length = std::min(length, input.size() - at);
    r.body.assign(input.substr(at, length));
    at += length;
    records.push_back(std::move(r));
  }
  return records;
}

std::vector<Record> ParseRecords(const uint8_t* data, size_t size, size_t max_records) {
  return ParseRecords(std::string_view(reinterpret_cast<const char*>(data), size), max_records);
}

std::string EncodeRecords(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) {
    const size_t length = std::min<size_t>(r.body.size(), 0xffff);
    out.push_back(static_cast<char>(r.ctl));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xff));
    out.append(r.body, 0, length);
  }
  return out;
}

uint8_t FieldReader::U8() {
  if (bytes_.empty()) return 0;
  const auto v = static_cast<uint8_t>(bytes_[0]);
  bytes_.remove_prefix(1);
  return v;
}

uint64_t FieldReader::U64() {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{U8()} << (8 * i);
  return v;
}

std::string FieldReader::Rest() {
  std::string rest(bytes_);
  bytes_ = {};
  return rest;
}

FieldWriter& FieldWriter::U8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}

FieldWriter& FieldWriter::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}

FieldWriter& FieldWriter::Bytes(std::string_view v) {
  out_.append(v);
  return *this;
}

std::pair<std::string, std::string> Seed(std::string name, const std::vector<Record>& records) {
  return {std::move(name), EncodeRecords(records)};
}

}  // namespace warren::fuzz
