#pragma once

// A fresh directory under TMPDIR (scripts/fuzz.sh points it at /dev/shm), removed with the
// object; and a ZNodeTree in one. For the fuzzers, which abort if they cannot have them.

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "metastore/znode_tree.h"

namespace warren::fuzz {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> made{0};
    path_ = std::filesystem::temp_directory_path() /
            ("warren-fuzz-" + std::to_string(getpid()) + "-" + std::to_string(made++));
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (!std::filesystem::create_directories(path_, ec)) {
      fprintf(stderr, "cannot create %s: %s\n", path_.c_str(), ec.message().c_str());
      abort();
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A tree of the default limits in its own TempDir.
class TempTree {
 public:
  TempTree() {
    metastore::TreeOptions options;
    options.dir = (dir_.path() / "tree").string();
    auto tree = metastore::ZNodeTree::Open(options, nullptr);
    if (!tree.ok()) {
      fprintf(stderr, "cannot open a tree: %s\n", tree.status().ToString().c_str());
      abort();
    }
    tree_ = std::move(*tree);
  }
  metastore::ZNodeTree& tree() { return *tree_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_;  // outlives the tree
  std::unique_ptr<metastore::ZNodeTree> tree_;
};

}  // namespace warren::fuzz
