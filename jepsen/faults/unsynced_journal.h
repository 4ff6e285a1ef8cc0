/* The journal that lose_unsynced.c (loaded into a member) appends to, and that the rollback
 * (unsynced_rollback.cc, run after the member is killed) reads: what the member wrote under
 * its data directory, and which of it an fsync made durable. C, for the shim. */
#ifndef WARREN_JEPSEN_FAULTS_UNSYNCED_JOURNAL_H_
#define WARREN_JEPSEN_FAULTS_UNSYNCED_JOURNAL_H_

#include <stdint.h>

/* Record kinds. Data records name a file by inode; name records by absolute path. */
enum {
  kUnsyncedWrite = 1,    /* ino: bytes [off, off+len) written; pre-image of the part < old_size */
  kUnsyncedResize = 2,   /* ino: size old_size -> new_size; pre-image of [new_size, old_size) */
  kUnsyncedFileSync = 3, /* ino: every data record of it with seq < mark is durable */
  kUnsyncedCreate = 4,   /* path: a new file (ino) */
  kUnsyncedUnlink = 5,   /* path: removed; stash: a hard link to it kept for the rollback */
  kUnsyncedRename = 6,   /* path -> path2; stash: the file path2 named before, if any */
  kUnsyncedMkdir = 7,    /* path: a new directory */
  kUnsyncedRmdir = 8,    /* path: an empty directory removed */
  kUnsyncedDirSync = 9, /* path (a directory): every name record in it with seq < mark is durable */
};

/* The pre-image is all zeros and not stored (preallocated log segments). */
#define kUnsyncedZeroPreImage 1u
/* A create that is a new name for an existing file (link), not a new file. */
#define kUnsyncedLink 2u

/* One record: this header, then path, path2, stash (each path_len etc. bytes, no NUL), then
 * pre_len bytes of pre-image unless flags has kUnsyncedZeroPreImage. */
struct UnsyncedRecord {
  uint32_t magic; /* kUnsyncedMagic: a record cut short is seen as the end */
  uint32_t kind;
  uint64_t seq; /* order of the operations, as the shim saw them */
  uint64_t ino;
  uint64_t off;
  uint64_t len;
  uint64_t old_size;
  uint64_t new_size;
  uint64_t mark;
  uint64_t pre_len;
  uint32_t flags;
  uint32_t path_len;
  uint32_t path2_len;
  uint32_t stash_len;
};

#define kUnsyncedMagic 0x57554a31u /* "WUJ1" */

#endif /* WARREN_JEPSEN_FAULTS_UNSYNCED_JOURNAL_H_ */
