// The path fuzzer's seeds: valid paths, each way of being invalid, and parent/name pairs.
#include <string>

#include "tests/fuzz/seeds.h"

namespace warren::fuzz {

std::vector<std::pair<std::string, std::string>> Seeds() {
  const std::string kSplit = "\xff";
  return {
      {"root", "/"},
      {"nested", "/a/b/c"},
      {"system", "/zookeeper/quota"},
      {"utf8", "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80"},
      {"relative", "a/b"},
      {"empty-segment", "/a//b"},
      {"trailing-slash", "/a/"},
      {"dot-segments", "/a/./../b"},
      {"nul", std::string("/a\0b", 4)},
      {"control",
       "/a\x01"
       "b"},
      {"overlong-utf8", "/\xc0\xaf"},
      {"surrogate", "/\xed\xa0\x80"},
      {"private-use", "/\xef\xa3\xbf"},
      {"child", "/a" + kSplit + "b"},
      {"child-of-root", "/" + kSplit + "name"},
      {"child-bad-name", "/a" + kSplit + ".."},
      {"child-slash", "/a" + kSplit + "b/c"},
      {"sequential-prefix", "/queue/"},
  };
}

}  // namespace warren::fuzz
