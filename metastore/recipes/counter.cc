#include "metastore/recipes/counter.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "metastore/errors.h"
#include "metastore/recipes/paths.h"

namespace warren::metastore::recipes {

DistributedCounter::DistributedCounter(MetastoreClient& client, std::string path)
    : client_(client), path_(std::move(path)) {}

absl::StatusOr<std::pair<int64_t, int32_t>> DistributedCounter::Read() {
  auto node = client_.GetData(path_);
  if (ErrorOf(node.status()) == metastorepb::NO_NODE) return std::make_pair(int64_t{0}, -1);
  if (!node.ok()) return node.status();
  int64_t value = 0;
  if (!node->data.empty() && !absl::SimpleAtoi(node->data, &value)) {
    return MetaError(metastorepb::BAD_ARGUMENTS, absl::StrCat(path_, ": not a counter (holds \"",
                                                              node->data.substr(0, 40), "\")"));
  }
  return std::make_pair(value, node->stat.version());
}

absl::StatusOr<bool> DistributedCounter::WriteIfUnchanged(int32_t version, int64_t value) {
  const std::string text = absl::StrCat(value);
  absl::Status s;
  if (version < 0) {
    s = CreateWithParents(client_, path_, text, {}, /*container_parents=*/false).status();
    if (ErrorOf(s) == metastorepb::NODE_EXISTS) return false;
  } else {
    s = client_.SetData(path_, text, version).status();
    if (ErrorOf(s) == metastorepb::BAD_VERSION || ErrorOf(s) == metastorepb::NO_NODE) {
      return false;
    }
  }
  if (!s.ok()) return s;
  return true;
}

absl::StatusOr<int64_t> DistributedCounter::Get() {
  auto read = Read();
  if (!read.ok()) return read.status();
  return read->first;
}

absl::StatusOr<int64_t> DistributedCounter::Add(int64_t delta) {
  // Each round loses only to a write that succeeded, so the counter as a whole progresses.
  while (true) {
    auto read = Read();
    if (!read.ok()) return read.status();
    const auto [value, version] = *read;
    int64_t next = 0;
    if (__builtin_add_overflow(value, delta, &next)) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat(path_, ": ", value, " + ", delta, " overflows"));
    }
    auto written = WriteIfUnchanged(version, next);
    if (!written.ok()) return written.status();
    if (*written) return next;
  }
}

absl::StatusOr<bool> DistributedCounter::CompareAndSet(int64_t expected, int64_t value) {
  auto read = Read();
  if (!read.ok()) return read.status();
  if (read->first != expected) return false;
  return WriteIfUnchanged(read->second, value);
}

}  // namespace warren::metastore::recipes
