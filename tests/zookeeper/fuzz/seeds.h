#pragma once

// The request fuzzer's seed corpus (fuzz/corpus/), written by
// `zk_fuzz_corpus_test --write-seeds DIR`: sessions doing each opcode, and malformed input.

#include <string>
#include <utility>
#include <vector>

namespace warren::zookeeper::fuzz {

// (file name, input), in the format of fuzz_input.h.
std::vector<std::pair<std::string, std::string>> Seeds();

}  // namespace warren::zookeeper::fuzz
