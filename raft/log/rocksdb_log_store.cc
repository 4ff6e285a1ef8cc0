#include "raft/log/rocksdb_log_store.h"

#include "absl/strings/str_cat.h"
#include "raft/log/file_util.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace warren::raft {
namespace {

constexpr char kFirstIndexKey[] = "m/first";
constexpr char kHardStateKey[] = "m/hardstate";

std::string EntryKey(uint64_t index) {
  std::string key = "e/";
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(index >> shift));
  return key;
}

uint64_t IndexOfKey(const rocksdb::Slice& key) {
  uint64_t index = 0;
  for (size_t i = 2; i < 10; ++i) index = (index << 8) | static_cast<uint8_t>(key[i]);
  return index;
}

absl::Status ToStatus(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(std::string(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

rocksdb::WriteOptions NoSync() {
  rocksdb::WriteOptions w;
  w.sync = false;
  return w;
}

}  // namespace

RocksDbLogStore::RocksDbLogStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
RocksDbLogStore::~RocksDbLogStore() = default;

absl::StatusOr<std::unique_ptr<RocksDbLogStore>> RocksDbLogStore::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A damaged WAL record is an error, not where replay quietly stops: the default
  // kPointInTimeRecovery would drop every synced write after it. Only an incomplete record at
  // the end of the WAL (a write a crash interrupted) is tolerated; paranoid_checks turns any
  // corruption RocksDB finds while opening into an error (DataLoss here).
  options.paranoid_checks = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  rocksdb::DB* raw = nullptr;
  if (auto s = ToStatus(rocksdb::DB::Open(options, dir, &raw), "open RocksDB log " + dir);
      !s.ok()) {
    return s;
  }
  std::unique_ptr<RocksDbLogStore> store(new RocksDbLogStore(std::unique_ptr<rocksdb::DB>(raw)));
  if (auto s = store->Load(); !s.ok()) return s;
  return store;
}

absl::Status RocksDbLogStore::Load() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), kFirstIndexKey, &value);
  if (s.ok() && value.size() == 8) {
    first_ = GetFixed64(value.data());
  } else if (!s.IsNotFound()) {
    return absl::DataLossError("RocksDB log: first-index key is unreadable");
  }
  s = db_->Get(rocksdb::ReadOptions(), kHardStateKey, &value);
  if (s.ok()) {
    if (!hard_state_.ParseFromString(value)) {
      return absl::DataLossError("RocksDB log: hard state is corrupt; refusing to start");
    }
  } else if (!s.IsNotFound()) {
    return ToStatus(s, "RocksDB log: read hard state");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(EntryKey(~0ull));
  last_ = first_ - 1;
  if (it->Valid() && it->key().starts_with("e/") && it->key().size() == 10) {
    last_ = std::max(last_, IndexOfKey(it->key()));
  }
  return ToStatus(it->status(), "RocksDB log: scan");
}

absl::Status RocksDbLogStore::Append(std::span<const raftpb::Entry> entries) {
  if (auto s = ValidateAppend(entries, first_, last_); !s.ok()) return s;
  if (entries.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  uint64_t start = entries.front().index();
  if (start <= last_) batch.DeleteRange(EntryKey(start), EntryKey(last_ + 1));
  for (const auto& e : entries) batch.Put(EntryKey(e.index()), e.SerializeAsString());
  if (auto s = ToStatus(db_->Write(NoSync(), &batch), "RocksDB log: append"); !s.ok()) return s;
  last_ = entries.back().index();
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::TruncateSuffix(uint64_t index) {
  index = std::max(index, first_);
  if (index > last_) return absl::OkStatus();
  auto s =
      db_->DeleteRange(NoSync(), db_->DefaultColumnFamily(), EntryKey(index), EntryKey(last_ + 1));
  if (auto st = ToStatus(s, "RocksDB log: truncate"); !st.ok()) return st;
  last_ = index - 1;
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::PurgePrefix(uint64_t index) {
  if (index < first_) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  batch.DeleteRange(EntryKey(first_), EntryKey(std::min(index, last_) + 1));
  std::string first;
  PutFixed64(&first, index + 1);
  batch.Put(kFirstIndexKey, first);
  if (auto s = ToStatus(db_->Write(NoSync(), &batch), "RocksDB log: purge"); !s.ok()) return s;
  first_ = index + 1;
  last_ = std::max(last_, index);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<raftpb::Entry>> RocksDbLogStore::Read(uint64_t lo, uint64_t hi) const {
  if (auto s = ValidateRange(lo, hi, first_, last_); !s.ok()) return s;
  std::vector<raftpb::Entry> out;
  if (lo == hi) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(EntryKey(lo)); it->Valid() && out.size() < hi - lo; it->Next()) {
    raftpb::Entry e;
    uint64_t want = lo + out.size();
    if (IndexOfKey(it->key()) != want ||
        !e.ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError(
          absl::StrCat("RocksDB log: entry ", want, " is missing or corrupt"));
    }
    out.push_back(std::move(e));
  }
  if (auto s = ToStatus(it->status(), "RocksDB log: read"); !s.ok()) return s;
  if (out.size() != hi - lo) {
    return absl::DataLossError(absl::StrCat("RocksDB log: entry ", lo + out.size(), " is missing"));
  }
  return out;
}

absl::StatusOr<uint64_t> RocksDbLogStore::Term(uint64_t index) const {
  auto entries = Read(index, index + 1);
  if (!entries.ok()) return entries.status();
  return entries->front().term();
}

absl::Status RocksDbLogStore::SetHardState(const raftpb::HardState& hs) {
  auto s = db_->Put(NoSync(), kHardStateKey, hs.SerializeAsString());
  if (auto st = ToStatus(s, "RocksDB log: hard state"); !st.ok()) return st;
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::Sync() {
  if (UnsafeNoFsync()) return absl::OkStatus();
  return ToStatus(db_->SyncWAL(), "RocksDB log: sync");
}

}  // namespace warren::raft
