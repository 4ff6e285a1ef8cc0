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
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(back[i].SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST(TreeStorage, MalformedEventsAreRefused) {
  std::string good;
  AppendEvents({Event(metastorepb::NODE_CREATED, "/abc", 1)}, good);
  std::vector<metastorepb::WatchEvent> out;
  EXPECT_FALSE(DecodeEvents(good.substr(0, good.size() - 1), out)) << "a path cut short";
  EXPECT_FALSE(DecodeEvents(good.substr(0, 1), out)) << "no type";
  EXPECT_FALSE(DecodeEvents(good.substr(0, 2), out)) << "no length";
  EXPECT_FALSE(DecodeEvents(std::string("\x01\x63\x01/", 4), out)) << "an unknown type";
  EXPECT_FALSE(DecodeEvents(std::string("\x01\x01\xff\xff\xff\xff\x01", 7), out))
      << "a length past the end";
  EXPECT_FALSE(DecodeEvents(std::string(11, '\xff'), out)) << "a zxid that never ends";
  out.clear();
  EXPECT_TRUE(DecodeEvents("", out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace warren::metastore
