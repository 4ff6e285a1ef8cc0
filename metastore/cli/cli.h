#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "metastore/client/metastore_client.h"

namespace warren::metastore::cli {

using Args = std::vector<std::string>;
using Command = std::function<int(MetastoreClient&, const Args&)>;

// The usage message: every command and its arguments.
extern const char kUsage[];
// The libraries' own progress lines (a tree opened for `check`) are not the CLI's output:
// only their warnings and errors reach stderr.
void QuietLibraryLogs(const char* argv0);
// Whether --json asked for JSON output.
bool Json();
// The usage message with `why` on stderr; exit status 2.
int Usage(const std::string& why);
// One line naming the error and what it is about (a JSON object with --json); exit status 1.
int Fail(const absl::Status& s);

}  // namespace warren::metastore::cli
