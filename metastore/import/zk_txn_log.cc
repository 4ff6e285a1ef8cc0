#include "metastore/import/zk_txn_log.h"

#include "absl/strings/str_cat.h"
#include "metastore/import/adler32.h"

namespace warren::metastore::import {

absl::StatusOr<ZkTxnLog> ParseTxnLog(std::string_view bytes) {
  zookeeper::JuteReader r(bytes);
  ZkTxnLog log;
  const int32_t magic = r.Int();
  const int32_t version = r.Int();
  log.dbid = r.Long();
  if (!r.ok()) {
    // ZooKeeper made the file but died before its header was written: nothing in it.
    if (bytes.find_first_not_of('\0') == std::string_view::npos) return log;
    return absl::DataLossError("not a ZooKeeper transaction log (cut short in the header)");
  }
  if (magic != kTxnLogMagic) {
    return absl::DataLossError("not a ZooKeeper transaction log (no ZKLG header)");
  }
  if (version != 2) {
    return absl::DataLossError(absl::StrCat("transaction log format version ", version, ", not 2"));
  }
  // Each record: crc (8), length (4), the bytes, 'B'. A zero length is the preallocated
  // zeros; a record cut short or without its 'B' was torn by a crash (Util.readTxnBytes).
  for (size_t at = bytes.size() - r.remaining(); at < bytes.size();) {
    zookeeper::JuteReader rec(bytes.substr(at));
    const int64_t crc = rec.Long();
    zookeeper::JuteReader peek = rec;
    const int32_t len = peek.Int();
    if (peek.ok() && len == 0) break;
    if (peek.ok() && len < -1) {
      return absl::DataLossError(absl::StrCat("the record at offset ", at, " has length ", len));
    }
    const std::string body = rec.Buffer();
    const size_t end = bytes.size() - rec.remaining();  // where 'B' should be
    if (!rec.ok() || len <= 0 || end >= bytes.size() || bytes[end] != 'B') {
      if (bytes.find_first_not_of('\0', at) != std::string_view::npos) log.torn_at = at;
      break;
    }
    if (static_cast<uint64_t>(crc) != Adler32(body)) {
      return absl::DataLossError(
          absl::StrCat("the record at offset ", at, " does not match its checksum"));
    }
    auto txn = DecodeTxn(body);
    if (!txn.ok()) {
      return absl::Status(txn.status().code(),
                          absl::StrCat("the record at offset ", at, ": ", txn.status().message()));
    }
    log.txns.push_back(std::move(*txn));
    at = end + 1;
  }
  return log;
}

}  // namespace warren::metastore::import
