#include "metastore/cli/output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace warren::metastore::cli {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("\\u%04x", c);
    }
  }
  return out + "\"";
}

std::string StatJson(const metastorepb::Stat& s) {
  return absl::StrFormat(
      "{\"czxid\":%d,\"mzxid\":%d,\"pzxid\":%d,\"ctime\":%d,\"mtime\":%d,\"version\":%d,"
      "\"cversion\":%d,\"aversion\":%d,\"ephemeralOwner\":%d,\"dataLength\":%d,"
      "\"numChildren\":%d}",
      s.czxid(), s.mzxid(), s.pzxid(), s.ctime(), s.mtime(), s.version(), s.cversion(),
      s.aversion(), s.ephemeral_owner(), s.data_length(), s.num_children());
}

std::string StatText(const metastorepb::Stat& s) {
  auto time = [](int64_t ms) {
    return absl::StrCat(
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone()),
        " (", ms, ")");
  };
  return absl::StrCat("czxid = ", s.czxid(), "\nmzxid = ", s.mzxid(), "\npzxid = ", s.pzxid(),
                      "\nctime = ", time(s.ctime()), "\nmtime = ", time(s.mtime()),
                      "\nversion = ", s.version(), "\ncversion = ", s.cversion(),
                      "\naversion = ", s.aversion(), "\nephemeralOwner = 0x",
                      absl::Hex(s.ephemeral_owner()), "\ndataLength = ", s.data_length(),
                      "\nnumChildren = ", s.num_children(), "\n");
}

const char* EventName(metastorepb::EventType type) {
  switch (type) {
    case metastorepb::NODE_CREATED:
      return "NodeCreated";
    case metastorepb::NODE_DELETED:
      return "NodeDeleted";
    case metastorepb::NODE_DATA_CHANGED:
      return "NodeDataChanged";
    case metastorepb::NODE_CHILDREN_CHANGED:
      return "NodeChildrenChanged";
    case metastorepb::HISTORY_GAP:
      return "HistoryGap";
    default:
      return "None";
  }
}

}  // namespace warren::metastore::cli
