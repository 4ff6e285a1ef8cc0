#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace warren::metastore {

// ZooKeeper's quotas, as its clients (zkCli's setquota, listquota, delquota) keep them: a
// subtree /a/b has a quota when /zookeeper/quota/a/b/zookeeper_limits exists; its usage is
// kept in /zookeeper/quota/a/b/zookeeper_stats, which the tree rewrites as it applies every
// create, delete and setData under /a/b (the node itself counts). Only the deepest quota above
// a node counts it, as in ZooKeeper.
inline constexpr std::string_view kQuotaNode = "/zookeeper/quota";
inline constexpr std::string_view kQuotaLimitsName = "zookeeper_limits";
inline constexpr std::string_view kQuotaStatsName = "zookeeper_stats";

// What a client may write below /zookeeper: only what lies strictly below /zookeeper/quota.
bool IsQuotaPath(std::string_view path);

// The subtree a limits node ("/zookeeper/quota/a/b/zookeeper_limits" -> "/a/b") or a stats
// node governs; nullopt for any other path, and for the root's, on which ZooKeeper keeps no
// quota either.
std::optional<std::string_view> QuotaSubjectOfLimits(std::string_view path);
std::optional<std::string_view> QuotaSubjectOfStats(std::string_view path);
std::string QuotaLimitsPath(std::string_view subject);
std::string QuotaStatsPath(std::string_view subject);

// The text of a limits or stats node, as ZooKeeper's StatsTrack reads and writes it:
// "count=3,bytes=120", with the hard limits after "=;" ("count=-1,bytes=-1=;byteHardLimit=-1;
// countHardLimit=10"). A field that is absent, empty or not a number reads as -1: no limit.
class QuotaFields {
 public:
  static QuotaFields Parse(std::string_view text);

  int64_t count() const { return Get("count"); }
  int64_t bytes() const { return Get("bytes"); }
  int64_t count_hard_limit() const { return Get("countHardLimit"); }
  int64_t byte_hard_limit() const { return Get("byteHardLimit"); }
  void set_count(int64_t v) { values_["count"] = v; }
  void set_bytes(int64_t v) { values_["bytes"] = v; }

  // count and bytes first, then the other fields in name order, as ZooKeeper writes them.
  std::string Format() const;

 private:
  int64_t Get(std::string_view key) const;
  std::map<std::string, int64_t, std::less<>> values_;
};

}  // namespace warren::metastore
