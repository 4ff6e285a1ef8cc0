#include "statemachine/state_machine.h"

namespace warren {

absl::StatusOr<std::string> SnapshotReader::ReadAll() {
  std::string out;
  char buf[1 << 16];
  while (true) {
    auto n = Read(buf, sizeof(buf));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

}  // namespace warren
