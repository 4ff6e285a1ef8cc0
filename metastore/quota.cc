#include "metastore/quota.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"

namespace warren::metastore {
namespace {

// "/zookeeper/quota/a/b/<name>" -> "/a/b".
std::optional<std::string_view> SubjectOf(std::string_view path, std::string_view name) {
  if (!path.starts_with(kQuotaNode)) return std::nullopt;
  std::string_view rest = path.substr(kQuotaNode.size());  // "/a/b/<name>"
  if (!rest.ends_with(name)) return std::nullopt;
  rest.remove_suffix(name.size());  // "/a/b/"
  if (rest.size() < 3 || rest.front() != '/' || rest.back() != '/') return std::nullopt;
  rest.remove_suffix(1);
  return rest;
}

}  // namespace

bool IsQuotaPath(std::string_view path) {
  return path.size() > kQuotaNode.size() + 1 && path.starts_with(kQuotaNode) &&
         path[kQuotaNode.size()] == '/';
}

std::optional<std::string_view> QuotaSubjectOfLimits(std::string_view path) {
  return SubjectOf(path, kQuotaLimitsName);
}

std::optional<std::string_view> QuotaSubjectOfStats(std::string_view path) {
  return SubjectOf(path, kQuotaStatsName);
}

std::string QuotaLimitsPath(std::string_view subject) {
  return std::string(kQuotaNode).append(subject).append("/").append(kQuotaLimitsName);
}

std::string QuotaStatsPath(std::string_view subject) {
  return std::string(kQuotaNode).append(subject).append("/").append(kQuotaStatsName);
}

QuotaFields QuotaFields::Parse(std::string_view text) {
  QuotaFields fields;
  while (!text.empty()) {
    const size_t end = std::min(text.find_first_of(",;"), text.size());
    const std::string_view pair = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    // "bytes=5=" (the marker before the hard limits) is bytes=5, as Java's split reads it.
    const size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string_view::npos) continue;
    const std::string_view key = pair.substr(0, eq);
    std::string_view number = pair.substr(eq + 1);
    number = number.substr(0, number.find('='));
    int64_t value = -1;
    if (!number.empty()) {
      auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec != std::errc() || ptr != number.data() + number.size()) continue;
    }
    fields.values_[std::string(key)] = value;
  }
  return fields;
}

int64_t QuotaFields::Get(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? -1 : it->second;
}

std::string QuotaFields::Format() const {
  std::string out = absl::StrCat("count=", count(), ",bytes=", bytes());
  bool first = true;
  for (const auto& [key, value] : values_) {
    if (key == "count" || key == "bytes") continue;
    // The extra "=" hides the hard limits from readers older than ZooKeeper 3.7.
    if (first) out += '=';
    first = false;
    absl::StrAppend(&out, ";", key, "=", value);
  }
  return out;
}

}  // namespace warren::metastore
