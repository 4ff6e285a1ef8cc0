#pragma once

// What every fuzzer does alike. Linked in as objects (an OBJECT library), so that its
// LLVMFuzzerInitialize, which quiets glog and protobuf (their warnings about bad input are
// what a fuzzer is for), is each fuzzer's and each corpus replay's.

#include <string>
#include <string_view>

namespace warren::fuzz {

// Reports what the fuzzer `name` found broken and aborts, which libFuzzer (and the corpus
// replay) report as a crash with this input.
[[noreturn]] void Violation(std::string_view name, const std::string& what);

}  // namespace warren::fuzz
