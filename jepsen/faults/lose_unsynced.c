/* lose_unsynced: an LD_PRELOAD library that lets a crash lose what a process wrote but did
 * not make durable, as Jepsen's lazyfs does, without FUSE. Loaded into a member with
 *   WARREN_UNSYNCED_ROOT=<data dir> WARREN_UNSYNCED_JOURNAL=<file> WARREN_UNSYNCED_STASH=<dir>
 * it journals every change under the root (writes with their pre-images, size changes, file
 * and directory syncs, creates, renames, unlinks, mkdir, rmdir) and keeps a hard link to each
 * file an unlink or a rename removes. After the process is killed, unsynced_rollback.cc undoes
 * whatever no fsync made durable. The format is in unsynced_journal.h; the model and its
 * limits in docs/fault-testing.md ("Losing unsynced writes").
 *
 * Every tracked operation holds one lock from the pre-image to the journal record, so the
 * journal's order is the order in which the file system saw them. Untracked files (sockets,
 * files outside the root) pass straight through. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "jepsen/faults/unsynced_journal.h"

#define REAL(name)                      \
  static __typeof__(&name) real_##name; \
  if (real_##name == NULL) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int journal_fd = -1;
static char root[PATH_MAX];
static size_t root_len;
static char stash[PATH_MAX];
static uint64_t next_seq = 1;

static void Init(void) {
  const char* r = getenv("WARREN_UNSYNCED_ROOT");
  const char* j = getenv("WARREN_UNSYNCED_JOURNAL");
  const char* s = getenv("WARREN_UNSYNCED_STASH");
  if (r == NULL || j == NULL || s == NULL) return;
  syscall(SYS_mkdir, r, 0755);
  syscall(SYS_mkdir, s, 0755);
  if (realpath(r, root) == NULL) return;
  root_len = strlen(root);
  snprintf(stash, sizeof(stash), "%s", s);
  journal_fd = (int)syscall(SYS_open, j, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  /* The journal continues across restarts: the sequence continues after its records. */
  struct stat st;
  if (journal_fd >= 0 && fstat(journal_fd, &st) == 0) next_seq = (uint64_t)st.st_size + 1;
}

static int Enabled(void) {
  pthread_once(&once, Init);
  return journal_fd >= 0;
}

static int UnderRoot(const char* path) {
  return strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == 0);
}

/* The path an fd names now, if it is under the root and not deleted. */
static int FdPath(int fd, char* out) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, PATH_MAX - 1);
  if (n <= 0) return 0;
  out[n] = 0;
  if (out[0] != '/' || !UnderRoot(out)) return 0;
  static const char kDeleted[] = " (deleted)";
  size_t len = (size_t)n;
  if (len > sizeof(kDeleted) - 1 && strcmp(out + len - (sizeof(kDeleted) - 1), kDeleted) == 0) {
    return 0;
  }
  return 1;
}

/* An absolute path for `path` relative to `dirfd`, its parent resolved (the file itself may
 * not exist yet). */
static int AbsPath(int dirfd, const char* path, char* out) {
  char joined[PATH_MAX];
  if (path[0] == '/') {
    snprintf(joined, sizeof(joined), "%s", path);
  } else {
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (getcwd(base, sizeof(base)) == NULL) return 0;
    } else {
      char link[64];
      snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
      ssize_t n = readlink(link, base, sizeof(base) - 1);
      if (n <= 0) return 0;
      base[n] = 0;
    }
    if (snprintf(joined, sizeof(joined), "%s/%s", base, path) >= (int)sizeof(joined)) return 0;
  }
  size_t len = strlen(joined);
  while (len > 1 && joined[len - 1] == '/') joined[--len] = 0;
  char* slash = strrchr(joined, '/');
  char parent[PATH_MAX];
  if (slash == joined) {
    snprintf(out, PATH_MAX, "%s", joined);
    return UnderRoot(out);
  }
  *slash = 0;
  if (realpath(joined, parent) == NULL) snprintf(parent, sizeof(parent), "%s", joined);
  if (snprintf(out, PATH_MAX, "%s/%s", parent, slash + 1) >= PATH_MAX) return 0;
  return UnderRoot(out);
}

/* Appends one record (the lock held). */
static void Append(struct UnsyncedRecord* r, const char* path, const char* path2,
                   const char* stash_path, const char* pre) {
  r->magic = kUnsyncedMagic;
  r->seq = next_seq++;
  r->path_len = path ? (uint32_t)strlen(path) : 0;
  r->path2_len = path2 ? (uint32_t)strlen(path2) : 0;
  r->stash_len = stash_path ? (uint32_t)strlen(stash_path) : 0;
  const uint64_t pre_bytes = (r->flags & kUnsyncedZeroPreImage) ? 0 : r->pre_len;
  const size_t total = sizeof(*r) + r->path_len + r->path2_len + r->stash_len + pre_bytes;
  char* buf = malloc(total);
  if (buf == NULL) abort();
  char* p = buf;
  memcpy(p, r, sizeof(*r)), p += sizeof(*r);
  if (r->path_len) memcpy(p, path, r->path_len), p += r->path_len;
  if (r->path2_len) memcpy(p, path2, r->path2_len), p += r->path2_len;
  if (r->stash_len) memcpy(p, stash_path, r->stash_len), p += r->stash_len;
  if (pre_bytes) memcpy(p, pre, pre_bytes);
  for (size_t done = 0; done < total;) {
    ssize_t n = syscall(SYS_write, journal_fd, buf + done, total - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abort(); /* a journal that lies would make the rollback wrong */
    done += (size_t)n;
  }
  free(buf);
}

/* The bytes [off, off+n) hold now, as far as the file reaches (the lock held). */
static char* PreImage(int fd, uint64_t off, uint64_t n, uint64_t size, uint64_t* len,
                      uint32_t* flags) {
  *len = off < size ? (size - off < n ? size - off : n) : 0;
  *flags = 0;
  if (*len == 0) return NULL;
  char* pre = malloc(*len);
  if (pre == NULL) abort();
  for (uint64_t done = 0; done < *len;) {
    ssize_t r = syscall(SYS_pread64, fd, pre + done, *len - done, (off_t)(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      memset(pre + done, 0, *len - done);
      break;
    }
    done += (uint64_t)r;
  }
  uint64_t i = 0;
  while (i < *len && pre[i] == 0) ++i;
  if (i == *len) *flags |= kUnsyncedZeroPreImage;
  return pre;
}

/* A tracked regular file: takes the lock and fills `st`; else returns 0 without it. */
static int BeginData(int fd, struct stat* st) {
  if (!Enabled()) return 0;
  char path[PATH_MAX];
  if (!FdPath(fd, path)) return 0;
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) return 0;
  pthread_mutex_lock(&mu);
  if (fstat(fd, st) != 0) { /* again, under the lock, for the size */
    pthread_mutex_unlock(&mu);
    return 0;
  }
  return 1;
}

static int SyncOnWrite(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & (O_SYNC | O_DSYNC)) != 0;
}

static void RecordFileSync(uint64_t ino) {
  struct UnsyncedRecord r = {0};
  r.kind = kUnsyncedFileSync;
  r.ino = ino;
  r.mark = next_seq;
  Append(&r, NULL, NULL, NULL, NULL);
}

/* Records a write of `written` bytes at `off` whose pre-image was taken (the lock held). */
static void RecordWrite(int fd, const struct stat* st, uint64_t off, ssize_t written, char* pre,
                        uint64_t pre_len, uint32_t flags) {
  if (written > 0) {
    struct UnsyncedRecord r = {0};
    r.kind = kUnsyncedWrite;
    r.ino = st->st_ino;
    r.off = off;
    r.len = (uint64_t)written;
    r.old_size = (uint64_t)st->st_size;
    r.pre_len = pre_len < (uint64_t)written ? pre_len : (uint64_t)written;
    r.flags = flags;
    Append(&r, NULL, NULL, NULL, pre);
    if (SyncOnWrite(fd)) RecordFileSync(st->st_ino);
  }
  free(pre);
}

static ssize_t TrackedWrite(int fd, int positional, uint64_t off, uint64_t n, ssize_t (*op)(void*),
                            void* arg) {
  struct stat st;
  if (!BeginData(fd, &st)) return op(arg);
  if (!positional) {
    int fl = fcntl(fd, F_GETFL);
    off = (fl >= 0 && (fl & O_APPEND)) ? (uint64_t)st.st_size : (uint64_t)lseek(fd, 0, SEEK_CUR);
  }
  uint64_t pre_len;
  uint32_t flags;
  char* pre = PreImage(fd, off, n, (uint64_t)st.st_size, &pre_len, &flags);
  ssize_t w = op(arg);
  int saved = errno;
  RecordWrite(fd, &st, off, w, pre, pre_len, flags);
  pthread_mutex_unlock(&mu);
  errno = saved;
  return w;
}

struct WriteArgs {
  int fd;
  const void* buf;
  const struct iovec* iov;
  int iovcnt;
  size_t n;
  off_t off;
  int flags;
  int which;
};

static ssize_t DoWrite(void* a) {
  struct WriteArgs* w = a;
  switch (w->which) {
    case 0: {
      REAL(write);
      return real_write(w->fd, w->buf, w->n);
    }
    case 1: {
      REAL(pwrite);
      return real_pwrite(w->fd, w->buf, w->n, w->off);
    }
    case 2: {
      REAL(writev);
      return real_writev(w->fd, w->iov, w->iovcnt);
    }
    case 3: {
      REAL(pwritev);
      return real_pwritev(w->fd, w->iov, w->iovcnt, w->off);
    }
    default: {
      REAL(pwritev2);
      return real_pwritev2(w->fd, w->iov, w->iovcnt, w->off, w->flags);
    }
  }
}

static uint64_t IovBytes(const struct iovec* iov, int n) {
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += iov[i].iov_len;
  return total;
}

ssize_t write(int fd, const void* buf, size_t n) {
  struct WriteArgs a = {fd, buf, NULL, 0, n, 0, 0, 0};
  return TrackedWrite(fd, 0, 0, n, DoWrite, &a);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  struct WriteArgs a = {fd, buf, NULL, 0, n, off, 0, 1};
  return TrackedWrite(fd, 1, (uint64_t)off, n, DoWrite, &a);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) { return pwrite(fd, buf, n, off); }

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  struct WriteArgs a = {fd, NULL, iov, iovcnt, 0, 0, 0, 2};
  return TrackedWrite(fd, 0, 0, IovBytes(iov, iovcnt), DoWrite, &a);
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t off) {
  struct WriteArgs a = {fd, NULL, iov, iovcnt, 0, off, 0, 3};
  return TrackedWrite(fd, 1, (uint64_t)off, IovBytes(iov, iovcnt), DoWrite, &a);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int iovcnt, off64_t off) {
  return pwritev(fd, iov, iovcnt, off);
}

ssize_t pwritev2(int fd, const struct iovec* iov, int iovcnt, off_t off, int flags) {
  struct WriteArgs a = {fd, NULL, iov, iovcnt, 0, off, flags, 4};
  if (off == -1) return TrackedWrite(fd, 0, 0, IovBytes(iov, iovcnt), DoWrite, &a);
  return TrackedWrite(fd, 1, (uint64_t)off, IovBytes(iov, iovcnt), DoWrite, &a);
}

ssize_t pwritev64v2(int fd, const struct iovec* iov, int iovcnt, off64_t off, int flags) {
  return pwritev2(fd, iov, iovcnt, off, flags);
}

/* A size change by ftruncate or fallocate (the lock held; `st` from before it). */
static void RecordResize(int fd, const struct stat* st, char* pre, uint64_t pre_len,
                         uint32_t flags) {
  struct stat after;
  if (fstat(fd, &after) == 0 && after.st_size != st->st_size) {
    struct UnsyncedRecord r = {0};
    r.kind = kUnsyncedResize;
    r.ino = st->st_ino;
    r.old_size = (uint64_t)st->st_size;
    r.new_size = (uint64_t)after.st_size;
    r.pre_len = r.new_size < r.old_size ? pre_len : 0;
    r.off = r.new_size;
    r.flags = flags;
    Append(&r, NULL, NULL, NULL, pre);
  }
  free(pre);
}

int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  struct stat st;
  if (!BeginData(fd, &st)) return real_ftruncate(fd, len);
  uint64_t pre_len = 0;
  uint32_t flags = 0;
  char* pre = NULL;
  if ((uint64_t)len < (uint64_t)st.st_size) {
    pre = PreImage(fd, (uint64_t)len, (uint64_t)st.st_size - (uint64_t)len, (uint64_t)st.st_size,
                   &pre_len, &flags);
  }
  int rc = real_ftruncate(fd, len);
  int saved = errno;
  RecordResize(fd, &st, pre, pre_len, flags);
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int ftruncate64(int fd, off64_t len) { return ftruncate(fd, len); }

int truncate(const char* path, off_t len) {
  REAL(truncate);
  REAL(open);
  char abs[PATH_MAX];
  if (!Enabled() || !AbsPath(AT_FDCWD, path, abs)) return real_truncate(path, len);
  int fd = real_open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = ftruncate(fd, len);
  int saved = errno;
  syscall(SYS_close, fd);
  errno = saved;
  return rc;
}

int truncate64(const char* path, off64_t len) { return truncate(path, len); }

int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate);
  struct stat st;
  if (!BeginData(fd, &st)) return real_fallocate(fd, mode, off, len);
  int rc;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE |
              FALLOC_FL_INSERT_RANGE)) {
    /* Changes bytes in place: journalled as a write of the whole range (collapse and insert
     * also move what follows; nothing under test uses them). */
    uint64_t pre_len;
    uint32_t flags;
    char* pre = PreImage(fd, (uint64_t)off, (uint64_t)len, (uint64_t)st.st_size, &pre_len, &flags);
    rc = real_fallocate(fd, mode, off, len);
    int saved = errno;
    RecordWrite(fd, &st, (uint64_t)off, rc == 0 ? (ssize_t)len : -1, pre, pre_len, flags);
    errno = saved;
  } else {
    rc = real_fallocate(fd, mode, off, len);
    int saved = errno;
    RecordResize(fd, &st, NULL, 0, 0);
    errno = saved;
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  return fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
  REAL(posix_fallocate);
  struct stat st;
  if (!BeginData(fd, &st)) return real_posix_fallocate(fd, off, len);
  int rc = real_posix_fallocate(fd, off, len);
  RecordResize(fd, &st, NULL, 0, 0);
  pthread_mutex_unlock(&mu);
  return rc;
}

int posix_fallocate64(int fd, off64_t off, off64_t len) { return posix_fallocate(fd, off, len); }

static int Sync(int fd, int (*real)(int)) {
  if (!Enabled()) return real(fd);
  char path[PATH_MAX];
  struct stat st;
  if (!FdPath(fd, path) || fstat(fd, &st) != 0) return real(fd);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return real(fd);
  pthread_mutex_lock(&mu);
  const uint64_t mark = next_seq; /* what was written before the sync began */
  pthread_mutex_unlock(&mu);
  int rc = real(fd);
  if (rc != 0) return rc;
  int saved = errno;
  pthread_mutex_lock(&mu);
  struct UnsyncedRecord r = {0};
  r.mark = mark;
  r.ino = st.st_ino;
  if (S_ISDIR(st.st_mode)) {
    r.kind = kUnsyncedDirSync;
    Append(&r, path, NULL, NULL, NULL);
  } else {
    r.kind = kUnsyncedFileSync;
    Append(&r, NULL, NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int fsync(int fd) {
  REAL(fsync);
  return Sync(fd, real_fsync);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  return Sync(fd, real_fdatasync);
}

/* open and its kin: a file created is a name record; O_TRUNC of a file with bytes in it is a
 * size change to zero, with the whole file as its pre-image. */
static int TrackedOpen(int dirfd, const char* path, int flags, mode_t mode,
                       int (*real)(int, const char*, int, mode_t)) {
  char abs[PATH_MAX];
  if (!Enabled() || (flags & (O_CREAT | O_TRUNC)) == 0 || (flags & O_TMPFILE) == O_TMPFILE ||
      !AbsPath(dirfd, path, abs)) {
    return real(dirfd, path, flags, mode);
  }
  pthread_mutex_lock(&mu);
  struct stat before;
  const int existed = lstat(abs, &before) == 0;
  char* pre = NULL;
  uint64_t pre_len = 0;
  uint32_t pre_flags = 0;
  if (existed && (flags & O_TRUNC) && S_ISREG(before.st_mode) && before.st_size > 0) {
    int rfd = (int)syscall(SYS_open, abs, O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      pre = PreImage(rfd, 0, (uint64_t)before.st_size, (uint64_t)before.st_size, &pre_len,
                     &pre_flags);
      syscall(SYS_close, rfd);
    }
  }
  int fd = real(dirfd, path, flags, mode);
  int saved = errno;
  struct stat after;
  if (fd >= 0 && fstat(fd, &after) == 0 && S_ISREG(after.st_mode)) {
    struct UnsyncedRecord r = {0};
    r.ino = after.st_ino;
    if (!existed) {
      r.kind = kUnsyncedCreate;
      Append(&r, abs, NULL, NULL, NULL);
    } else if (pre != NULL && after.st_size == 0) {
      r.kind = kUnsyncedResize;
      r.old_size = (uint64_t)before.st_size;
      r.new_size = 0;
      r.pre_len = pre_len;
      r.flags = pre_flags;
      Append(&r, NULL, NULL, NULL, pre);
    }
  }
  free(pre);
  pthread_mutex_unlock(&mu);
  errno = saved;
  return fd;
}

static int RealOpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  REAL(openat);
  return real_openat(dirfd, path, flags, mode);
}

static int RealOpen(int dirfd, const char* path, int flags, mode_t mode) {
  REAL(open);
  (void)dirfd;
  return real_open(path, flags, mode);
}

#define MODE_ARG(flags)                  \
  mode_t mode = 0;                       \
  if ((flags) & (O_CREAT | O_TMPFILE)) { \
    va_list ap;                          \
    va_start(ap, flags);                 \
    mode = (mode_t)va_arg(ap, int);      \
    va_end(ap);                          \
  }

int open(const char* path, int flags, ...) {
  MODE_ARG(flags);
  return TrackedOpen(AT_FDCWD, path, flags, mode, RealOpen);
}

int open64(const char* path, int flags, ...) {
  MODE_ARG(flags);
  return TrackedOpen(AT_FDCWD, path, flags, mode, RealOpen);
}

int openat(int dirfd, const char* path, int flags, ...) {
  MODE_ARG(flags);
  return TrackedOpen(dirfd, path, flags, mode, RealOpenAt);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  MODE_ARG(flags);
  return TrackedOpen(dirfd, path, flags, mode, RealOpenAt);
}

/* What _FORTIFY_SOURCE builds call when the flags are not constant (never with O_CREAT). */
int __open_2(const char* path, int flags) {
  return TrackedOpen(AT_FDCWD, path, flags, 0, RealOpen);
}
int __open64_2(const char* path, int flags) {
  return TrackedOpen(AT_FDCWD, path, flags, 0, RealOpen);
}
int __openat_2(int dirfd, const char* path, int flags) {
  return TrackedOpen(dirfd, path, flags, 0, RealOpenAt);
}
int __openat64_2(int dirfd, const char* path, int flags) {
  return TrackedOpen(dirfd, path, flags, 0, RealOpenAt);
}

int creat(const char* path, mode_t mode) {
  return TrackedOpen(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, RealOpen);
}

int creat64(const char* path, mode_t mode) { return creat(path, mode); }

/* A hard link to `abs` in the stash, named by the record's sequence (the lock held). */
static int StashLink(const char* abs, char* out) {
  if (snprintf(out, PATH_MAX, "%s/%llu", stash, (unsigned long long)next_seq) >= PATH_MAX) return 0;
  return syscall(SYS_link, abs, out) == 0;
}

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned int flags) {
  REAL(renameat2);
  char from[PATH_MAX], to[PATH_MAX];
  if (!Enabled() || (flags & RENAME_EXCHANGE) || !AbsPath(olddirfd, oldpath, from) ||
      !AbsPath(newdirfd, newpath, to)) {
    return real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
  }
  pthread_mutex_lock(&mu);
  char kept[PATH_MAX];
  struct stat st;
  int stashed = lstat(to, &st) == 0 && S_ISREG(st.st_mode) && StashLink(to, kept);
  int rc = real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
  int saved = errno;
  if (rc == 0) {
    struct UnsyncedRecord r = {0};
    r.kind = kUnsyncedRename;
    Append(&r, from, to, stashed ? kept : NULL, NULL);
  } else if (stashed) {
    syscall(SYS_unlink, kept);
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) {
  return renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

int rename(const char* oldpath, const char* newpath) {
  return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

int unlinkat(int dirfd, const char* path, int flags) {
  REAL(unlinkat);
  char abs[PATH_MAX];
  if (!Enabled() || !AbsPath(dirfd, path, abs)) return real_unlinkat(dirfd, path, flags);
  pthread_mutex_lock(&mu);
  struct stat st;
  const int is_file = !(flags & AT_REMOVEDIR) && lstat(abs, &st) == 0 && S_ISREG(st.st_mode);
  char kept[PATH_MAX];
  const int stashed = is_file && StashLink(abs, kept);
  int rc = real_unlinkat(dirfd, path, flags);
  int saved = errno;
  if (rc == 0 && (stashed || (flags & AT_REMOVEDIR))) {
    struct UnsyncedRecord r = {0};
    r.kind = (flags & AT_REMOVEDIR) ? kUnsyncedRmdir : kUnsyncedUnlink;
    r.ino = stashed ? st.st_ino : 0;
    Append(&r, abs, NULL, stashed ? kept : NULL, NULL);
  } else if (rc != 0 && stashed) {
    syscall(SYS_unlink, kept);
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int unlink(const char* path) { return unlinkat(AT_FDCWD, path, 0); }

int rmdir(const char* path) { return unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

/* libstdc++'s filesystem::remove calls remove(), whose own unlink and rmdir are internal. */
int remove(const char* path) {
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) return rmdir(path);
  return unlink(path);
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  REAL(mkdirat);
  char abs[PATH_MAX];
  if (!Enabled() || !AbsPath(dirfd, path, abs)) return real_mkdirat(dirfd, path, mode);
  pthread_mutex_lock(&mu);
  int rc = real_mkdirat(dirfd, path, mode);
  int saved = errno;
  if (rc == 0) {
    struct UnsyncedRecord r = {0};
    r.kind = kUnsyncedMkdir;
    Append(&r, abs, NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int mkdir(const char* path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
  REAL(linkat);
  char abs[PATH_MAX];
  if (!Enabled() || !AbsPath(newdirfd, newpath, abs)) {
    return real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
  }
  pthread_mutex_lock(&mu);
  int rc = real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
  int saved = errno;
  struct stat st;
  if (rc == 0 && lstat(abs, &st) == 0) {
    struct UnsyncedRecord r = {0};
    r.kind = kUnsyncedCreate;
    r.ino = st.st_ino;
    r.flags = kUnsyncedLink;
    Append(&r, abs, NULL, NULL, NULL);
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return rc;
}

int link(const char* oldpath, const char* newpath) {
  return linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}
