#pragma once

#include <string>
#include <vector>

namespace warren {

// Abseil flag names use underscores; people type dashes (--data-dir). Returns argv with the
// dashes of every "--flag-name" turned into underscores (values are left alone), for
// absl::ParseCommandLine. The returned strings own the storage the pointers refer to.
class DashedFlags {
 public:
  DashedFlags(int argc, char** argv);
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

}  // namespace warren
