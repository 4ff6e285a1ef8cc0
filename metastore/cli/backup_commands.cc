// Backups of a metastore quorum, and a new quorum seeded from one (docs/operations.md,
// "Backup and restore"). A backup file is a Warren snapshot file as a member keeps it: the
// tree's RocksDB checkpoint, the membership and the exactly-once table, checksummed end to
// end, so that it is verified the same way before it is used.
#include "metastore/cli/backup_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_connect.h"
#include "metastore/cli/output.h"
#include "metastore/cli/seed_member.h"
#include "metastore/errors.h"
#include "proto/metastore.grpc.pb.h"
#include "raft/server/snapshot_store.h"

namespace warren::metastore::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxChunkBytes = 4 << 20;

absl::Status Errno(const std::string& what, const std::string& path) {
  return MetaError(metastorepb::SYSTEM_ERROR, absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

// Streams the Backup call of the member at `address` into `fd`.
absl::Status Download(const std::string& address, const MetastoreClient& client, int fd,
                      absl::Duration timeout) {
  auto stub = metastorepb::Metastore::NewStub(MemberChannel(address, kMaxChunkBytes, client.tls()));
  grpc::ClientContext ctx;
  client.Authenticate(&ctx);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto reader = stub->Backup(&ctx, metastorepb::BackupRequest());
  metastorepb::BackupChunk chunk;
  while (reader->Read(&chunk)) {
    const std::string& data = chunk.data();
    for (size_t done = 0; done < data.size();) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("write", "the backup");
      done += static_cast<size_t>(n);
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) {
    return MetaError(metastorepb::SYSTEM_ERROR,
                     absl::StrCat("backup from ", address, ": ", s.error_message()));
  }
  return absl::OkStatus();
}

std::string MembersText(const raftpb::SnapshotHeader& h) {
  std::string out;
  for (const auto& m : h.members())
    absl::StrAppend(&out, out.empty() ? "" : ",", m.id(), "=", m.address());
  return out;
}

}  // namespace

int Backup(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("backup FILE");
  const std::string file = args[0];
  auto leader = client.LeaderStatus();
  if (!leader.ok()) return Fail(leader.status());
  std::string address;
  for (const auto& m : leader->raft().members()) {
    if (m.id() == leader->raft().id()) address = m.address();
  }
  if (address.empty()) {
    return Fail(MetaError(metastorepb::SYSTEM_ERROR, "the leader does not list its own address"));
  }
  // Written aside and renamed once whole and verified: FILE is a good backup or absent.
  const std::string partial = file + ".partial";
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Fail(Errno("create", partial));
  absl::Status s = Download(address, client, fd, absl::Minutes(30));
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", partial);
  ::close(fd);
  absl::StatusOr<raft::SnapshotInfo> info =
      s.ok() ? raft::SnapshotStore::Verify(partial) : absl::StatusOr<raft::SnapshotInfo>(s);
  if (!info.ok()) {
    ::unlink(partial.c_str());
    return Fail(info.status());
  }
  if (::rename(partial.c_str(), file.c_str()) != 0) return Fail(Errno("rename to", file));
  const uint64_t bytes = fs::file_size(file);
  if (Json()) {
    std::cout << "{\"file\":" << JsonString(file) << ",\"index\":" << info->index()
              << ",\"term\":" << info->header.metadata().term() << ",\"bytes\":" << bytes
              << ",\"members\":" << JsonString(MembersText(info->header)) << "}\n";
  } else {
    std::cout << "backup at index " << info->index() << " (term " << info->header.metadata().term()
              << ", members " << MembersText(info->header) << ") from member "
              << leader->raft().id() << " written to " << file << " (" << bytes << " bytes)\n";
  }
  return 0;
}

int Restore(const Args& args) {
  const auto member = NewMemberFromFlags();
  if (args.size() != 1 || !member) {
    return Usage("restore FILE --data-dir=DIR --id=N --address=HOST:PORT");
  }
  const auto& [dir, id, address] = *member;
  if (auto s = CheckNewDataDir(dir); !s.ok()) return Usage(std::string(s.message()));
  auto backup = raft::SnapshotStore::Verify(args[0]);
  if (!backup.ok()) return Fail(backup.status());
  auto written = SeedMember(dir, id, address, backup->header, [&](SnapshotWriter& w) {
    auto reader = raft::SnapshotStore::OpenData(*backup);
    if (!reader.ok()) return reader.status();
    std::string buf(1 << 20, '\0');
    while (true) {
      auto n = (*reader)->Read(buf.data(), buf.size());
      if (!n.ok()) return n.status();
      if (*n == 0) return absl::OkStatus();
      if (auto s = w.Write(std::string_view(buf.data(), *n)); !s.ok()) return s;
    }
  });
  if (!written.ok()) return Fail(written.status());
  if (Json()) {
    std::cout << "{\"data_dir\":" << JsonString(dir) << ",\"index\":" << written->index()
              << ",\"id\":" << id << ",\"address\":" << JsonString(address) << "}\n";
  } else {
    std::cout << "restored the backup at index " << written->index() << " into " << dir << "; "
              << StartHint(dir, id, address);
  }
  return 0;
}

}  // namespace warren::metastore::cli
