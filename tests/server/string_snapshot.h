#pragma once

#include <algorithm>
#include <string>

#include "statemachine/state_machine.h"

namespace warren::testing {

// A snapshot written to, and read back from, a string: state machine tests without files.
class StringWriter : public SnapshotWriter {
 public:
  absl::Status Write(std::string_view bytes) override {
    out.append(bytes);
    return absl::OkStatus();
  }
  std::string out;
};

class StringReader : public SnapshotReader {
 public:
  explicit StringReader(std::string in) : in_(std::move(in)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    n = std::min(n, in_.size() - pos_);
    in_.copy(buf, n, pos_);
    pos_ += n;
    return n;
  }

 private:
  std::string in_;
  size_t pos_ = 0;
};

}  // namespace warren::testing
