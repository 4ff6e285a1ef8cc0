// warren-lincheck: is a history of register operations linearizable?
//   warren-lincheck [--model=register] [--timeout=SECONDS] FILE   (FILE "-" reads stdin)
// Prints "linearizable" (exit 0), "not linearizable" with the key and the shortest stretch of
// history that cannot be linearized (exit 1), or "unknown" when the search ran out of time
// (exit 2). A malformed history or bad flags exit 3.
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "common/dashed_flags.h"
#include "jepsen/lincheck/history.h"
#include "jepsen/lincheck/history_events.h"
#include "jepsen/lincheck/register_checker.h"

ABSL_FLAG(std::string, model, "register", "the object the history is of: register (one per key)");
ABSL_FLAG(double, timeout, 0, "give up after this many seconds and say unknown (0: never)");

namespace {

constexpr int kBadInput = 3;

int Run(const std::string& file) {
  using namespace warren::lincheck;
  if (absl::GetFlag(FLAGS_model) != "register") {
    std::cerr << "unknown --model '" << absl::GetFlag(FLAGS_model) << "' (register)\n";
    return kBadInput;
  }
  const double timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout < 0) {
    std::cerr << "--timeout must be >= 0\n";
    return kBadInput;
  }
  std::ifstream file_stream;
  std::istream* in = warren::lincheck::OpenInput(file, file_stream);
  if (in == nullptr) {
    std::cerr << "cannot read " << file << "\n";
    return kBadInput;
  }
  auto history = ReadHistory(*in);
  if (!history.ok()) {
    std::cerr << file << ": " << history.status().message() << "\n";
    return kBadInput;
  }
  const absl::Time deadline =
      timeout == 0 ? absl::InfiniteFuture() : absl::Now() + absl::Seconds(timeout);
  const CheckResult result = CheckRegisters(*history, deadline);
  switch (result.verdict) {
    case Verdict::kLinearizable:
      std::cout << "linearizable\n";
      return 0;
    case Verdict::kUnknown:
      std::cout << "unknown\nran out of time on key " << result.key << "\n";
      return 2;
    case Verdict::kNotLinearizable:
      break;
  }
  std::cout << "not linearizable\nkey " << result.key << ": these " << result.events.size()
            << " events (by line of " << file << ") cannot be linearized:\n";
  for (size_t e : result.events) std::cout << e + 1 << ": " << history->lines[e] << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "warren-lincheck [--model=register] [--timeout=SECONDS] FILE\n"
      "Checks that a history (JSON lines) is linearizable; see docs/fault-testing.md.");
  warren::DashedFlags flags(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (args.size() != 2) {
    std::cerr << "usage: warren-lincheck [--model=register] [--timeout=SECONDS] FILE\n";
    return kBadInput;
  }
  return Run(args[1]);
}
