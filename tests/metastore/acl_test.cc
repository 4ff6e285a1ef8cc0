// ZooKeeper's ACL rules on their own: what an ACL may say, whom it lets in, what a node
// stores, and the table that keeps each list once.
#include "metastore/acl.h"

#include <initializer_list>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/metastore/acl_test_util.h"

namespace warren::metastore {
namespace {

using ::testing::HasSubstr;

using ::warren::metastore::testing::MakeAcl;
using ::warren::metastore::testing::MakeId;

AclField Field(std::initializer_list<metastorepb::Acl> acl) {
  AclField out;
  for (const auto& a : acl) *out.Add() = a;
  return out;
}

IdField Ids(std::initializer_list<metastorepb::Id> ids) {
  IdField out;
  for (const auto& id : ids) *out.Add() = id;
  return out;
}

std::string Show(const AclList& acl) {
  std::string out;
  for (const auto& a : acl) {
    out += std::to_string(a.perms()) + " " + a.id().scheme() + ":" + a.id().id() + ";";
  }
  return out;
}

TEST(DigestId, IsZooKeepersDigestOfUserColonPassword) {
  // zookeeper's DigestAuthenticationProvider.generateDigest("super:test")
  EXPECT_EQ(DigestId("super", "test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_NE(DigestId("super", "tesT"), DigestId("super", "test"));
  EXPECT_EQ(DigestId("alice", "pw").rfind("alice:", 0), 0u);
}

TEST(ValidateAcl, AcceptsTheKnownSchemesWellFormed) {
  for (const auto& a : {MakeAcl(kPermAll, "world", "anyone"), MakeAcl(kPermRead, "auth", ""),
                        MakeAcl(0, "digest", DigestId("u", "p")),
                        MakeAcl(kPermAll, "ip", "10.0.0.1"), MakeAcl(kPermRead, "ip", "10.0.0.0/8"),
                        MakeAcl(kPermRead, "ip", "::1"), MakeAcl(kPermRead, "ip", "2001:db8::/32"),
                        MakeAcl(kPermRead, "x509", "CN=alice,O=example")}) {
    EXPECT_TRUE(ValidateAcl(Field({a}), "/p").ok()) << a.ShortDebugString();
  }
  EXPECT_TRUE(ValidateAcl(AclField(), "/p").ok());  // emptiness is the op's to judge
}

TEST(ValidateAcl, RefusesWhatNoServerCouldMatch) {
  for (const auto& a : {
           MakeAcl(kPermAll, "world", "someone"),
           MakeAcl(kPermAll, "super", ""),  // a caller's identity, not an ACL's
           MakeAcl(kPermAll, "sasl", "bob"),
           MakeAcl(kPermAll, "x509", ""),
           MakeAcl(kPermAll, "", "anyone"),
           MakeAcl(kPermAll, "digest", "nocolon"),
           MakeAcl(kPermAll, "digest", "user:"),
           MakeAcl(kPermAll, "digest", "a:b:c"),
           MakeAcl(kPermAll, "ip", "10.0.0"),
           MakeAcl(kPermAll, "ip", "10.0.0.256"),
           MakeAcl(kPermAll, "ip", "10.0.0.1/33"),
           MakeAcl(kPermAll, "ip", "10.0.0.1/"),
           MakeAcl(kPermAll, "ip", "10.0.0.1/-1"),
           MakeAcl(kPermAll, "ip", "host.example"),
           MakeAcl(kPermAll, "ip", "localhost"),
           MakeAcl(kPermAll, "ip", "::1/129"),
           MakeAcl(kPermAll, "ip", "1::2::3"),
           MakeAcl(kPermAll, "ip", "1:2:3:4:5:6:7:8:9"),
           MakeAcl(kPermAll, "ip", "1:2:3:4:5:6:7"),
           MakeAcl(kPermAll, "ip", "12345::"),
           MakeAcl(kPermAll, "ip", "g::1"),
           MakeAcl(-1, "world", "anyone"),
           MakeAcl(kPermAll + 1, "world", "anyone"),
       }) {
    absl::Status s = ValidateAcl(Field({MakeAcl(kPermRead, "world", "anyone"), a}), "/p");
    EXPECT_EQ(ErrorOf(s), metastorepb::INVALID_ACL) << a.ShortDebugString();
    EXPECT_THAT(s.message(), HasSubstr("InvalidACL: /p (")) << s;
  }
}

TEST(IpMatches, ByAddressAndPrefixWithinOneFamily) {
  EXPECT_TRUE(IpMatches("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(IpMatches("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(IpMatches("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(IpMatches("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(IpMatches("192.168.1.0/23", "192.168.0.7"));  // a prefix not on a byte
  EXPECT_FALSE(IpMatches("192.168.1.0/23", "192.168.2.7"));
  EXPECT_TRUE(IpMatches("10.9.9.9/0", "1.2.3.4"));
  EXPECT_FALSE(IpMatches("0.0.0.0/0", "::1"));  // another family
  EXPECT_FALSE(IpMatches("::/0", "1.2.3.4"));
  EXPECT_TRUE(IpMatches("::1", "0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(IpMatches("2001:db8::/32", "2001:DB8:ffff::1"));
  EXPECT_FALSE(IpMatches("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(IpMatches("fe80::1:2/127", "fe80::1:3"));
  EXPECT_FALSE(IpMatches("fe80::1:2/127", "fe80::1:4"));
  EXPECT_TRUE(IpMatches("1::", "1:0:0:0:0:0:0:0"));
  EXPECT_FALSE(IpMatches("10.0.0.1", "not-an-address"));
  EXPECT_FALSE(IpMatches("10.0.0.1/40", "10.0.0.1"));
}

TEST(Permits, WorldAnyoneIpExactIdsAndSuper) {
  const AclList acl = {MakeAcl(kPermRead, "world", "anyone"),
                       MakeAcl(kPermWrite | kPermDelete, "ip", "10.0.0.0/8"),
                       MakeAcl(kPermAdmin, "digest", "alice:h")};
  const IdField nobody;
  EXPECT_TRUE(Permits(acl, kPermRead, nobody));
  EXPECT_FALSE(Permits(acl, kPermWrite, nobody));
  EXPECT_TRUE(Permits(acl, kPermWrite, Ids({MakeId("ip", "10.1.1.1")})));
  EXPECT_FALSE(Permits(acl, kPermWrite, Ids({MakeId("ip", "11.1.1.1")})));
  EXPECT_FALSE(Permits(acl, kPermWrite, Ids({MakeId("digest", "10.1.1.1")})));  // scheme too
  EXPECT_FALSE(Permits(acl, kPermAdmin, Ids({MakeId("ip", "10.1.1.1")})));
  EXPECT_TRUE(
      Permits(acl, kPermAdmin, Ids({MakeId("ip", "9.9.9.9"), MakeId("digest", "alice:h")})));
  EXPECT_FALSE(Permits(acl, kPermAdmin, Ids({MakeId("digest", "alice:H")})));
  EXPECT_FALSE(Permits(acl, kPermCreate, Ids({MakeId("digest", "alice:h")})));
  EXPECT_TRUE(Permits(acl, kPermCreate, Ids({MakeId("super", "")})));
  // Any one of the bits asked for will do (getACL asks READ or ADMIN).
  const AclList admin_only = {MakeAcl(kPermAdmin, "digest", "alice:h")};
  EXPECT_TRUE(Permits(admin_only, kPermRead | kPermAdmin, Ids({MakeId("digest", "alice:h")})));
  // An empty ACL is world:anyone ALL; no permission at all is nobody's but super's.
  EXPECT_TRUE(Permits(AclList(), kPermAdmin, nobody));
  const AclList none = {MakeAcl(0, "world", "anyone")};
  EXPECT_FALSE(Permits(none, kPermRead, nobody));
  EXPECT_TRUE(Permits(none, kPermRead, Ids({MakeId("super", "")})));
  // A certificate's subject matches exactly, as the whole of its text.
  const AclList x509 = {MakeAcl(kPermRead, "x509", "CN=alice,O=example")};
  EXPECT_TRUE(Permits(x509, kPermRead, Ids({MakeId("x509", "CN=alice,O=example")})));
  EXPECT_FALSE(Permits(x509, kPermRead, Ids({MakeId("x509", "CN=alice,O=example2")})));
  EXPECT_FALSE(Permits(x509, kPermRead, Ids({MakeId("x509", "CN=alice")})));
  EXPECT_FALSE(Permits(x509, kPermRead, Ids({MakeId("digest", "CN=alice,O=example")})));

  absl::Status refused = CheckAcl(acl, kPermWrite, nobody, "/p/c", "/p");
  EXPECT_EQ(ErrorOf(refused), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /p/c (needs WRITE on /p)");
}

TEST(FixupAcl, ExpandsAuthToTheCallersProvenIdentities) {
  const IdField caller = Ids({MakeId("ip", "127.0.0.1"), MakeId("digest", "alice:h"),
                              MakeId("super", ""), MakeId("sasl", "bob@REALM")});
  auto fixed = FixupAcl(
      Field({MakeAcl(kPermRead | kPermWrite, "auth", ""), MakeAcl(kPermRead, "ip", "10.0.0.0/8")}),
      caller, "/p");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(Show(*fixed), "3 digest:alice:h;3 sasl:bob@REALM;1 ip:10.0.0.0/8;");

  for (const auto& unproven : {Ids({}), Ids({MakeId("ip", "127.0.0.1"), MakeId("super", "")}),
                               Ids({MakeId("world", "anyone")})}) {
    auto refused = FixupAcl(Field({MakeAcl(kPermAll, "auth", "")}), unproven, "/p");
    EXPECT_EQ(ErrorOf(refused.status()), metastorepb::INVALID_ACL);
    EXPECT_THAT(refused.status().message(), HasSubstr("no authenticated identity"));
  }
}

TEST(FixupAcl, DropsDuplicatesAndStoresTheDefaultAsNothing) {
  const IdField alice = Ids({MakeId("digest", "alice:h")});
  auto dup = FixupAcl(Field({MakeAcl(kPermAll, "digest", "alice:h"), MakeAcl(kPermAll, "auth", ""),
                             MakeAcl(kPermRead, "world", "anyone")}),
                      alice, "/p");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(Show(*dup), "31 digest:alice:h;1 world:anyone;");
  auto open =
      FixupAcl(Field({MakeAcl(kPermAll, "world", "anyone"), MakeAcl(kPermAll, "world", "anyone")}),
               alice, "/p");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
  EXPECT_EQ(ErrorOf(FixupAcl(AclField(), alice, "/p").status()), metastorepb::INVALID_ACL);
  EXPECT_EQ(ErrorOf(FixupAcl(Field({MakeAcl(kPermAll, "ip", "1.2.3")}), alice, "/p").status()),
            metastorepb::INVALID_ACL);
}

TEST(AclForReply, SpellsOutTheDefaultAndHidesDigestsFromNonAdmins) {
  EXPECT_EQ(Show(AclForReply(AclList(), false)), "31 world:anyone;");
  const AclList acl = {MakeAcl(kPermRead, "digest", "alice:secret/hash="),
                       MakeAcl(kPermRead, "ip", "10.0.0.1")};
  EXPECT_EQ(Show(AclForReply(acl, true)), "1 digest:alice:secret/hash=;1 ip:10.0.0.1;");
  EXPECT_EQ(Show(AclForReply(acl, false)), "1 digest:alice:x;1 ip:10.0.0.1;");
}

TEST(AclTable, KeepsEachListOnceForAsLongAsItIsHeld) {
  AclTable table;
  const AclList a = {MakeAcl(kPermRead, "digest", "alice:h")};
  const AclList b = {MakeAcl(kPermRead, "digest", "bob:h")};
  EXPECT_EQ(table.Add(AclList()), AclTable::kOpen);
  EXPECT_EQ(table.size(), 0u);
  const AclTable::Ref ra = table.Add(a);
  EXPECT_NE(ra, AclTable::kOpen);
  EXPECT_EQ(table.Add(a), ra);
  const AclTable::Ref rb = table.Add(b);
  EXPECT_NE(rb, ra);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(Show(table.Get(ra)), "1 digest:alice:h;");
  EXPECT_TRUE(table.Get(AclTable::kOpen).empty());
  table.Release(ra);
  EXPECT_EQ(table.size(), 2u);  // still held once
  table.Release(ra);
  EXPECT_EQ(table.size(), 1u);
  table.Release(AclTable::kOpen);  // nothing to count
  // A forgotten list's place is used again.
  const AclList c = {MakeAcl(kPermWrite, "digest", "carol:h")};
  EXPECT_EQ(table.Add(c), ra);
  EXPECT_EQ(Show(table.Get(ra)), "2 digest:carol:h;");
  EXPECT_EQ(table.Add(a), rb + 1);
  table.Clear();
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace warren::metastore
