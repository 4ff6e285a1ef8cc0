#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warren::testing {

// A real child process (a server binary under test) with its output in a log file. Killed
// with SIGKILL if still running when the object goes away, so no test leaves servers behind.
class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Spawn(const std::vector<std::string>& argv,
                                                        const std::string& log_path);
  // Adopts a child this process started.
  explicit Process(pid_t pid) : pid_(pid) {}
  ~Process();

  void Signal(int sig);
  // The exit code (128 + signal if killed), or nullopt if still running after `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
  std::optional<int> exit_code_;
};

struct RunResult {
  int exit_code = -1;  // -1: did not finish in time (and was killed)
  std::string out;
  std::string err;
};

// Runs a command to completion (a CLI invocation), killing it after `timeout`.
RunResult RunCommand(const std::vector<std::string>& argv, absl::Duration timeout);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace warren::testing
