#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "proto/metastore.pb.h"
#include "statemachine/state_machine.h"

namespace warren::metastore {

// How the znode tree lays itself out in RocksDB. Keys start with one tag byte:
//   'n' parent-path NUL name -> StoredNode   (the root is "n" NUL)
//   's' session id (8 bytes, big-endian)     -> StoredSession
//   'a'                                      -> the applied index (8 bytes, little-endian)
//   'e' zxid (8 bytes, big-endian)           -> the watch events fired by the commands persisted
//                                               together, the last at that zxid (AppendEvents)
//   'h'                                      -> the zxid after which every event is kept
//                                               under 'e' (8 bytes, little-endian)
//   'r' key                                  -> a runtime record (StateMachine::Persist)
// Paths never hold NUL, so the children of P are exactly the keys starting "n" P NUL.
std::string NodeKey(std::string_view path);
std::string ChildrenPrefix(std::string_view path);
// The path a node key stands for; nullopt if `key` is not a node key.
std::optional<std::string> PathOfNodeKey(std::string_view key);
std::string SessionKey(uint64_t id);
std::string EventKey(uint64_t zxid);
// The zxid an event key stands for; nullopt if `key` is not one.
std::optional<uint64_t> ZxidOfEventKey(std::string_view key);
// Watch events as stored: each as its zxid (a varint), its type (one byte) and its path (a
// varint length, then the bytes), so that a batch of writes costs one small record more.
void AppendEvents(const std::vector<metastorepb::WatchEvent>& events, std::string& out);
// Appends the events `value` holds to `out`; false if it is malformed.
bool DecodeEvents(std::string_view value, std::vector<metastorepb::WatchEvent>& out);
// How many events `value` holds, checked as DecodeEvents checks them, without making them;
// nullopt if it is malformed.
std::optional<size_t> CountEvents(std::string_view value);
inline constexpr char kAppliedKey[] = "a";
inline constexpr char kHistoryKey[] = "h";
inline constexpr char kEventTag = 'e';
inline constexpr char kNodeTag = 'n';
inline constexpr char kSessionTag = 's';
inline constexpr char kRuntimeTag = 'r';

// A directory (a RocksDB checkpoint) as one byte stream: for each regular file its name and
// size, then its bytes; an empty name ends it. The snapshot store checksums the whole.
absl::Status ArchiveDir(const std::string& dir, SnapshotWriter& writer);
// Unpacks an ArchiveDir stream into `dir` (which must not exist) and fsyncs it.
absl::Status UnarchiveDir(SnapshotReader& reader, const std::string& dir);

}  // namespace warren::metastore
