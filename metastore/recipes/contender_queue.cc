#include "metastore/recipes/contender_queue.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/recipes/paths.h"

namespace warren::metastore::recipes {
namespace {

constexpr size_t kSequenceDigits = 10;
constexpr size_t kTokenDigits = 16;

std::string RandomToken() {
  absl::BitGen gen;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

}  // namespace

std::optional<Contender> ParseContender(const std::string& name) {
  // <prefix><16 hex>-<10 digits>
  if (name.size() < kTokenDigits + 1 + kSequenceDigits + 1) return std::nullopt;
  const size_t seq_at = name.size() - kSequenceDigits;
  const size_t token_at = seq_at - 1 - kTokenDigits;
  if (name[seq_at - 1] != '-') return std::nullopt;
  int64_t sequence = 0;
  if (!absl::SimpleAtoi(name.substr(seq_at), &sequence)) return std::nullopt;
  for (size_t i = token_at; i < token_at + kTokenDigits; ++i) {
    if (!absl::ascii_isxdigit(name[i])) return std::nullopt;
  }
  return Contender{name, name.substr(0, token_at), sequence};
}

std::optional<size_t> ContenderQueue::Predecessor(const std::vector<Contender>& line, size_t mine) {
  if (mine == 0) return std::nullopt;
  return mine - 1;
}

ContenderQueue::ContenderQueue(MetastoreClient& client, std::string root, std::string prefix,
                               std::string data)
    : client_(client),
      root_(std::move(root)),
      prefix_(std::move(prefix)),
      data_(std::move(data)),
      token_(RandomToken()),
      waiter_(client) {}

ContenderQueue::~ContenderQueue() = default;

absl::Status ContenderQueue::Join(absl::Time deadline) {
  if (!node_.empty()) return absl::OkStatus();
  const std::string path = ChildPath(root_, absl::StrCat(prefix_, token_, "-"));
  CreateOptions opts;
  opts.ephemeral = true;
  opts.sequential = true;
  while (true) {
    auto created = CreateWithParents(client_, path, data_, opts, /*container_parents=*/true);
    if (created.ok()) {
      node_ = *created;
      return absl::OkStatus();
    }
    if (!OutcomeUnknown(created.status())) return created.status();
    // Look until we know whether it was made: creating again while unsure could leave two
    // nodes of ours, the second blocking the line until the session ends.
    absl::StatusOr<std::optional<std::string>> found = FindOwnNode();
    while (!found.ok() && absl::Now() < deadline) found = FindOwnNode();
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      node_ = **found;
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) return created.status();
  }
}

absl::StatusOr<std::optional<std::string>> ContenderQueue::FindOwnNode() {
  auto children = client_.GetChildren(root_);
  if (!children.ok()) {
    if (ErrorOf(children.status()) == metastorepb::NO_NODE) return std::nullopt;
    return children.status();
  }
  const std::string mine = absl::StrCat(prefix_, token_, "-");
  for (const auto& c : children->children) {
    if (c.name().rfind(mine, 0) == 0) return ChildPath(root_, c.name());
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<Contender>> ContenderQueue::Line() {
  auto children = client_.GetChildren(root_);
  if (!children.ok()) return children.status();
  std::vector<Contender> line;
  for (const auto& c : children->children) {
    if (auto parsed = ParseContender(c.name()); parsed.has_value()) line.push_back(*parsed);
  }
  std::sort(line.begin(), line.end(),
            [](const Contender& a, const Contender& b) { return a.sequence < b.sequence; });
  return line;
}

absl::Status ContenderQueue::WaitForTurn(const Blocker& blocker, absl::Time deadline) {
  if (node_.empty()) return MetaError(metastorepb::BAD_ARGUMENTS, "not in line: Join first");
  const std::string mine(BaseName(node_));
  while (true) {
    if (auto s = waiter_.SessionStatus(); !s.ok()) return s;
    auto line = Line();
    if (!line.ok()) return line.status();
    auto it = std::find_if(line->begin(), line->end(),
                           [&](const Contender& c) { return c.name == mine; });
    if (it == line->end()) {
      node_.clear();
      return MetaError(metastorepb::NO_NODE,
                       mine + " left the line (deleted, or its session ended)");
    }
    const auto wait_for = blocker(*line, it - line->begin());
    if (!wait_for.has_value()) return absl::OkStatus();
    const std::string blocking = ChildPath(root_, (*line)[*wait_for].name);
    waiter_.Arm(blocking);
    auto exists = client_.Exists(blocking, /*watch=*/true);
    if (!exists.ok()) return exists.status();
    if (!exists->has_value()) continue;  // gone already: look again
    if (auto s = waiter_.Wait(blocking, deadline); !s.ok()) return s;
  }
}

absl::Status ContenderQueue::Leave() {
  if (node_.empty()) return absl::OkStatus();
  absl::Status s = client_.Delete(node_);
  if (s.ok() || ErrorOf(s) == metastorepb::NO_NODE) {
    node_.clear();
    return absl::OkStatus();
  }
  return s;
}

}  // namespace warren::metastore::recipes
