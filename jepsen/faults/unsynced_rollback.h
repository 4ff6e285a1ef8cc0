#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warren::jepsen {

// Where a member ran under lose_unsynced.c (see jepsen/faults/unsynced_journal.h).
struct UnsyncedFiles {
  std::string root;     // the data directory the shim watched (WARREN_UNSYNCED_ROOT)
  std::string journal;  // WARREN_UNSYNCED_JOURNAL
  std::string stash;    // WARREN_UNSYNCED_STASH
};

struct RollbackResult {
  int records = 0;          // read from the journal
  int names_undone = 0;     // creates, renames, unlinks, mkdirs, rmdirs no directory sync kept
  int writes_undone = 0;    // writes and size changes no file sync kept
  uint64_t bytes_lost = 0;  // of the writes undone
  int torn = 0;             // writes kept in part
  std::string Summary() const;
};

// After the process is dead: undoes everything it did under `files.root` that no fsync made
// durable, as a power loss would. With `torn`, each file keeps its unsynced writes up to a
// random one of them, and a random prefix of that one (a crash in the middle of a write);
// without, it keeps none. Then empties the journal and the stash, so that the next run of the
// process starts from what is now on disk.
absl::StatusOr<RollbackResult> RollBackUnsynced(const UnsyncedFiles& files, bool torn,
                                                uint64_t seed);

// The VAR=value environment that runs a process under lose_unsynced.c (the library at
// `shim`), journaling what it does under `files.root`.
std::vector<std::string> UnsyncedEnvironment(const std::string& shim, const UnsyncedFiles& files);

// Runs `program arg` under the shim with nothing else in its environment and waits for it:
// its wait status.
absl::StatusOr<int> RunUnderShim(const std::string& shim, const std::string& program,
                                 const std::string& arg, const UnsyncedFiles& files);

}  // namespace warren::jepsen
