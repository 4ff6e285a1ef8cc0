// libFuzzer target for znode paths: ValidatePath, the parent/name split, the storage keys
// built from a path, and the create validation that appends a sequential suffix. The input is
// a path, optionally followed by 0xff and a child name (0xff is never in valid UTF-8, so no
// valid path is lost to the split). Aborts unless an accepted path is canonical (absolute, no
// empty, "." or ".." segment, no trailing slash, no NUL), splits into a valid parent and a
// name that join back to it, round-trips through its RocksDB key, and takes a child exactly
// when "/" does.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "metastore/path.h"
#include "metastore/tree_storage.h"
#include "metastore/validate.h"

namespace warren::metastore {
namespace {

[[noreturn]] void Violation(std::string_view what, std::string_view path) {
  fprintf(stderr, "path_fuzzer: %.*s: \"%s\"\n", static_cast<int>(what.size()), what.data(),
          absl::CEscape(std::string(path)).c_str());
  fflush(stderr);
  abort();
}

bool Canonical(std::string_view path) {
  if (path == "/") return true;
  if (path.empty() || path[0] != '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

void CheckAccepted(std::string_view path) {
  if (!Canonical(path)) Violation("an accepted path is not canonical", path);
  if (!ValidatePath(std::string(path)).ok()) Violation("validation is not repeatable", path);
  const std::string_view parent = ParentOf(path);
  const std::string_view name = BaseName(path);
  if (path == "/") {
    if (!parent.empty() || !name.empty()) Violation("the root has a parent or a name", path);
  } else {
    if (!ValidatePath(parent).ok()) Violation("the parent of a valid path is invalid", path);
    if (name.empty() || name.find('/') != std::string_view::npos) Violation("a bad name", path);
    if (ChildPath(parent, name) != path) Violation("parent and name do not join back", path);
    if (!NodeKey(path).starts_with(ChildrenPrefix(parent))) {
      Violation("a node key is not under its parent's children prefix", path);
    }
  }
  if (PathOfNodeKey(NodeKey(path)) != std::string(path)) {
    Violation("a node key does not give its path back", path);
  }
  if (IsSystemPath(path) != (path == "/zookeeper" || path.starts_with("/zookeeper/"))) {
    Violation("IsSystemPath is wrong", path);
  }
}

// A sequential create may end in "/": the suffix makes it valid.
void CheckSequentialCreate(std::string_view path) {
  metastorepb::Op op;
  op.mutable_create()->set_path(std::string(path));
  op.mutable_create()->set_sequential(true);
  const bool accepted = ValidateOp(op, Limits()).ok();
  if (accepted && !ValidatePath(std::string(path) + "0000000001").ok()) {
    Violation("a sequential create is accepted whose node path is invalid", path);
  }
}

}  // namespace
}  // namespace warren::metastore

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::metastore;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\xff');
  const std::string_view path = input.substr(0, split);
  if (ValidatePath(path).ok()) CheckAccepted(path);
  CheckSequentialCreate(path);
  // The key of a path that is not valid must not crash its decoding either.
  PathOfNodeKey(input);
  if (split == std::string_view::npos) return 0;
  const std::string_view name = input.substr(split + 1);
  // ("/", "") joins to "/" itself, the one valid path without a name.
  if (name.empty() || !ValidatePath(path).ok()) return 0;
  const std::string child = ChildPath(path, name);
  if (ValidatePath(child).ok() != ValidatePath(ChildPath("/", name)).ok()) {
    Violation("a name is valid under one node and not under another", child);
  }
  if (ValidatePath(child).ok() && name.find('/') == std::string_view::npos) {
    if (ParentOf(child) != path || BaseName(child) != name) {
      Violation("a child does not split back into its parent and name", child);
    }
    CheckAccepted(child);
  }
  return 0;
}
