#include "tests/integration/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "raft/log/file_util.h"

extern char** environ;

namespace warren::testing {
namespace {

absl::StatusOr<pid_t> SpawnWithOutput(const std::vector<std::string>& argv, const std::string& out,
                                      const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": ", std::strerror(rc)));
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Spawn(const std::vector<std::string>& argv,
                                                        const std::string& log_path) {
  auto pid = SpawnWithOutput(argv, log_path, log_path);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<Process>(new Process(*pid));
}

Process::~Process() {
  if (!exit_code_.has_value()) {
    Signal(SIGKILL);
    Wait(absl::Seconds(30));
  }
}

void Process::Signal(int sig) {
  if (!exit_code_.has_value()) ::kill(pid_, sig);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exit_code_.has_value()) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = DecodeWaitStatus(status);
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

RunResult RunCommand(const std::vector<std::string>& argv, absl::Duration timeout) {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TMPDIR");
  std::string base =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/warren-run-", ::getpid(), "-", counter++);
  std::string out = base + ".out", err = base + ".err";
  RunResult result;
  auto pid = SpawnWithOutput(argv, out, err);
  if (!pid.ok()) {
    result.err = pid.status().ToString();
    return result;
  }
  Process p(*pid);
  auto code = p.Wait(timeout);
  if (!code.has_value()) {
    p.Signal(SIGKILL);
    p.Wait(absl::Seconds(10));
  }
  result.exit_code = code.value_or(-1);
  result.out = ReadFile(out).value_or("");
  result.err = ReadFile(err).value_or("");
  ::unlink(out.c_str());
  ::unlink(err.c_str());
  return result;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  CHECK_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  CHECK_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace warren::testing
