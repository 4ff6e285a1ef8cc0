#include "metastore/zookeeper/jute.h"

namespace warren::zookeeper {

void JuteWriter::Int(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                     static_cast<char>(u >> 8), static_cast<char>(u)};
  out_.append(b, 4);
}

void JuteWriter::Long(int64_t v) {
  Int(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
  Int(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xffffffffu));
}

void JuteWriter::Bool(bool v) { out_.push_back(v ? 1 : 0); }

void JuteWriter::Buffer(std::string_view v) {
  Int(static_cast<int32_t>(v.size()));
  out_.append(v);
}

void JuteWriter::Strings(const std::vector<std::string>& v) {
  Int(static_cast<int32_t>(v.size()));
  for (const std::string& s : v) String(s);
}

std::optional<std::string_view> JuteReader::Take(size_t n) {
  if (!ok_ || in_.size() < n) {
    ok_ = false;
    return std::nullopt;
  }
  std::string_view taken = in_.substr(0, n);
  in_.remove_prefix(n);
  return taken;
}

int32_t JuteReader::Int() {
  auto b = Take(4);
  if (!b) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(b->data());
  return static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
                              uint32_t{p[3]});
}

int64_t JuteReader::Long() {
  const auto hi = static_cast<uint32_t>(Int());
  const auto lo = static_cast<uint32_t>(Int());
  if (!ok_) return 0;
  return static_cast<int64_t>(uint64_t{hi} << 32 | lo);
}

bool JuteReader::Bool() {
  auto b = Take(1);
  return b && (*b)[0] != 0;
}

std::string JuteReader::Buffer() {
  const int32_t len = Int();
  if (len == -1 || !ok_) return {};
  if (len < 0) {
    ok_ = false;
    return {};
  }
  auto b = Take(static_cast<size_t>(len));
  return b ? std::string(*b) : std::string();
}

int32_t JuteReader::Count(size_t max) {
  const int32_t n = Int();
  if (n == -1 || !ok_) return 0;
  // Every element takes at least one byte: a count beyond what is left is a lie.
  if (n < 0 || static_cast<size_t>(n) > max || static_cast<size_t>(n) > in_.size()) {
    ok_ = false;
    return 0;
  }
  return n;
}

std::vector<std::string> JuteReader::Strings(size_t max) {
  std::vector<std::string> v;
  const int32_t n = Count(max);
  for (int32_t i = 0; i < n && ok_; ++i) v.push_back(String());
  if (!ok_) v.clear();
  return v;
}

}  // namespace warren::zookeeper
