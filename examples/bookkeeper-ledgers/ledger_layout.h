#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warren::bookkeeper {

// Where BookKeeper's two ledger managers keep a ledger's metadata under the root (/ledgers).
//   flat:         <root>/L0000000001      (the id is the sequence number of that node)
//   hierarchical: <root>/00/0000/L0001    (the 10-digit id split 2/4/4; ids come from
//                                          sequential nodes under <root>/idgen)
enum class Layout { kFlat, kHierarchical };

absl::StatusOr<Layout> ParseLayout(absl::string_view name);  // "flat" | "hierarchical"
const char* LayoutName(Layout layout);
// What the LAYOUT node holds: the format line and the manager, as BookKeeper writes it.
std::string LayoutNodeData(Layout layout);
absl::StatusOr<Layout> LayoutFromNodeData(absl::string_view data);

// Ledger ids fit ten digits in both layouts here (BookKeeper's long hierarchical layout,
// for larger ids, is not modelled).
constexpr int64_t kMaxLedgerId = 9'999'999'999;

std::string LedgerPath(Layout layout, const std::string& root, int64_t id);
// The id of a ledger node's path, or nullopt if the path is not one (LAYOUT, idgen, ...).
std::optional<int64_t> LedgerIdOf(Layout layout, const std::string& root, absl::string_view path);

}  // namespace warren::bookkeeper
