// warren-elle: is a history of list-append transactions strictly serializable?
//   warren-elle FILE   (FILE "-" reads stdin)
// Prints "strict-serializable" (exit 0), or "not strict-serializable" with each class of
// anomaly found and one example of it: the transactions, by history line, and the
// dependencies between them (exit 1). A malformed history exits 3.
#include <fstream>
#include <iostream>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "common/dashed_flags.h"
#include "jepsen/elle/checker.h"
#include "jepsen/elle/history.h"
#include "jepsen/lincheck/history_events.h"

namespace {

constexpr int kBadInput = 3;

int Run(const std::string& file) {
  using namespace warren::elle;
  std::ifstream file_stream;
  std::istream* in = warren::lincheck::OpenInput(file, file_stream);
  if (in == nullptr) {
    std::cerr << "cannot read " << file << "\n";
    return kBadInput;
  }
  auto history = ReadTxnHistory(*in);
  if (!history.ok()) {
    std::cerr << file << ": " << history.status().message() << "\n";
    return kBadInput;
  }
  const absl::Time start = absl::Now();
  const CheckResult result = CheckListAppend(*history);
  std::cerr << history->txns.size() << " txns, " << result.txns << " in the graph with "
            << result.edges << " edges, checked in " << absl::FormatDuration(absl::Now() - start)
            << "\n";
  if (result.valid()) {
    std::cout << "strict-serializable\n";
    return 0;
  }
  std::cout << "not strict-serializable\n" << Describe(result);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "warren-elle FILE\n"
      "Checks that a history of list-append transactions (JSON lines) is strictly "
      "serializable; see docs/fault-testing.md.");
  warren::DashedFlags flags(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (args.size() != 2) {
    std::cerr << "usage: warren-elle FILE\n";
    return kBadInput;
  }
  return Run(args[1]);
}
