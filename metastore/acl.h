#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/metastore.pb.h"

// ZooKeeper's access control lists, as rules with no tree: what an ACL may say, who it lets
// do what, and what a node stores when a client sets one. The tree asks these when it applies
// a write (with the identities the command carries) and when it answers a read; validate.cc
// asks them when a write arrives.
namespace warren::metastore {

// ZooKeeper's permission bits (ZooDefs.Perms).
inline constexpr int32_t kPermRead = 1;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermCreate = 4;
inline constexpr int32_t kPermDelete = 8;
inline constexpr int32_t kPermAdmin = 16;
inline constexpr int32_t kPermAll = 31;

// A list as a client sends it, and the identities a caller has (Command.auth, Query.auth).
using AclField = google::protobuf::RepeatedPtrField<metastorepb::Acl>;
using IdField = google::protobuf::RepeatedPtrField<metastorepb::Id>;
// A node's ACL as the tree keeps it. Empty means world:anyone with ALL, the default, which a
// node stores as nothing.
using AclList = std::vector<metastorepb::Acl>;

// Checks each entry of an ACL a client asks for, on its own (InvalidACL naming `path`):
// perms within ALL, and a scheme this server knows with a well-formed id — `world:anyone`,
// `auth` (any id: it stands for the caller's identities), `digest:user:hash`, `ip:ADDRESS`
// or `ip:ADDRESS/BITS` (IPv4 or IPv6), `x509:SUBJECT` (a client certificate's subject, RFC
// 2253, as both the gRPC API and ZooKeeper's secure port name it). `super` is a caller's
// identity, never an ACL's.
// Says nothing of an empty list; what one means is the op's to say.
absl::Status ValidateAcl(const AclField& acl, std::string_view path);

// What a node stores when `caller` sets `acl` on it (ZooKeeper's fixupACL): the entries
// validated, each `auth` entry replaced by the caller's authenticated identities (every id
// but ip, world and super) with its perms, duplicates dropped, and world:anyone ALL alone made
// the empty default. InvalidACL for an empty list, a bad entry, or `auth` from a caller with
// no such identity. Depends only on its arguments, so every member computes the same.
absl::StatusOr<AclList> FixupAcl(const AclField& acl, const IdField& caller, std::string_view path);

// Whether `caller` holds any of the `perms` bits on a node with `acl` (ZooKeeper's
// checkACL): an empty ACL lets everyone, a `super` identity passes everything, and an entry
// with one of the bits grants them to world:anyone, to ip callers within its address and
// prefix, and to callers with exactly its scheme and id.
bool Permits(const AclList& acl, int32_t perms, const IdField& caller);
// Whether `caller` holds the superuser's identity (`super`), which passes every check.
bool IsSuperuser(const IdField& caller);
// The same as a status: NoAuth naming the op's `path` and the node `on` whose ACL refused.
absl::Status CheckAcl(const AclList& acl, int32_t perms, const IdField& caller,
                      std::string_view path, std::string_view on);

// getACL's answer for a node with `acl`: the default spelled out as world:anyone ALL, and, for
// a caller without ADMIN, each digest id's hash hidden as `user:x` (as ZooKeeper 3.8 answers).
AclList AclForReply(const AclList& acl, bool admin);

// Whether `pattern` (`ADDRESS` or `ADDRESS/BITS`) is an ip id an ACL may hold.
bool ValidIpPattern(std::string_view pattern);
// Whether the caller's `address` falls within `pattern`: the same family, and the same first
// BITS bits (all of them without a prefix). False if either does not parse.
bool IpMatches(std::string_view pattern, std::string_view address);

// The digest id of a user and password, as ZooKeeper's DigestAuthenticationProvider makes it:
// `user:` + base64(sha1("user:password")). DigestId("super", "test") is
// "super:D/InIHSb7yEEbrWz8b9l71RjZJU=".
std::string DigestId(std::string_view user, std::string_view password);

// The ACL lists the tree's nodes hold, each kept once and counted, as ZooKeeper's
// ReferenceCountedACLCache keeps them: most nodes share a handful of lists, so a node holds a
// 32-bit reference, and one with the default holds kOpen and nothing else.
class AclTable {
 public:
  using Ref = uint32_t;
  static constexpr Ref kOpen = 0;  // the empty list: world:anyone ALL

  // A reference to `acl` as a node stores it (FixupAcl's result), counted once more; kOpen,
  // not counted, for the empty list.
  Ref Add(const AclList& acl);
  // One reference to `ref` fewer; the list is forgotten when none is left.
  void Release(Ref ref);
  // The list `ref` stands for (empty for kOpen).
  const AclList& Get(Ref ref) const;
  // Lists in use, the default not counted.
  size_t size() const { return by_key_.size(); }
  void Clear();

 private:
  struct Entry {
    AclList acl;
    std::string key;
    uint64_t refs = 0;
  };
  std::vector<Entry> entries_;  // by Ref; entries_[0] is kOpen's place, never used
  std::vector<Ref> free_;       // forgotten entries, to reuse
  std::unordered_map<std::string, Ref> by_key_;
};

}  // namespace warren::metastore
