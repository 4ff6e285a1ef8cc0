#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace warren::metastore {

// Checks a znode path the way ZooKeeper's PathUtils does: absolute, no empty segment, no
// trailing slash (except "/"), no "." or ".." segment, valid UTF-8 without NUL, control or
// private-use code points. Errors are InvalidPath naming the path and the problem.
absl::Status ValidatePath(std::string_view path);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "".
std::string_view ParentOf(std::string_view path);
// "/a/b" -> "b"; "/" -> "".
std::string_view BaseName(std::string_view path);
// ("/a", "b") -> "/a/b"; ("/", "b") -> "/b".
std::string ChildPath(std::string_view parent, std::string_view name);

}  // namespace warren::metastore
