#include "common/config_file.h"

#include <fstream>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace warren {
namespace {

// Flags about reading flags: in a file they would be read too late or loop.
const std::set<std::string>& MetaFlags() {
  static const auto* flags =
      new std::set<std::string>{"config", "flagfile", "fromenv", "tryfromenv", "undefok"};
  return *flags;
}

}  // namespace

absl::Status ApplyConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::set<std::string> seen;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto where = [&] { return absl::StrCat(path, ":", number, ": "); };
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "expected NAME = VALUE"));
    }
    const std::string name =
        absl::StrReplaceAll(absl::StripAsciiWhitespace(text.substr(0, eq)), {{"-", "_"}});
    const std::string value(absl::StripAsciiWhitespace(text.substr(eq + 1)));
    if (name.empty() || name.find_first_of(" \t") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "expected NAME = VALUE"));
    }
    if (MetaFlags().count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "'", name, "' cannot be set here"));
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "unknown flag '", name, "'"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "'", name, "' is set twice"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(where(), name, ": ", error));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading config file ", path));
  return absl::OkStatus();
}

std::optional<std::string> ConfigFileArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a == "--") break;
    if (absl::ConsumePrefix(&a, "--config=") || absl::ConsumePrefix(&a, "-config=")) {
      return std::string(a);
    }
    if ((a == "--config" || a == "-config") && i + 1 < argc) return std::string(argv[i + 1]);
  }
  return std::nullopt;
}

}  // namespace warren
