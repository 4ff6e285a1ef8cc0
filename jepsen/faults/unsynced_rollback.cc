#include "jepsen/faults/unsynced_rollback.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jepsen/faults/unsynced_journal.h"

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

struct Record {
  UnsyncedRecord h;
  std::string path, path2, stash, pre;
};

absl::StatusOr<std::vector<Record>> ReadJournal(const std::string& file) {
  std::vector<Record> out;
  std::ifstream in(file, std::ios::binary);
  if (!in) return out;  // nothing was written
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  while (pos + sizeof(UnsyncedRecord) <= bytes.size()) {
    Record r;
    std::memcpy(&r.h, bytes.data() + pos, sizeof(r.h));
    if (r.h.magic != kUnsyncedMagic) {
      return absl::DataLossError(absl::StrCat(file, ": no record at byte ", pos));
    }
    const uint64_t pre = (r.h.flags & kUnsyncedZeroPreImage) ? 0 : r.h.pre_len;
    const uint64_t end = pos + sizeof(r.h) + r.h.path_len + r.h.path2_len + r.h.stash_len + pre;
    if (end > bytes.size()) break;  // the last record cut short: the process died writing it
    size_t p = pos + sizeof(r.h);
    r.path = bytes.substr(p, r.h.path_len), p += r.h.path_len;
    r.path2 = bytes.substr(p, r.h.path2_len), p += r.h.path2_len;
    r.stash = bytes.substr(p, r.h.stash_len), p += r.h.stash_len;
    r.pre =
        (r.h.flags & kUnsyncedZeroPreImage) ? std::string(r.h.pre_len, '\0') : bytes.substr(p, pre);
    out.push_back(std::move(r));
    pos = end;
  }
  return out;
}

std::string Parent(const std::string& path) { return fs::path(path).parent_path().string(); }

bool SameFile(const std::string& path, uint64_t ino) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_ino) == ino;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

// Undoes one name record that no directory sync kept.
absl::Status UndoName(const Record& r) {
  std::error_code ec;
  switch (r.h.kind) {
    case kUnsyncedCreate:
      if (SameFile(r.path, r.h.ino) && ::unlink(r.path.c_str()) != 0)
        return Errno("unlink", r.path);
      break;
    case kUnsyncedUnlink:
      // Not if the directory that held it was removed for good: the file went with it.
      if (!r.stash.empty() && !fs::exists(r.path, ec) && fs::exists(Parent(r.path), ec) &&
          ::link(r.stash.c_str(), r.path.c_str()) != 0) {
        return Errno("link back", r.path);
      }
      break;
    case kUnsyncedRename:
      if (fs::exists(r.path2, ec) && fs::exists(Parent(r.path), ec) &&
          ::rename(r.path2.c_str(), r.path.c_str()) != 0) {
        return Errno("rename back", r.path2);
      }
      if (!r.stash.empty() && fs::exists(Parent(r.path2), ec) &&
          ::link(r.stash.c_str(), r.path2.c_str()) != 0) {
        return Errno("link back", r.path2);
      }
      break;
    case kUnsyncedMkdir:
      fs::remove_all(r.path, ec);
      if (ec) return absl::InternalError(absl::StrCat("remove ", r.path, ": ", ec.message()));
      break;
    case kUnsyncedRmdir:
      if (fs::exists(Parent(r.path), ec) && ::mkdir(r.path.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno("mkdir", r.path);
      }
      break;
  }
  return absl::OkStatus();
}

absl::Status PutBytes(int fd, const char* data, uint64_t n, uint64_t off, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Errno("write", path);
    data += w, n -= w, off += w;
  }
  return absl::OkStatus();
}

// Undoes a data record, keeping its first `keep` bytes (a write only).
absl::Status UndoData(int fd, const Record& r, uint64_t keep, const std::string& path) {
  if (r.h.kind == kUnsyncedWrite) {
    if (keep < r.pre.size()) {
      if (auto s = PutBytes(fd, r.pre.data() + keep, r.pre.size() - keep, r.h.off + keep, path);
          !s.ok()) {
        return s;
      }
    }
    if (r.h.off + r.h.len > r.h.old_size &&
        ::ftruncate(fd, static_cast<off_t>(std::max(r.h.old_size, r.h.off + keep))) != 0) {
      return Errno("truncate", path);
    }
    return absl::OkStatus();
  }
  if (::ftruncate(fd, static_cast<off_t>(r.h.old_size)) != 0) return Errno("truncate", path);
  if (r.h.new_size < r.h.old_size) return PutBytes(fd, r.pre.data(), r.pre.size(), r.h.off, path);
  return absl::OkStatus();
}

}  // namespace

std::string RollbackResult::Summary() const {
  return absl::StrCat(writes_undone, " writes (", bytes_lost, " bytes) and ", names_undone,
                      " names undone", torn > 0 ? absl::StrCat(", ", torn, " torn") : "");
}

absl::StatusOr<RollbackResult> RollBackUnsynced(const UnsyncedFiles& files, bool torn,
                                                uint64_t seed) {
  auto records = ReadJournal(files.journal);
  if (!records.ok()) return records.status();
  RollbackResult result;
  result.records = records->size();

  // What the syncs made durable: records with seq below the highest mark of their file or
  // directory. Each file's data records since it was created, in order.
  std::map<uint64_t, uint64_t> file_mark;
  std::map<std::string, uint64_t> dir_mark;
  std::map<uint64_t, std::vector<const Record*>> data;
  std::vector<const Record*> names;
  for (const Record& r : *records) {
    switch (r.h.kind) {
      case kUnsyncedFileSync:
        file_mark[r.h.ino] = std::max(file_mark[r.h.ino], r.h.mark);
        break;
      case kUnsyncedDirSync:
        dir_mark[r.path] = std::max(dir_mark[r.path], r.h.mark);
        break;
      case kUnsyncedWrite:
      case kUnsyncedResize:
        data[r.h.ino].push_back(&r);
        break;
      case kUnsyncedCreate:
        // A new file under an inode number another file had: a history of its own.
        if (!(r.h.flags & kUnsyncedLink)) data.erase(r.h.ino);
        names.push_back(&r);
        break;
      default:
        names.push_back(&r);
    }
  }
  auto dir_kept = [&](const std::string& path, uint64_t seq) {
    auto it = dir_mark.find(Parent(path));
    return it != dir_mark.end() && seq < it->second;
  };

  // Names first, newest first: a path in a record is the one it had then.
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    const Record& r = **it;
    bool kept = dir_kept(r.path, r.h.seq);
    if (r.h.kind == kUnsyncedRename) kept = kept && dir_kept(r.path2, r.h.seq);
    if (kept) continue;
    if (auto s = UndoName(r); !s.ok()) return s;
    ++result.names_undone;
  }

  // Then the bytes of each file still there, found by inode.
  std::map<uint64_t, std::string> path_of;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(files.root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      path_of.emplace(st.st_ino, it->path().string());
    }
  }
  std::mt19937_64 rng(seed);
  for (const auto& [ino, list] : data) {
    auto where = path_of.find(ino);
    if (where == path_of.end()) continue;  // removed for good
    const uint64_t mark = file_mark.count(ino) ? file_mark[ino] : 0;
    std::vector<const Record*> unsynced;
    for (const Record* r : list) {
      if (r->h.seq >= mark) unsynced.push_back(r);
    }
    if (unsynced.empty()) continue;
    // Without tearing, all of them go; with it, those before `cut` stay and `cut` in part.
    size_t cut = 0;
    uint64_t keep = 0;
    if (torn) {
      cut = std::uniform_int_distribution<size_t>(0, unsynced.size() - 1)(rng);
      if (unsynced[cut]->h.kind == kUnsyncedWrite && unsynced[cut]->h.len > 0) {
        keep = std::uniform_int_distribution<uint64_t>(0, unsynced[cut]->h.len - 1)(rng);
        if (keep > 0) ++result.torn;
      }
    }
    const std::string& path = where->second;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path);
    absl::Status s;
    for (size_t i = unsynced.size(); s.ok() && i-- > cut;) {
      const Record& r = *unsynced[i];
      s = UndoData(fd, r, i == cut ? keep : 0, path);
      ++result.writes_undone;
      if (r.h.kind == kUnsyncedWrite) result.bytes_lost += r.h.len - (i == cut ? keep : 0);
    }
    ::close(fd);
    if (!s.ok()) return s;
  }

  fs::remove(files.journal, ec);
  fs::remove_all(files.stash, ec);
  return result;
}

std::vector<std::string> UnsyncedEnvironment(const std::string& shim, const UnsyncedFiles& files) {
  return {"LD_PRELOAD=" + shim, "WARREN_UNSYNCED_ROOT=" + files.root,
          "WARREN_UNSYNCED_JOURNAL=" + files.journal, "WARREN_UNSYNCED_STASH=" + files.stash};
}

absl::StatusOr<int> RunUnderShim(const std::string& shim, const std::string& program,
                                 const std::string& arg, const UnsyncedFiles& files) {
  std::vector<std::string> env = UnsyncedEnvironment(shim, files);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program_copy = program, arg_copy = arg;
  std::vector<char*> argv = {program_copy.data(), arg_copy.data(), nullptr};
  pid_t pid;
  if (int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), envp.data());
      rc != 0) {
    return absl::InternalError(absl::StrCat("cannot run ", program, ": ", std::strerror(rc)));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    return absl::InternalError(absl::StrCat("waitpid ", program, ": ", std::strerror(errno)));
  }
  return status;
}

}  // namespace warren::jepsen
