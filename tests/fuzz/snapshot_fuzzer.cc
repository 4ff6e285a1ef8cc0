// libFuzzer target for installing a snapshot: the input's bytes become a snapshot file, which
// SnapshotStore::Verify checks and, if it passes, the metastore's tree restores from
// (SnapshotStore::OpenData, then ZNodeTree::RestoreSnapshot, which unpacks the checkpoint
// archive and opens the RocksDB database in it), as a member does with a snapshot a leader sent
// and `warren restore` with a backup. Input: records (records.h), by ctl & 3:
//   0  the body is appended to the file as it is (if any record is, the file is only those);
//   1  the header: the body's first 16 bytes are the snapshot's index and term; the harness
//      frames the file (magic, header, checksum) around the archive the other records make;
//   2  a file of the archive: a name length byte, the name, then the file's bytes;
//   3  bytes appended to the archive as they are.
// Aborts if anything crashes, or if a tree restored without error breaks its invariants, is
// not at the snapshot's index, or cannot apply and persist the next entry.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"
#include "raft/server/snapshot_store.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/temp_dir.h"
#include "tests/metastore/tree_invariants.h"

namespace warren::fuzz {
namespace {

constexpr size_t kMaxInputBytes = 1 << 18;
constexpr size_t kMaxRecords = 64;
constexpr char kMagic[] = "WRNSNAP1";  // snapshot_store.cc

// SNAPSHOT_FUZZ_TRACE=1: how far an input got, on stderr.
const bool kTrace = getenv("SNAPSHOT_FUZZ_TRACE") != nullptr;

[[noreturn]] void Violation(const std::string& what) {
  warren::fuzz::Violation("snapshot_fuzzer", what);
}

std::string BuildFile(const std::vector<Record>& records) {
  std::string raw, archive;
  bool any_raw = false;
  raftpb::SnapshotHeader header;
  for (const Record& r : records) {
    FieldReader in(r.body);
    switch (r.ctl & 3) {
      case 0:
        any_raw = true;
        raw += r.body;
        break;
      case 1:
        header.mutable_metadata()->set_index(in.U64());
        header.mutable_metadata()->set_term(in.U64());
        header.mutable_metadata()->mutable_conf_state()->add_voters(1);
        break;
      case 2: {
        const uint8_t name_length = in.U8();
        std::string rest = in.Rest();
        const std::string name = rest.substr(0, name_length);
        const std::string bytes = rest.substr(name.size());
        PutFixed32(&archive, name.size());
        archive += name;
        PutFixed64(&archive, bytes.size());
        archive += bytes;
        break;
      }
      default:
        archive += r.body;
        break;
    }
  }
  if (any_raw) return raw;
  PutFixed32(&archive, 0);  // the archive's end
  std::string file(kMagic, 8);
  const std::string header_bytes = header.SerializeAsString();
  PutFixed32(&file, header_bytes.size());
  file += header_bytes;
  file += archive;
  PutFixed32(&file, Crc32c(file));
  return file;
}

void Run(const std::vector<Record>& records) {
  TempDir dir;
  const std::string path = (dir.path() / "incoming.snap").string();
  const std::string file = BuildFile(records);
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr || fwrite(file.data(), 1, file.size(), f) != file.size()) {
    Violation("cannot write the snapshot file");
  }
  fclose(f);
  auto info = raft::SnapshotStore::Verify(path);
  if (kTrace) fprintf(stderr, "verify: %s\n", info.status().ToString().c_str());
  if (!info.ok()) return;
  auto reader = raft::SnapshotStore::OpenData(*info);
  if (!reader.ok())
    Violation(absl::StrCat("a verified snapshot cannot be read: ", reader.status().ToString()));
  TempTree member;
  metastore::ZNodeTree& tree = member.tree();
  const absl::Status restored = tree.RestoreSnapshot(info->index(), **reader);
  if (kTrace) fprintf(stderr, "restore: %s\n", restored.ToString().c_str());
  if (!restored.ok()) return;
  if (tree.LastApplied() != info->index()) Violation("restored, but not at the snapshot's index");
  if (auto s = metastore::CheckTreeInvariants(tree); !s.ok()) Violation(s.ToString());
  if (!tree.LoadRuntimeRecords().ok()) Violation("a restored tree has no runtime records");
  // A member goes on from the snapshot: the next entry applies and persists.
  metastorepb::Command next;
  next.mutable_multi()->add_ops()->mutable_create()->set_path("/after-the-snapshot");
  if (!tree.Apply(info->index() + 1, next.SerializeAsString()).ok() ||
      !tree.Persist(info->index() + 1, {}).ok()) {
    Violation("a restored tree cannot go on applying");
  }
}

}  // namespace
}  // namespace warren::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::fuzz;
  if (size > kMaxInputBytes) return 0;
  Run(ParseRecords(data, size, kMaxRecords));
  return 0;
}
