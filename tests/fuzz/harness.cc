// What every fuzzer does alike (harness.h).
#include "tests/fuzz/harness.h"

#include <cstdio>
#include <cstdlib>

#include "glog/logging.h"
#include "google/protobuf/stubs/logging.h"

namespace warren::fuzz {

void Violation(std::string_view name, const std::string& what) {
  fprintf(stderr, "%.*s: %s\n", static_cast<int>(name.size()), name.data(), what.c_str());
  fflush(stderr);
  abort();
}

}  // namespace warren::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  FLAGS_minloglevel = 2;
  FLAGS_logtostderr = true;
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}
