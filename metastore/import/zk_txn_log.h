#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/import/zk_records.h"

namespace warren::metastore::import {

// A ZooKeeper transaction log file (FileTxnLog): a header (magic ZKLG, version 2, dbid),
// then records of an Adler-32 (8 bytes), the length, the transaction's bytes and 'B'; the
// file is preallocated with zeros, so a zero length ends it.
struct ZkTxnLog {
  int64_t dbid = 0;
  std::vector<ZkLoggedTxn> txns;
  // Where a torn last record began (a crash in mid-write: a record cut short or without its
  // 'B'); ZooKeeper stops reading the file there, and so do we.
  std::optional<size_t> torn_at;
};

// DataLoss for a file that is not a log, or a whole record whose checksum does not match
// (named by its offset); InvalidArgument for a transaction of a type ZooKeeper 3.8 does not
// write.
absl::StatusOr<ZkTxnLog> ParseTxnLog(std::string_view bytes);

inline constexpr int32_t kTxnLogMagic = 0x5a4b4c47;  // "ZKLG"

}  // namespace warren::metastore::import
