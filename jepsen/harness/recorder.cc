#include "jepsen/harness/recorder.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace warren::jepsen {
namespace {

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Recorder::Recorder(const std::string& path) : out_(path) {}

uint64_t Recorder::Invoke(int64_t process, const std::string& f, const std::string& key,
                          const std::string& value) {
  return Write(process, "invoke", f, key, value, "");
}

uint64_t Recorder::Complete(int64_t process, const std::string& type, const std::string& f,
                            const std::string& key, const std::string& value,
                            const std::string& error) {
  return Write(process, type, f, key, value, error);
}

uint64_t Recorder::Write(int64_t process, const std::string& type, const std::string& f,
                         const std::string& key, const std::string& value,
                         const std::string& error) {
  std::string line = absl::StrCat("{\"process\":", process, ",\"type\":\"", type, "\",\"f\":\"", f,
                                  "\",\"key\":\"", key, "\"");
  if (!value.empty()) absl::StrAppend(&line, ",\"value\":", value);
  if (!error.empty()) absl::StrAppend(&line, ",\"error\":\"", JsonEscape(error), "\"");
  std::lock_guard lock(mu_);
  if (type != "invoke") ++ended_[type];
  absl::StrAppend(&line, ",\"time\":", absl::ToInt64Nanoseconds(absl::Now() - start_), "}\n");
  out_ << line;
  return next_event_++;
}

void Recorder::Flush() {
  std::lock_guard lock(mu_);
  out_.flush();
}

std::string Recorder::Counts() {
  std::lock_guard lock(mu_);
  return absl::StrCat(ended_["ok"], " ok, ", ended_["info"], " info, ", ended_["fail"], " fail");
}

}  // namespace warren::jepsen
