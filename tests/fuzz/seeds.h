#pragma once

// A fuzzer's seed corpus, as its corpus replay writes it with `--write-seeds DIR`
// (replay_main.cc): each target's seeds file defines Seeds().

#include <string>
#include <utility>
#include <vector>

namespace warren::fuzz {

// (file name, input).
std::vector<std::pair<std::string, std::string>> Seeds();

}  // namespace warren::fuzz
