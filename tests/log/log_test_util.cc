#include "tests/log/log_test_util.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace warren::raft::testing {

TempDir::TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path root = base != nullptr ? base : std::filesystem::temp_directory_path();
  path_ = (root / absl::StrCat("warren-", name, "-", ::getpid(), "-", std::rand())).string();
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace warren::raft::testing
