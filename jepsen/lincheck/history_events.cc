#include "jepsen/lincheck/history_events.h"

#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace warren::lincheck {

absl::Status ForEachHistoryEvent(
    std::istream& in, std::vector<std::string>* lines,
    const std::function<absl::Status(size_t line, const historypb::HistoryEvent& e)>& on_event) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  std::string line;
  for (size_t n = 0; std::getline(in, line); ++n) {
    lines->push_back(line);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    historypb::HistoryEvent e;
    absl::Status s;
    if (auto parsed = google::protobuf::util::JsonStringToMessage(line, &e, options);
        !parsed.ok()) {
      s = absl::InvalidArgumentError(
          absl::StrCat("not a history event: ", parsed.message().ToString()));
    } else if (e.type() != "invoke" && e.type() != "ok" && e.type() != "fail" &&
               e.type() != "info") {
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown type '", e.type(), "' (invoke, ok, fail, info)"));
    } else {
      s = on_event(n, e);
    }
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("line ", n + 1, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> IntegerOf(const google::protobuf::Value& v) {
  if (v.kind_case() != google::protobuf::Value::kNumberValue) {
    return absl::InvalidArgumentError("expected an integer");
  }
  const double d = v.number_value();
  if (d != std::floor(d) || std::abs(d) > 9.0e15) {
    return absl::InvalidArgumentError(absl::StrCat(d, " is not an integer"));
  }
  return static_cast<int64_t>(d);
}

std::istream* OpenInput(const std::string& file, std::ifstream& file_stream) {
  if (file == "-") return &std::cin;
  file_stream.open(file);
  return file_stream ? &file_stream : nullptr;
}

}  // namespace warren::lincheck
