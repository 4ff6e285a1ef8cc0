// The jute codec (JuteWriter, JuteReader) and the records of protocol.h, against bytes written
// out by hand from zookeeper.jute and Java's DataOutput (big-endian, lengths before bytes).
#include "metastore/zookeeper/jute.h"

#include <climits>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/zookeeper/protocol.h"

namespace warren::zookeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Bytes from a list of values 0..255. (A JuteReader keeps a view: name the string first.)
std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// ---------------------------------------------------------------------------------------
// The layout

TEST(JuteLayout, IntIsFourBytesBigEndian) {
  JuteWriter w;
  w.Int(0x01020304);
  w.Int(-2);
  w.Int(INT32_MIN);
  EXPECT_EQ(w.bytes(), Bytes({0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 0}));
}

TEST(JuteLayout, LongIsEightBytesBigEndian) {
  JuteWriter w;
  w.Long(0x0102030405060708);
  w.Long(-1);
  EXPECT_EQ(w.bytes(),
            Bytes({1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(JuteLayout, BoolIsOneByte) {
  JuteWriter w;
  w.Bool(true);
  w.Bool(false);
  EXPECT_EQ(w.bytes(), Bytes({1, 0}));
}

TEST(JuteLayout, BufferIsItsLengthThenItsBytes) {
  JuteWriter w;
  w.Buffer(std::string("a\0b", 3));
  w.String("");
  w.NullBuffer();
  EXPECT_EQ(w.bytes(), Bytes({0, 0, 0, 3, 'a', 0, 'b', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));
}

TEST(JuteLayout, VectorIsItsCountThenItsElements) {
  JuteWriter w;
  w.Strings({"a", "bc"});
  w.Strings({});
  EXPECT_EQ(w.bytes(), Bytes({0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 2, 'b', 'c', 0, 0, 0, 0}));
}

TEST(JuteLayout, ReaderReadsHandWrittenBytes) {
  const std::string r_bytes = Bytes(
      {0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x02, 0, 0, 0, 2, 'h', 'i'});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Int(), INT32_MIN);
  EXPECT_EQ(r.Long(), -2);
  EXPECT_TRUE(r.Bool());  // any byte but 0 is true, as DataInput.readBoolean
  EXPECT_EQ(r.Buffer(), "hi");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

// ---------------------------------------------------------------------------------------
// Round trips

TEST(JuteRoundTrip, EveryType) {
  const std::vector<int32_t> ints = {0, 1, -1, 255, 256, INT32_MAX, INT32_MIN};
  const std::vector<int64_t> longs = {0, 1, -1, int64_t{1} << 32, INT64_MAX, INT64_MIN};
  const std::string binary("\0\x01\xff\x80 zk", 7);
  const std::string big(70000, 'x');
  const std::vector<std::string> strings = {"", "/a/b", binary};

  JuteWriter w;
  for (int32_t v : ints) w.Int(v);
  for (int64_t v : longs) w.Long(v);
  w.Bool(true);
  w.Bool(false);
  w.Buffer(binary);
  w.Buffer(big);
  w.String("/zookeeper");
  w.Strings(strings);

  JuteReader r(w.bytes());
  for (int32_t v : ints) EXPECT_EQ(r.Int(), v);
  for (int64_t v : longs) EXPECT_EQ(r.Long(), v);
  EXPECT_TRUE(r.Bool());
  EXPECT_FALSE(r.Bool());
  EXPECT_EQ(r.Buffer(), binary);
  EXPECT_EQ(r.Buffer(), big);
  EXPECT_EQ(r.String(), "/zookeeper");
  EXPECT_EQ(r.Strings(), strings);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(JuteRoundTrip, TakeEmptiesTheWriter) {
  JuteWriter w;
  w.Int(7);
  EXPECT_EQ(w.Take(), Bytes({0, 0, 0, 7}));
  w.Int(8);
  EXPECT_EQ(w.bytes(), Bytes({0, 0, 0, 8}));
}

// ---------------------------------------------------------------------------------------
// Nulls

TEST(JuteNull, NullBufferReadsAsEmpty) {
  JuteWriter w;
  w.NullBuffer();
  w.Int(5);
  JuteReader r(w.bytes());
  EXPECT_EQ(r.Buffer(), "");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.Int(), 5);  // nothing after the -1 was taken
  EXPECT_TRUE(r.done());
}

TEST(JuteNull, NullVectorReadsAsEmpty) {
  const std::string r_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  JuteReader r(r_bytes);
  EXPECT_THAT(r.Strings(), IsEmpty());
  EXPECT_EQ(r.Count(), 0);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

// ---------------------------------------------------------------------------------------
// Input that fails the reader, which then stays failed

// After a failure every read gives its zero value, whatever bytes are left.
void ExpectFailedForGood(JuteReader& r) {
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Int(), 0);
  EXPECT_EQ(r.Long(), 0);
  EXPECT_FALSE(r.Bool());
  EXPECT_EQ(r.Buffer(), "");
  EXPECT_THAT(r.Strings(), IsEmpty());
  EXPECT_EQ(r.Count(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(JuteFailure, TruncatedInt) {
  const std::string r_bytes = Bytes({0, 0, 1});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Int(), 0);
  ExpectFailedForGood(r);
}

TEST(JuteFailure, TruncatedLong) {
  const std::string r_bytes = Bytes({1, 2, 3, 4, 5, 6, 7});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Long(), 0);
  ExpectFailedForGood(r);
}

TEST(JuteFailure, BoolPastTheEnd) {
  JuteReader r("");
  EXPECT_FALSE(r.Bool());
  ExpectFailedForGood(r);
}

TEST(JuteFailure, BufferLongerThanTheBytesLeft) {
  const std::string r_bytes = Bytes({0, 0, 0, 5, 'a', 'b', 'c'});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Buffer(), "");
  ExpectFailedForGood(r);
}

TEST(JuteFailure, NegativeBufferLengthOtherThanMinusOne) {
  for (int32_t len : {-2, -100, INT32_MIN}) {
    JuteWriter w;
    w.Int(len);
    w.Int(42);
    w.Int(42);
    JuteReader r(w.bytes());
    EXPECT_EQ(r.Buffer(), "") << len;
    EXPECT_EQ(r.Int(), 0) << len << ": the 42 after the length must not be read";
    ExpectFailedForGood(r);
  }
}

TEST(JuteFailure, NegativeCountOtherThanMinusOne) {
  for (int32_t n : {-2, INT32_MIN}) {
    JuteWriter w;
    w.Int(n);
    w.Int(42);
    JuteReader r(w.bytes());
    EXPECT_EQ(r.Count(), 0) << n;
    ExpectFailedForGood(r);
    JuteReader s(w.bytes());
    EXPECT_THAT(s.Strings(), IsEmpty()) << n;
    EXPECT_FALSE(s.ok());
  }
}

TEST(JuteFailure, CountLargerThanTheBytesLeft) {
  // Three elements announced, two bytes follow: no element takes less than a byte.
  const std::string r_bytes = Bytes({0, 0, 0, 3, 0, 0});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Count(), 0);
  ExpectFailedForGood(r);
  // A count of a billion must fail before anything is reserved for it.
  const std::string huge_bytes = Bytes({0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0});
  JuteReader huge(huge_bytes);
  EXPECT_THAT(huge.Strings(), IsEmpty());
  EXPECT_FALSE(huge.ok());
}

TEST(JuteFailure, CountEqualToTheBytesLeftIsAccepted) {
  const std::string r_bytes = Bytes({0, 0, 0, 2, 'x', 'y'});
  JuteReader r(r_bytes);
  EXPECT_EQ(r.Count(), 2);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 2u);
}

TEST(JuteFailure, TruncatedElementFailsAndDropsTheVector) {
  JuteWriter w;
  w.Int(2);
  w.String("abc");
  w.Int(10);  // the second string says 10 bytes; 1 follows
  std::string bytes = w.Take() + "z";
  JuteReader r(bytes);
  EXPECT_THAT(r.Strings(), IsEmpty());
  ExpectFailedForGood(r);
}

TEST(JuteFailure, FailMarksTheReaderFailed) {
  const std::string r_bytes = Bytes({0, 0, 0, 1});
  JuteReader r(r_bytes);
  r.Fail();
  EXPECT_EQ(r.Int(), 0);
  ExpectFailedForGood(r);
}

// ---------------------------------------------------------------------------------------
// Strings with a maximum

TEST(JuteStrings, AtMostMaxElements) {
  JuteWriter w;
  w.Strings({"a", "b"});
  const std::string two = w.Take();
  {
    JuteReader r(two);
    EXPECT_THAT(r.Strings(2), ElementsAre("a", "b"));
    EXPECT_TRUE(r.ok());
  }
  {
    JuteReader r(two);
    EXPECT_THAT(r.Strings(1), IsEmpty());
    EXPECT_FALSE(r.ok());
  }
  {
    JuteReader r(two);
    EXPECT_EQ(r.Count(1), 0);
    EXPECT_FALSE(r.ok());
  }
}

TEST(JuteStrings, EmptyAndNullElements) {
  JuteWriter w;
  w.Int(2);
  w.String("");
  w.NullBuffer();
  JuteReader r(w.bytes());
  EXPECT_THAT(r.Strings(), ElementsAre("", ""));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

// ---------------------------------------------------------------------------------------
// The records of protocol.h

TEST(ProtocolRecords, ConnectRequestWithAndWithoutTheReadOnlyFlag) {
  JuteWriter w;
  w.Int(0);
  w.Long(0x11);
  w.Int(30000);
  w.Long(0x22);
  w.Buffer(std::string(16, 'p'));
  const std::string old_client = w.bytes();
  w.Bool(true);
  {
    JuteReader r(w.bytes());
    ConnectRequest c;
    ASSERT_TRUE(Read(r, &c));
    EXPECT_EQ(c.last_zxid_seen, 0x11);
    EXPECT_EQ(c.timeout_ms, 30000);
    EXPECT_EQ(c.session_id, 0x22);
    EXPECT_EQ(c.password, std::string(16, 'p'));
    EXPECT_TRUE(c.has_read_only);
    EXPECT_TRUE(c.read_only);
  }
  {
    JuteReader r(old_client);
    ConnectRequest c;
    ASSERT_TRUE(Read(r, &c));
    EXPECT_FALSE(c.has_read_only);
  }
  {
    const std::string cut = old_client.substr(0, old_client.size() - 1);
    JuteReader r(cut);
    ConnectRequest c;
    EXPECT_FALSE(Read(r, &c));
  }
}

TEST(ProtocolRecords, ConnectResponseLayout) {
  ConnectResponse c;
  c.timeout_ms = 4000;
  c.session_id = 0x0102;
  c.password = "pw";
  c.read_only = true;
  JuteWriter w;
  Write(w, c);
  EXPECT_EQ(w.bytes(),
            Bytes({0, 0, 0, 0, 0, 0, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 2, 'p', 'w', 1}));
}

TEST(ProtocolRecords, ReplyHeaderLayout) {
  JuteWriter w;
  WriteReplyHeader(w, 7, 0x0a, err::kNoNode);
  EXPECT_EQ(w.bytes(), Bytes({0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xff, 0xff, 0xff, 0x9b}));
}

TEST(ProtocolRecords, StatIsInJuteOrder) {
  metastorepb::Stat s;
  s.set_czxid(1);
  s.set_mzxid(2);
  s.set_ctime(3);
  s.set_mtime(4);
  s.set_version(5);
  s.set_cversion(6);
  s.set_aversion(7);
  s.set_ephemeral_owner(8);
  s.set_data_length(9);
  s.set_num_children(10);
  s.set_pzxid(11);
  JuteWriter w;
  WriteStat(w, s);
  JuteWriter want;
  for (int64_t v : {1, 2, 3, 4}) want.Long(v);
  for (int32_t v : {5, 6, 7}) want.Int(v);
  want.Long(8);
  for (int32_t v : {9, 10}) want.Int(v);
  want.Long(11);
  EXPECT_EQ(w.bytes(), want.bytes());
  EXPECT_EQ(w.bytes().size(), 68u);
}

TEST(ProtocolRecords, AclsRoundTripAndAreBounded) {
  google::protobuf::RepeatedPtrField<metastorepb::Acl> acls;
  for (auto [perms, scheme, id] :
       {std::tuple(31, "world", "anyone"), std::tuple(1, "ip", "10.0.0.0/8")}) {
    metastorepb::Acl* a = acls.Add();
    a->set_perms(perms);
    a->mutable_id()->set_scheme(scheme);
    a->mutable_id()->set_id(id);
  }
  JuteWriter w;
  WriteAcls(w, acls);
  JuteWriter want;  // vector<ACL>: a count, then {int perms; Id{ustring scheme; ustring id}}
  want.Int(2);
  want.Int(31);
  want.String("world");
  want.String("anyone");
  want.Int(1);
  want.String("ip");
  want.String("10.0.0.0/8");
  EXPECT_EQ(w.bytes(), want.bytes());
  JuteReader r(w.bytes());
  google::protobuf::RepeatedPtrField<metastorepb::Acl> back;
  ReadAcls(r, &back);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(back.size(), 2);
  EXPECT_EQ(back[1].perms(), 1);
  EXPECT_EQ(back[1].id().scheme(), "ip");
  EXPECT_EQ(back[1].id().id(), "10.0.0.0/8");

  JuteWriter many;
  many.Int(1025);
  for (int i = 0; i < 1025; ++i) {
    many.Int(1);
    many.String("world");
    many.String("anyone");
  }
  JuteReader too_many(many.bytes());
  google::protobuf::RepeatedPtrField<metastorepb::Acl> none;
  ReadAcls(too_many, &none);
  EXPECT_FALSE(too_many.ok());
}

TEST(ProtocolRecords, NotificationLayout) {
  EXPECT_EQ(Notification(0x10, 3, "/a"),
            Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0,   0,
                   0,    0,    0,    0,    3, 0, 0, 0, 3, 0, 0, 0,    2, '/', 'a'}));
}

TEST(ProtocolRecords, CodeOfMetastoreErrors) {
  EXPECT_EQ(CodeOf(metastorepb::OK), 0);
  EXPECT_EQ(CodeOf(metastorepb::NO_NODE), -101);
  EXPECT_EQ(CodeOf(metastorepb::NODE_EXISTS), -110);
  EXPECT_EQ(CodeOf(metastorepb::BAD_VERSION), -103);
  EXPECT_EQ(CodeOf(metastorepb::NOT_EMPTY), -111);
  EXPECT_EQ(CodeOf(metastorepb::NO_CHILDREN_FOR_EPHEMERALS), -108);
  EXPECT_EQ(CodeOf(metastorepb::INVALID_PATH), -8);
  EXPECT_EQ(CodeOf(metastorepb::BAD_ARGUMENTS), -8);
  EXPECT_EQ(CodeOf(metastorepb::SESSION_EXPIRED), -112);
  EXPECT_EQ(CodeOf(metastorepb::SESSION_MOVED), -118);
  EXPECT_EQ(CodeOf(metastorepb::RUNTIME_INCONSISTENCY), -2);
  EXPECT_EQ(CodeOf(metastorepb::OPERATION_TIMEOUT), -7);
  EXPECT_EQ(CodeOf(metastorepb::CONNECTION_LOSS), -4);
  EXPECT_EQ(CodeOf(metastorepb::UNAVAILABLE), -4);
  EXPECT_EQ(CodeOf(metastorepb::SYSTEM_ERROR), -1);
}

}  // namespace
}  // namespace warren::zookeeper
