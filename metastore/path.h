#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace warren::metastore {

// Checks a znode path the way ZooKeeper's PathUtils does: absolute, no empty segment, no
// trailing slash (except "/"), no "." or ".." segment, valid UTF-8 without NUL, control or
// private-use code points. Errors are InvalidPath naming the path and the problem.
absl::Status ValidatePath(std::string_view path);

// ZooKeeper's system nodes, which every tree has and no client write may touch: clients write
// only below /zookeeper/quota (metastore/quota.h); the configuration is the Raft group's own.
inline constexpr std::string_view kSystemNodes[] = {"/zookeeper", "/zookeeper/quota",
                                                    "/zookeeper/config"};
inline constexpr std::string_view kConfigNode = "/zookeeper/config";
// "/zookeeper" or below it.
bool IsSystemPath(std::string_view path);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "".
std::string_view ParentOf(std::string_view path);
// "/a/b" -> "b"; "/" -> "".
std::string_view BaseName(std::string_view path);
// ("/a", "b") -> "/a/b"; ("/", "b") -> "/b".
std::string ChildPath(std::string_view parent, std::string_view name);

}  // namespace warren::metastore
