#include "metastore/cli/import_command.h"

#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "metastore/cli/output.h"
#include "metastore/cli/seed_member.h"
#include "metastore/errors.h"
#include "metastore/import/warren_tree.h"
#include "metastore/import/zk_data_dir.h"
#include "metastore/znode_tree.h"

ABSL_FLAG(std::string, zk_log_dir, "",
          "import-zk: ZooKeeper's dataLogDir, if not its dataDir (empty: the same)");

namespace warren::metastore::cli {
namespace {

namespace fs = std::filesystem;

std::string Hex(int64_t zxid) { return absl::StrCat("0x", absl::Hex(zxid)); }

// The Warren tree of `zk`, written aside in `scratch`, checked by loading it as warrend
// would, and archived as the new member's snapshot at `index`.
absl::StatusOr<import::WarrenTreeCounts> Seed(const import::ZkDataDir& zk, uint64_t index,
                                              const std::string& dir, uint64_t id,
                                              const std::string& address) {
  const std::string scratch = (fs::path(dir) / "import-tree").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MetaError(metastorepb::SYSTEM_ERROR, "create " + dir + ": " + ec.message());
  auto counts = import::WriteWarrenTree(*zk.tree, index, scratch);
  if (!counts.ok()) return counts.status();
  TreeOptions options;
  options.dir = scratch;
  auto tree = ZNodeTree::Open(options, nullptr);
  if (!tree.ok()) return tree.status();
  if ((*tree)->LastApplied() != index) {
    return MetaError(metastorepb::SYSTEM_ERROR, "the written tree does not load as written");
  }
  raftpb::SnapshotHeader header;
  header.mutable_metadata()->set_index(index);
  header.mutable_metadata()->set_term(1);
  auto written = SeedMember(dir, id, address, header, (*tree)->TakeSnapshot());
  tree->reset();
  fs::remove_all(scratch, ec);
  if (!written.ok()) return written.status();
  return counts;
}

void Print(const import::ZkDataDir& zk, const import::WarrenTreeCounts& c, const std::string& dir,
           uint64_t id, const std::string& address) {
  if (Json()) {
    std::vector<std::string> logs;
    for (const auto& l : zk.logs) logs.push_back(JsonString(l));
    std::cout << "{\"data_dir\":" << JsonString(dir) << ",\"index\":" << zk.last_zxid
              << ",\"zxid\":" << JsonString(Hex(zk.last_zxid)) << ",\"znodes\":" << c.nodes
              << ",\"ephemerals\":" << c.ephemerals << ",\"containers\":" << c.containers
              << ",\"ttl_nodes\":" << c.ttl_nodes << ",\"sessions\":" << c.sessions
              << ",\"snapshot\":" << JsonString(zk.snapshot) << ",\"logs\":["
              << absl::StrJoin(logs, ",") << "],\"txns\":" << zk.txns
              << ",\"skipped_txns\":" << zk.tree->skipped()
              << ",\"torn\":" << JsonString(zk.torn.value_or(""))
              << ",\"dead_sessions\":" << zk.dead_sessions << ",\"id\":" << id
              << ",\"address\":" << JsonString(address) << "}\n";
    return;
  }
  std::cout << "imported ZooKeeper's tree at zxid " << Hex(zk.last_zxid) << ": " << c.nodes
            << " znodes (" << c.ephemerals << " ephemeral, " << c.containers << " containers, "
            << c.ttl_nodes << " TTL), " << c.sessions << " sessions\n"
            << "  snapshot " << zk.snapshot << " (zxid " << Hex(zk.snapshot_zxid) << ")\n";
  for (const auto& bad : zk.bad_snapshots) std::cout << "  passed over " << bad << "\n";
  std::cout << "  " << zk.txns << " transactions after it from "
            << (zk.logs.empty() ? "no log" : absl::StrJoin(zk.logs, ", ")) << "\n";
  if (zk.tree->skipped() > 0) {
    std::cout << "  " << zk.tree->skipped()
              << " of them already in the (fuzzy) snapshot, skipped as ZooKeeper skips them\n";
  }
  if (zk.torn.has_value()) std::cout << "  a torn last record ends " << *zk.torn << "\n";
  if (zk.dead_sessions > 0) {
    std::cout << "  the ephemerals of " << zk.dead_sessions
              << " sessions no longer live were deleted, as ZooKeeper deletes them on starting\n";
  }
  std::cout << "into " << dir << " at index " << zk.last_zxid << "; "
            << StartHint(dir, id, address);
}

}  // namespace

int ImportZk(const Args& args) {
  const auto member = NewMemberFromFlags();
  if (args.size() != 1 || !member) {
    return Usage("import-zk ZK_DATA_DIR --data-dir=DIR --id=N --address=HOST:PORT");
  }
  const auto& [dir, id, address] = *member;
  if (auto s = CheckNewDataDir(dir); !s.ok()) return Usage(std::string(s.message()));
  // Everything is read and checked before anything is written.
  auto zk = import::LoadZkDataDir(args[0], absl::GetFlag(FLAGS_zk_log_dir));
  if (!zk.ok()) return Fail(zk.status());
  if (zk->last_zxid <= 0) {
    return Fail(MetaError(metastorepb::BAD_ARGUMENTS,
                          absl::StrCat(zk->snapshot, ": ZooKeeper never wrote anything")));
  }

  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  auto counts = Seed(*zk, static_cast<uint64_t>(zk->last_zxid), dir, id, address);
  if (!counts.ok()) {
    // No half-made member is left behind.
    if (existed) {
      for (const auto& f : fs::directory_iterator(dir, ec)) fs::remove_all(f.path(), ec);
    } else {
      fs::remove_all(dir, ec);
    }
    return Fail(counts.status());
  }
  Print(*zk, *counts, dir, id, address);
  return 0;
}

}  // namespace warren::metastore::cli
