// Reading a history's JSON lines (warren-jepsen's history.jsonl), shared by warren-lincheck and
// warren-elle.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "proto/history.pb.h"

namespace warren::lincheck {

// Hands each event to `on_event` with its line number (from 0), skipping blank lines, and
// keeps every line in `lines`, for reports. A line that is not an event (or whose type is not
// invoke, ok, fail or info), or an error of `on_event`, is an InvalidArgument error naming the
// line.
absl::Status ForEachHistoryEvent(
    std::istream& in, std::vector<std::string>* lines,
    const std::function<absl::Status(size_t line, const historypb::HistoryEvent& e)>& on_event);

// A JSON number that is an integer a double holds exactly.
absl::StatusOr<int64_t> IntegerOf(const google::protobuf::Value& v);

// FILE's stream (opened into `file_stream`), or standard input for "-"; null if FILE cannot be
// read.
std::istream* OpenInput(const std::string& file, std::ifstream& file_stream);

}  // namespace warren::lincheck
