#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace warren {

// A program's flags from a file (warrend --config=FILE), one per line:
//   # a comment
//   data-dir = /var/lib/warren
// Names are the flags' (dashes or underscores), values as on the command line; blank lines
// and lines starting with '#' are skipped. Sets each flag, so that the command line, parsed
// after, overrides the file. An unknown flag, a malformed line, a bad value or a flag given
// twice is an error naming the file and line; nothing after it is set.
absl::Status ApplyConfigFile(const std::string& path);

// The FILE of --config=FILE (or --config FILE) in argv, if given.
std::optional<std::string> ConfigFileArg(int argc, char** argv);

}  // namespace warren
