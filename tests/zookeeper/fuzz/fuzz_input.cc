// The request fuzzer's input format (fuzz_input.h).
#include "tests/zookeeper/fuzz/fuzz_input.h"

#include <algorithm>

namespace warren::zookeeper::fuzz {

Input ParseInput(const uint8_t* data, size_t size, size_t max_records) {
  Input in;
  if (size == 0) return in;
  in.flags = data[0];
  size_t at = 1;
  while (at < size && in.records.size() < max_records) {
    Record r;
    r.ctl = data[at++];
    size_t length = 0;
    for (int i = 0; i < 2 && at < size; ++i) length = length << 8 | data[at++];
    length = std::min(length, size - at);
    r.body.assign(reinterpret_cast<const char*>(data + at), length);
    at += length;
    in.records.push_back(std::move(r));
  }
  return in;
}

std::string EncodeInput(const Input& input) {
  std::string out(1, static_cast<char>(input.flags));
  for (const Record& r : input.records) {
    const size_t length = std::min<size_t>(r.body.size(), 0xffff);
    out.push_back(static_cast<char>(r.ctl));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xff));
    out.append(r.body, 0, length);
  }
  return out;
}

}  // namespace warren::zookeeper::fuzz
