#include "metastore/path.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

absl::Status Invalid(std::string_view path, std::string_view why) {
  return MetaError(metastorepb::INVALID_PATH,
                   absl::StrCat(std::string(path), " (", std::string(why), ")"));
}

// Decodes one UTF-8 code point at path[i]; returns its length, or 0 if malformed.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10ffff) return 0;  // overlong or out of range
  *cp = v;
  return len;
}

// The code points ZooKeeper refuses in a path.
bool Disallowed(uint32_t cp) {
  return (cp > 0 && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xf8ff) ||
         (cp >= 0xfff0 && cp <= 0xffff);
}

}  // namespace

absl::Status ValidatePath(std::string_view path) {
  if (path.empty()) return Invalid("\"\"", "the path is empty");
  if (path[0] != '/') return Invalid(path, "the path must start with /");
  if (path.size() == 1) return absl::OkStatus();
  if (path.back() == '/') return Invalid(path, "the path must not end with /");
  size_t segment_start = 1;
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string_view segment = path.substr(segment_start, i - segment_start);
      if (segment.empty()) return Invalid(path, "empty segment");
      if (segment == "." || segment == "..") return Invalid(path, "relative segments not allowed");
      segment_start = i + 1;
      continue;
    }
    if (path[i] == '\0') return Invalid(path, "NUL character");
    uint32_t cp = 0;
    size_t len = DecodeUtf8(path, i, &cp);
    if (len == 0) return Invalid(path, "not valid UTF-8");
    if (Disallowed(cp))
      return Invalid(path, absl::StrCat("disallowed character U+", absl::Hex(cp)));
    i += len - 1;
  }
  return absl::OkStatus();
}

std::string_view ParentOf(std::string_view path) {
  if (path.size() <= 1) return "";
  size_t slash = path.rfind('/');
  return slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  if (path.size() <= 1) return "";
  return path.substr(path.rfind('/') + 1);
}

std::string ChildPath(std::string_view parent, std::string_view name) {
  std::string out(parent == "/" ? "" : parent);
  out += '/';
  out += name;
  return out;
}

bool IsSystemPath(std::string_view path) {
  return path == "/zookeeper" || path.starts_with("/zookeeper/");
}

}  // namespace warren::metastore
