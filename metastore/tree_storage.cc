#include "metastore/tree_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "metastore/path.h"
#include "raft/log/file_util.h"

namespace warren::metastore {
namespace fs = std::filesystem;

std::string NodeKey(std::string_view path) {
  std::string key(1, kNodeTag);
  key += ParentOf(path);
  key += '\0';
  key += BaseName(path);
  return key;
}

std::string ChildrenPrefix(std::string_view path) {
  std::string key(1, kNodeTag);
  key += path;
  key += '\0';
  return key;
}

std::optional<std::string> PathOfNodeKey(std::string_view key) {
  if (key.empty() || key[0] != kNodeTag) return std::nullopt;
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  std::string_view parent = key.substr(1, nul - 1);
  std::string_view name = key.substr(nul + 1);
  if (parent.empty()) return std::string("/");
  return ChildPath(parent, name);
}

namespace {
void AppendBigEndian(std::string& key, uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
    key.push_back(static_cast<char>(v >> shift));
}
}  // namespace

std::string SessionKey(uint64_t id) {
  std::string key(1, kSessionTag);
  AppendBigEndian(key, id, 8);
  return key;
}

std::string EventKey(uint64_t zxid) {
  std::string key(1, kEventTag);
  AppendBigEndian(key, zxid, 8);
  return key;
}

std::optional<uint64_t> ZxidOfEventKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kEventTag) return std::nullopt;
  uint64_t zxid = 0;
  for (size_t i = 1; i < key.size(); ++i) zxid = zxid << 8 | static_cast<uint8_t>(key[i]);
  return zxid;
}

namespace {

void AppendVarint(uint64_t n, std::string& out) {
  for (; n > 0x7f; n >>= 7) out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  out.push_back(static_cast<char>(n));
}

std::optional<uint64_t> ReadVarint(std::string_view& in) {
  uint64_t n = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    n |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return n;
  }
  return std::nullopt;
}

// Calls each(zxid, type, path) for every event of a stored record; false if it is malformed.
template <typename Each>
bool ForEachEvent(std::string_view value, Each&& each) {
  while (!value.empty()) {
    const std::optional<uint64_t> zxid = ReadVarint(value);
    if (!zxid.has_value() || value.empty()) return false;
    const auto type = static_cast<uint8_t>(value[0]);
    value.remove_prefix(1);
    const std::optional<uint64_t> size = ReadVarint(value);
    if (!metastorepb::EventType_IsValid(type) || !size.has_value() || *size > value.size()) {
      return false;
    }
    each(*zxid, static_cast<metastorepb::EventType>(type), value.substr(0, *size));
    value.remove_prefix(*size);
  }
  return true;
}

}  // namespace

void AppendEvents(const std::vector<metastorepb::WatchEvent>& events, std::string& out) {
  for (const auto& e : events) {
    AppendVarint(e.zxid(), out);
    out.push_back(static_cast<char>(e.type()));
    AppendVarint(e.path().size(), out);
    out += e.path();
  }
}

bool DecodeEvents(std::string_view value, std::vector<metastorepb::WatchEvent>& out) {
  return ForEachEvent(value,
                      [&](uint64_t zxid, metastorepb::EventType type, std::string_view path) {
                        auto& e = out.emplace_back();
                        e.set_zxid(zxid);
                        e.set_type(type);
                        e.set_path(std::string(path));
                      });
}

std::optional<size_t> CountEvents(std::string_view value) {
  size_t n = 0;
  if (!ForEachEvent(value, [&](uint64_t, metastorepb::EventType, std::string_view) { ++n; })) {
    return std::nullopt;
  }
  return n;
}

absl::Status ArchiveDir(const std::string& dir, SnapshotWriter& writer) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", dir, ": ", ec.message()));
  std::vector<char> buf(1 << 20);
  for (const auto& file : files) {
    std::string name = file.filename().string();
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", file.string());
    uint64_t size = fs::file_size(file);
    std::string head;
    PutFixed32(&head, name.size());
    head += name;
    PutFixed64(&head, size);
    absl::Status s = writer.Write(head);
    for (uint64_t done = 0; s.ok() && done < size;) {
      size_t n = std::min<uint64_t>(buf.size(), size - done);
      s = ReadAll(fd, buf.data(), n, done, file.string());
      if (s.ok()) s = writer.Write(std::string_view(buf.data(), n));
      done += n;
    }
    ::close(fd);
    if (!s.ok()) return s;
  }
  std::string end;
  PutFixed32(&end, 0);
  return writer.Write(end);
}

namespace {

absl::Status ReadExactly(SnapshotReader& reader, char* buf, size_t n) {
  while (n > 0) {
    auto got = reader.Read(buf, n);
    if (!got.ok()) return got.status();
    if (*got == 0) return absl::DataLossError("the checkpoint archive ends early");
    buf += *got;
    n -= *got;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status UnarchiveDir(SnapshotReader& reader, const std::string& dir) {
  std::error_code ec;
  if (!fs::create_directories(dir, ec)) {
    return absl::InternalError(absl::StrCat("create ", dir, ": ", ec ? ec.message() : "exists"));
  }
  std::vector<char> buf(1 << 20);
  while (true) {
    char len_bytes[4];
    if (auto s = ReadExactly(reader, len_bytes, 4); !s.ok()) return s;
    uint32_t name_len = GetFixed32(len_bytes);
    if (name_len == 0) break;
    if (name_len > 4096) return absl::DataLossError("the checkpoint archive is corrupt");
    std::string name(name_len, '\0');
    char size_bytes[8];
    if (auto s = ReadExactly(reader, name.data(), name_len); !s.ok()) return s;
    if (auto s = ReadExactly(reader, size_bytes, 8); !s.ok()) return s;
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      return absl::DataLossError(absl::StrCat("bad file name in checkpoint archive: ", name));
    }
    std::string path = (fs::path(dir) / name).string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("create", path);
    uint64_t size = GetFixed64(size_bytes);
    absl::Status s;
    for (uint64_t done = 0; s.ok() && done < size;) {
      size_t n = std::min<uint64_t>(buf.size(), size - done);
      s = ReadExactly(reader, buf.data(), n);
      if (s.ok()) s = WriteAll(fd, std::string_view(buf.data(), n), done, path);
      done += n;
    }
    if (s.ok() && FullSync(fd) != 0) s = ErrnoStatus("fsync", path);
    ::close(fd);
    if (!s.ok()) return s;
  }
  return SyncDir(dir);
}

}  // namespace warren::metastore
