// The snapshot fuzzer's seeds: a real tree's checkpoint archive (a few nodes and a session),
// an empty archive, archives cut short or naming bad files, and files with a bad magic,
// header or checksum.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "metastore/ops.h"
#include "proto/metastore.pb.h"
#include "raft/server/snapshot_store.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/seeds.h"
#include "tests/fuzz/temp_dir.h"

namespace warren::fuzz {
namespace {

class StringWriter : public SnapshotWriter {
 public:
  absl::Status Write(std::string_view bytes) override {
    out += bytes;
    return absl::OkStatus();
  }
  std::string out;
};

// The archive of a small tree applied up to index 3.
std::string TreeArchive() {
  TempTree t;
  metastorepb::Command session;
  session.mutable_create_session()->set_timeout_ms(5000);
  metastorepb::Command nodes;
  *nodes.mutable_multi()->add_ops() = metastore::CreateOp("/a", "data");
  *nodes.mutable_multi()->add_ops() = metastore::CreateOp("/a/b");
  metastorepb::Command ephemeral;
  ephemeral.set_session_id(1);
  *ephemeral.mutable_multi()->add_ops() = metastore::CreateOp("/e");
  ephemeral.mutable_multi()->mutable_ops(0)->mutable_create()->set_ephemeral(true);
  uint64_t index = 0;
  for (const auto& cmd : {session, nodes, ephemeral}) {
    if (!t.tree().Apply(++index, cmd.SerializeAsString()).ok()) abort();
  }
  StringWriter w;
  if (!t.tree().Persist(index, {{"dedup", "x"}}).ok() || !t.tree().TakeSnapshot()(w).ok()) {
    fprintf(stderr, "cannot take the seed snapshot\n");
    abort();
  }
  return w.out;
}

// A whole snapshot file as the store writes it, of an empty archive.
std::string SnapshotFile() {
  TempDir dir;
  auto store = raft::SnapshotStore::Open(dir.path().string());
  raftpb::SnapshotHeader header;
  header.mutable_metadata()->set_index(1);
  header.mutable_metadata()->set_term(1);
  header.mutable_metadata()->mutable_conf_state()->add_voters(1);
  auto info =
      store.ok()
          ? (*store)->Write(header, [](SnapshotWriter& w) { return w.Write(std::string(4, '\0')); })
          : store.status();
  if (!info.ok()) abort();
  std::ifstream in(info->path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Record Header(uint64_t index, uint64_t term) {
  return {1, FieldWriter().U64(index).U64(term).str()};
}
Record ArchiveFile(const std::string& name, const std::string& bytes) {
  return {2, FieldWriter().U8(name.size()).Bytes(name).Bytes(bytes).str()};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  const std::string archive = TreeArchive();
  return {
      Seed("tree", {Header(3, 1), {3, archive}}),
      Seed("tree-wrong-index", {Header(7, 1), {3, archive}}),
      Seed("tree-cut-short", {Header(3, 1), {3, archive.substr(0, archive.size() / 2)}}),
      Seed("empty-archive", {Header(1, 1)}),
      Seed("not-a-database", {Header(2, 1), ArchiveFile("CURRENT", "MANIFEST-000001\n"),
                              ArchiveFile("MANIFEST-000001", "garbage")}),
      Seed("bad-names", {Header(2, 1), ArchiveFile("..", "x"), ArchiveFile("a/b", "y")}),
      Seed("raw-valid", {{0, SnapshotFile()}}),
      Seed("raw-bad-magic", {{0, "WRNSNAP0" + SnapshotFile().substr(8)}}),
      Seed("raw-bad-checksum",
           {{0, std::string("WRNSNAP1\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 20)}}),
      Seed("raw-short", {{0, "WRNSNAP1"}}),
  };
}

}  // namespace warren::fuzz
