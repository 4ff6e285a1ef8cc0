#include "metastore/tree_storage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warren::metastore {
namespace {

metastorepb::WatchEvent Event(metastorepb::EventType type, std::string path, uint64_t zxid) {
  metastorepb::WatchEvent e;
  e.set_type(type);
  e.set_path(std::move(path));
  e.set_zxid(zxid);
  return e;
}

TEST(TreeStorage, EventKeysSortByZxidAndReadBack) {
  EXPECT_LT(EventKey(255), EventKey(256));
  EXPECT_LT(EventKey(1), EventKey(uint64_t{1} << 40));
  EXPECT_EQ(ZxidOfEventKey(EventKey(0x100000005)), 0x100000005u);
  EXPECT_FALSE(ZxidOfEventKey(NodeKey("/a")).has_value());
  EXPECT_FALSE(ZxidOfEventKey("e123").has_value());
}

TEST(TreeStorage, EventsRoundTripWithLongAndBinaryPathsAndLargeZxids) {
  const std::string long_path = "/" + std::string(300, 'x');  // a two-byte length
  std::vector<metastorepb::WatchEvent> events = {
      Event(metastorepb::NODE_CREATED, "/a/b", 7),
      Event(metastorepb::NODE_CHILDREN_CHANGED, "/a", 7),
      Event(metastorepb::NODE_DATA_CHANGED, long_path, 8),
      Event(metastorepb::NODE_DELETED, std::string("/\xff\x01", 3), 0x100000005)};
  std::string stored;
  AppendEvents({events[0], events[1]}, stored);
  AppendEvents({events[2], events[3]}, stored);
  std::vector<metastorepb::WatchEvent> back;
  ASSERT_TRUE(DecodeEvents(stored, back));
  ASSERT_EQ(back.size(), events.size());
  EXPECT_EQ(CountEvents(stored), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(back[i].SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST(TreeStorage, MalformedEventsAreRefused) {
  std::string good;
  AppendEvents({Event(metastorepb::NODE_CREATED, "/abc", 1)}, good);
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {good.substr(0, good.size() - 1), "a path cut short"},
      {good.substr(0, 1), "no type"},
      {good.substr(0, 2), "no length"},
      {std::string("\x01\x63\x01/", 4), "an unknown type"},
      {std::string("\x01\x01\xff\xff\xff\xff\x01", 7), "a length past the end"},
      {std::string(11, '\xff'), "a zxid that never ends"},
  };
  for (const auto& [bytes, what] : malformed) {
    std::vector<metastorepb::WatchEvent> out;
    EXPECT_FALSE(DecodeEvents(bytes, out)) << what;
    EXPECT_EQ(CountEvents(bytes), std::nullopt) << what;
  }
  std::vector<metastorepb::WatchEvent> out;
  EXPECT_TRUE(DecodeEvents("", out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(CountEvents(""), 0u);
}

}  // namespace
}  // namespace warren::metastore
