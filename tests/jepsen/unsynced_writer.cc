// Run under lose_unsynced.c by unsynced_rollback_test: writes, syncs and renames files under
// argv[1] in the ways Warren's stores do, each case in a directory of its own, then exits
// without syncing anything more. The test rolls back and checks what each case kept.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string root;

void Check(bool ok, const char* what) {
  if (!ok) {
    perror(what);
    exit(1);
  }
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  Check(fd >= 0 && ::fsync(fd) == 0, "sync dir");
  ::close(fd);
}

// A directory for one case, durably in the root.
std::string Case(const std::string& name) {
  const std::string dir = root + "/" + name;
  Check(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
  SyncDir(root);
  return dir;
}

// A file created, written, fdatasynced and its directory synced.
int Durable(const std::string& dir, const std::string& contents, int extra_flags = 0) {
  const std::string path = dir + "/f";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | extra_flags, 0644);
  Check(fd >= 0, "open");
  Check(::write(fd, contents.data(), contents.size()) == (ssize_t)contents.size(), "write");
  Check(::fdatasync(fd) == 0, "fdatasync");
  SyncDir(dir);
  return fd;
}

void Write(int fd, const std::string& s) {
  Check(::write(fd, s.data(), s.size()) == (ssize_t)s.size(), "write");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];

  int fd = Durable(Case("append"), "hello");
  Write(fd, " world");  // not synced: lost

  fd = Durable(Case("synced-twice"), "one");
  Write(fd, " two");
  Check(::fsync(fd) == 0, "fsync");  // kept
  iovec iov[2] = {{(void*)" three", 6}, {(void*)" four", 5}};
  Check(::writev(fd, iov, 2) == 11, "writev");  // lost

  fd = Durable(Case("overwrite"), "AAAA");
  Check(::pwrite(fd, "BB", 2, 1) == 2, "pwrite");  // lost: AAAA again

  fd = Durable(Case("shrunk"), "123456");
  Check(::ftruncate(fd, 2) == 0, "ftruncate");  // lost: 123456 again

  fd = Durable(Case("preallocated"), "");
  Check(::posix_fallocate(fd, 0, 64) == 0, "posix_fallocate");
  Check(::fdatasync(fd) == 0, "fdatasync");
  Check(::pwrite(fd, "abc", 3, 0) == 3, "pwrite");  // lost: 64 zeros

  // Write a whole file atomically, but forget the directory's sync: the old one stays.
  std::string dir = Case("atomic");
  ::close(Durable(dir, "old"));
  fd = ::open((dir + "/f.tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Write(fd, "new");
  Check(::fdatasync(fd) == 0, "fdatasync");
  Check(::rename((dir + "/f.tmp").c_str(), (dir + "/f").c_str()) == 0, "rename");

  // The same with the directory's sync: the new one stays.
  dir = Case("atomic-synced");
  ::close(Durable(dir, "old"));
  fd = ::open((dir + "/f.tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Write(fd, "new");
  Check(::fdatasync(fd) == 0, "fdatasync");
  Check(::rename((dir + "/f.tmp").c_str(), (dir + "/f").c_str()) == 0, "rename");
  SyncDir(dir);

  // A durable file unlinked without the directory's sync comes back.
  dir = Case("unlinked");
  ::close(Durable(dir, "still here"));
  Check(::unlink((dir + "/f").c_str()) == 0, "unlink");

  // Written with O_DSYNC: durable at once.
  fd = Durable(Case("dsync"), "a", O_DSYNC);
  Write(fd, "b");

  // A directory emptied without its own sync, then removed durably: its file goes with it.
  dir = Case("removed-dir");
  Check(::mkdir((dir + "/sub").c_str(), 0755) == 0, "mkdir");
  SyncDir(dir);
  ::close(Durable(dir + "/sub", "gone"));
  Check(::unlink((dir + "/sub/f").c_str()) == 0, "unlink");
  Check(::rmdir((dir + "/sub").c_str()) == 0, "rmdir");
  SyncDir(dir);

  // 10 bytes appended, not synced: lost, or torn.
  fd = Durable(Case("torn"), "");
  Write(fd, "0123456789");

  // A file synced in a directory never synced into its parent: neither stays.
  Check(::mkdir((root + "/newdir").c_str(), 0755) == 0, "mkdir");
  fd = ::open((root + "/newdir/f").c_str(), O_WRONLY | O_CREAT, 0644);
  Write(fd, "x");
  Check(::fsync(fd) == 0, "fsync");
  SyncDir(root + "/newdir");
  return 0;
}
