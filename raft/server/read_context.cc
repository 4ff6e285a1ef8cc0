#include "raft/server/read_context.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace warren::raft {

ReadContextNamer::ReadContextNamer(uint64_t member)
    : member_(member), incarnation_(absl::Uniform<uint64_t>(absl::BitGen())) {}

std::string ReadContextNamer::Next() {
  return absl::StrCat(member_, ":", incarnation_, ":", next_++);
}

}  // namespace warren::raft
