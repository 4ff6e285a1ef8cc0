#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "examples/bookkeeper-ledgers/ledger_layout.h"
#include "metastore/client/metastore_client.h"
#include "proto/ledger_metadata.pb.h"

namespace warren::bookkeeper {

struct LedgerConfig {
  int ensemble_size = 3;
  int write_quorum_size = 2;
  int ack_quorum_size = 2;
  std::map<std::string, std::string> custom;
};

struct Ledger {
  int64_t id = 0;
  bookkeeperpb::LedgerMetadata metadata;
  int32_t version = 0;  // of its node: the compare-and-set token for updates
};

// BookKeeper's metadata on a Warren quorum, in ZooKeeper's layout:
//   <root>/LAYOUT, <root>/INSTANCEID           the cluster's layout and identity
//   <root>/available/<bookie>                  writable bookies (ephemeral)
//   <root>/available/readonly/<bookie>         read-only bookies (ephemeral)
//   <root>/cookies/<bookie>                    which cluster a bookie's disks belong to
//   <root>/L0000000001 or <root>/00/0000/L0001 ledger metadata (see ledger_layout.h)
//   <root>/idgen/ID-...                        hierarchical layout's id generator
// Updates compare and set on the ledger node's version, as BookKeeper's close and ensemble
// change do, so that of two writers racing from one version exactly one wins.
class LedgerStore {
 public:
  // Creates the layout (once; again with the same layout is fine, with another it is an error).
  static absl::Status Init(metastore::MetastoreClient& client, const std::string& root,
                           Layout layout);
  // Reads the layout Init wrote.
  static absl::StatusOr<std::unique_ptr<LedgerStore>> Open(metastore::MetastoreClient& client,
                                                           const std::string& root);

  Layout layout() const { return layout_; }
  const std::string& instance_id() const { return instance_id_; }

  // A bookie's side; needs a session, which the registration lives as long as. The cookie is
  // written the first time; a cookie of another instance is refused.
  absl::Status RegisterBookie(const std::string& bookie, const std::string& address, bool readonly);
  absl::StatusOr<std::vector<std::string>> ListBookies(bool readonly);

  // A client's side. A new ledger is OPEN, on `ensemble_size` writable bookies.
  absl::StatusOr<Ledger> CreateLedger(const LedgerConfig& config);
  absl::StatusOr<Ledger> Read(int64_t id);
  // Writes `metadata` if the ledger is still at `version`; returns the new version.
  // BadVersion if someone else changed it first.
  absl::StatusOr<int32_t> Update(int64_t id, const bookkeeperpb::LedgerMetadata& metadata,
                                 int32_t version);
  // Closes an OPEN ledger at `last_entry_id` (with `length` bytes), if still at `version`.
  absl::StatusOr<int32_t> Close(int64_t id, int64_t last_entry_id, int64_t length, int32_t version);
  absl::Status Delete(int64_t id, int32_t version = -1);
  // The ids in [from, to], ascending. The hierarchical layout is walked only where ids in
  // the range can be.
  absl::StatusOr<std::vector<int64_t>> List(int64_t from, int64_t to);

 private:
  LedgerStore(metastore::MetastoreClient& client, std::string root, Layout layout,
              std::string instance_id);
  absl::StatusOr<int64_t> NewLedgerNode(const std::string& data);
  absl::Status ListUnder(const std::string& path, int depth, int64_t base, int64_t from, int64_t to,
                         std::vector<int64_t>* out);

  metastore::MetastoreClient& client_;
  const std::string root_;
  const Layout layout_;
  const std::string instance_id_;
};

// The node's bytes: a format line, then the metadata as protobuf text.
std::string EncodeMetadata(const bookkeeperpb::LedgerMetadata& metadata);
absl::StatusOr<bookkeeperpb::LedgerMetadata> DecodeMetadata(const std::string& data);

}  // namespace warren::bookkeeper
