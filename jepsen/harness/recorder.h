#pragma once

#include <atomic>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace warren::jepsen {

// Writes a history as JSON lines in the order events happen (warren-lincheck's format). Each
// event gets a sequence number; an operation's real-time order is the order of its events.
class Recorder {
 public:
  explicit Recorder(const std::string& path);
  // A process id never used before: a process whose operation ended in doubt is retired.
  int64_t NewProcess() { return next_process_++; }
  // `value` is JSON (5, null, [1,2]) or empty. Returns the event's sequence number.
  uint64_t Invoke(int64_t process, const std::string& f, const std::string& key,
                  const std::string& value);
  uint64_t Complete(int64_t process, const std::string& type, const std::string& f,
                    const std::string& key, const std::string& value,
                    const std::string& error = "");
  // "12034 ok, 31 info, 402 fail": how the operations ended.
  std::string Counts();
  // Writes out what is buffered, so that history.jsonl can be read whole.
  void Flush();

 private:
  uint64_t Write(int64_t process, const std::string& type, const std::string& f,
                 const std::string& key, const std::string& value, const std::string& error);

  std::mutex mu_;
  std::ofstream out_;
  uint64_t next_event_ = 0;
  std::map<std::string, int64_t> ended_;  // by type
  std::atomic<int64_t> next_process_{0};
  const absl::Time start_ = absl::Now();
};

}  // namespace warren::jepsen
