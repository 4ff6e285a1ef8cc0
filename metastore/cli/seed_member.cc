#include "metastore/cli/seed_member.h"

#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "metastore/data_layout.h"
#include "metastore/errors.h"
#include "raft/server/data_dir.h"

ABSL_FLAG(std::string, data_dir, "",
          "restore, import-zk: the new member's data directory (empty or new)");
ABSL_FLAG(uint64_t, id, 0, "restore, import-zk: the new member's id (> 0)");
ABSL_FLAG(std::string, address, "", "restore, import-zk: the new member's HOST:PORT");

namespace warren::metastore::cli {

namespace fs = std::filesystem;

std::optional<NewMember> NewMemberFromFlags() {
  NewMember m{absl::GetFlag(FLAGS_data_dir), absl::GetFlag(FLAGS_id), absl::GetFlag(FLAGS_address)};
  if (m.dir.empty() || m.id == 0 || m.address.find(':') == std::string::npos) return std::nullopt;
  return m;
}

absl::Status CheckNewDataDir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat("--data-dir ", dir, " is not empty: this makes a new member"));
  }
  return absl::OkStatus();
}

absl::StatusOr<raft::SnapshotInfo> SeedMember(
    const std::string& dir, uint64_t id, const std::string& address, raftpb::SnapshotHeader header,
    const std::function<absl::Status(SnapshotWriter&)>& write_data) {
  raftpb::ConfState* conf = header.mutable_metadata()->mutable_conf_state();
  conf->Clear();
  conf->add_voters(id);
  header.clear_members();
  raftpb::MemberAddress* me = header.add_members();
  me->set_id(id);
  me->set_address(address);

  const std::string raft_dir = RaftDir(dir);
  std::error_code ec;
  fs::create_directories(raft_dir, ec);
  if (ec) return MetaError(metastorepb::SYSTEM_ERROR, "create " + raft_dir + ": " + ec.message());
  if (auto s = raft::ClaimDataDir(raft_dir, kMetastoreGroup, id); !s.ok()) return s;
  auto store = raft::SnapshotStore::Open((fs::path(raft_dir) / "snapshots").string());
  if (!store.ok()) return store.status();
  return (*store)->Write(header, write_data);
}

std::string StartHint(const std::string& dir, uint64_t id, const std::string& address) {
  return absl::StrCat("start the new quorum's first member with\n  warrend --id=", id,
                      " --members=", id, "=", address, " --data-dir=", dir,
                      "\nthen add the others with warren member add\n");
}

}  // namespace warren::metastore::cli
