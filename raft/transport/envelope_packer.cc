#include "raft/transport/envelope_packer.h"

namespace warren::raft {
namespace {

// A field's tag and length in front of it: a generous upper bound.
constexpr size_t kFieldFramingBytes = 16;

}  // namespace

std::vector<raftpb::Envelope> PackEnvelopes(MessageQueue* queue, size_t max_bytes,
                                            size_t* dropped) {
  std::vector<raftpb::Envelope> out;
  size_t envelope_bytes = 0;
  for (auto& [group, m] : *queue) {
    const size_t bytes = m.ByteSizeLong() + kFieldFramingBytes;
    const size_t header_bytes = group.size() + kFieldFramingBytes;
    if (header_bytes + bytes > max_bytes) {
      ++*dropped;
      continue;
    }
    if (out.empty() || out.back().group() != group || envelope_bytes + bytes > max_bytes) {
      out.emplace_back().set_group(group);
      envelope_bytes = header_bytes;
    }
    *out.back().add_messages() = std::move(m);
    envelope_bytes += bytes;
  }
  queue->clear();
  return out;
}

}  // namespace warren::raft
