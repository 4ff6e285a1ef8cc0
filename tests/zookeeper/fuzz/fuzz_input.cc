// The request fuzzer's input format (fuzz_input.h).
#include "tests/zookeeper/fuzz/fuzz_input.h"

#include "tests/fuzz/records.h"

namespace warren::zookeeper::fuzz {

Input ParseInput(const uint8_t* data, size_t size, size_t max_records) {
  Input in;
  if (size == 0) return in;
  in.flags = data[0];
  for (warren::fuzz::Record& r : warren::fuzz::ParseRecords(data + 1, size - 1, max_records)) {
    in.records.push_back({r.ctl, std::move(r.body)});
  }
  return in;
}

std::string EncodeInput(const Input& input) {
  std::vector<warren::fuzz::Record> records;
  for (const Record& r : input.records) records.push_back({r.ctl, r.body});
  return std::string(1, static_cast<char>(input.flags)) + warren::fuzz::EncodeRecords(records);
}

}  // namespace warren::zookeeper::fuzz
