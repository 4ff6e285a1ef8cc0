#include "examples/bookkeeper-ledgers/ledger_layout.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace warren::bookkeeper {
namespace {

constexpr char kFlatManager[] = "org.apache.bookkeeper.meta.FlatLedgerManagerFactory";
constexpr char kHierarchicalManager[] =
    "org.apache.bookkeeper.meta.HierarchicalLedgerManagerFactory";

bool AllDigits(absl::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Layout> ParseLayout(absl::string_view name) {
  if (name == "flat") return Layout::kFlat;
  if (name == "hierarchical") return Layout::kHierarchical;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown layout \"", name, "\": flat or hierarchical"));
}

const char* LayoutName(Layout layout) { return layout == Layout::kFlat ? "flat" : "hierarchical"; }

std::string LayoutNodeData(Layout layout) {
  return absl::StrCat("2\n", layout == Layout::kFlat ? kFlatManager : kHierarchicalManager, ":1\n");
}

absl::StatusOr<Layout> LayoutFromNodeData(absl::string_view data) {
  if (absl::StrContains(data, kHierarchicalManager)) return Layout::kHierarchical;
  if (absl::StrContains(data, kFlatManager)) return Layout::kFlat;
  return absl::FailedPreconditionError(
      absl::StrCat("LAYOUT names no ledger manager this program knows: \"", data, "\""));
}

std::string LedgerPath(Layout layout, const std::string& root, int64_t id) {
  const std::string digits = absl::StrFormat("%010d", id);
  if (layout == Layout::kFlat) return absl::StrCat(root, "/L", digits);
  return absl::StrCat(root, "/", digits.substr(0, 2), "/", digits.substr(2, 4), "/L",
                      digits.substr(6, 4));
}

std::optional<int64_t> LedgerIdOf(Layout layout, const std::string& root, absl::string_view path) {
  if (!absl::ConsumePrefix(&path, root) || !absl::ConsumePrefix(&path, "/")) return std::nullopt;
  std::string digits;
  if (layout == Layout::kFlat) {
    if (!absl::ConsumePrefix(&path, "L") || !AllDigits(path, 10)) return std::nullopt;
    digits = std::string(path);
  } else {
    std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
    if (parts.size() != 3 || !AllDigits(parts[0], 2) || !AllDigits(parts[1], 4) ||
        !absl::ConsumePrefix(&parts[2], "L") || !AllDigits(parts[2], 4)) {
      return std::nullopt;
    }
    digits = absl::StrCat(parts[0], parts[1], parts[2]);
  }
  int64_t id = 0;
  if (!absl::SimpleAtoi(digits, &id)) return std::nullopt;
  return id;
}

}  // namespace warren::bookkeeper
