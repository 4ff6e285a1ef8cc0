#include "metastore/acl.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/errors.h"

namespace warren::metastore {
namespace {

absl::Status InvalidAcl(std::string_view path, std::string_view why) {
  return MetaError(metastorepb::INVALID_ACL,
                   absl::StrCat(std::string(path), " (", std::string(why), ")"));
}

std::string Label(const metastorepb::Id& id) { return absl::StrCat(id.scheme(), ":", id.id()); }

// ---- ip ids: ZooKeeper's IPAuthenticationProvider rules, without its leniencies of Java's
// number parsing (a sign before a number).

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  int size = 0;  // 4 or 16
};

// This absl's string_view is not std's: split by hand.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t at = s.find(sep); at != std::string_view::npos; at = s.find(sep)) {
    out.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  out.push_back(s);
  return out;
}

// Up to `max` from decimal digits only; nullopt for anything else or more.
std::optional<int> Decimal(std::string_view s, int max) {
  if (s.empty()) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > max) return std::nullopt;
  }
  return v;
}

std::optional<IpAddress> ParseV4(std::string_view s) {
  std::vector<std::string_view> parts = Split(s, '.');
  if (parts.size() != 4) return std::nullopt;
  IpAddress a;
  a.size = 4;
  for (size_t i = 0; i < 4; ++i) {
    auto v = Decimal(parts[i], 255);
    if (!v.has_value()) return std::nullopt;
    a.bytes[i] = static_cast<uint8_t>(*v);
  }
  return a;
}

// Groups of 1 to 4 hex digits written from byte `at` on.
bool ParseV6Groups(std::string_view s, size_t at, IpAddress& a) {
  if (s.empty()) return true;
  for (std::string_view group : Split(s, ':')) {
    if (group.empty() || group.size() > 4) return false;
    int v = 0;
    for (char c : group) {
      if (!absl::ascii_isxdigit(c)) return false;
      v = v * 16 + (absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10);
    }
    a.bytes[at++] = static_cast<uint8_t>(v >> 8);
    a.bytes[at++] = static_cast<uint8_t>(v & 0xff);
  }
  return true;
}

// Eight groups, or fewer around one "::" that stands for the zero groups left out.
std::optional<IpAddress> ParseV6(std::string_view s) {
  IpAddress a;
  a.size = 16;
  const size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (std::count(s.begin(), s.end(), ':') != 7) return std::nullopt;
    if (!ParseV6Groups(s, 0, a)) return std::nullopt;
    return a;
  }
  const std::string_view left = s.substr(0, gap);
  const std::string_view right = s.substr(gap + 2);
  if (right.find("::") != std::string_view::npos) return std::nullopt;
  auto groups = [](std::string_view part) {
    return part.empty() ? 0 : std::count(part.begin(), part.end(), ':') + 1;
  };
  const size_t left_groups = groups(left);
  const size_t right_groups = groups(right);
  if (left_groups + right_groups >= 8) return std::nullopt;
  if (!ParseV6Groups(left, 0, a) || !ParseV6Groups(right, 16 - 2 * right_groups, a)) {
    return std::nullopt;
  }
  return a;
}

// As ZooKeeper tells the families apart: a colon makes it IPv6, else a dot IPv4.
std::optional<IpAddress> ParseAddress(std::string_view s) {
  if (s.find(':') != std::string_view::npos) return ParseV6(s);
  if (s.find('.') != std::string_view::npos) return ParseV4(s);
  return std::nullopt;
}

// An ip pattern's address and prefix length (the whole address without a prefix).
std::optional<std::pair<IpAddress, int>> ParsePattern(std::string_view pattern) {
  const size_t slash = pattern.find('/');
  auto address = ParseAddress(pattern.substr(0, slash));
  if (!address.has_value()) return std::nullopt;
  int bits = address->size * 8;
  if (slash != std::string_view::npos) {
    auto prefix = Decimal(pattern.substr(slash + 1), bits);
    if (!prefix.has_value()) return std::nullopt;
    bits = *prefix;
  }
  return std::make_pair(*address, bits);
}

bool SamePrefix(const IpAddress& a, const IpAddress& b, int bits) {
  if (a.size != b.size) return false;
  for (int i = 0; i < a.size && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (b.bytes[i] & mask)) return false;
  }
  return true;
}

// ZooKeeper's DigestAuthenticationProvider.isValid: `user:hash`, which it checks as Java's
// split(":") giving two parts, trailing empty parts dropped.
bool ValidDigest(std::string_view id) {
  while (!id.empty() && id.back() == ':') id.remove_suffix(1);
  return std::count(id.begin(), id.end(), ':') == 1;
}

absl::Status ValidateEntry(const metastorepb::Acl& a, std::string_view path) {
  if (a.perms() < 0 || a.perms() > kPermAll) {
    return InvalidAcl(path, absl::StrCat("perms ", a.perms(), " outside 0..", kPermAll));
  }
  const auto& id = a.id();
  const std::string& scheme = id.scheme();
  bool valid = false;
  if (scheme == "world") {
    valid = id.id() == "anyone";
  } else if (scheme == "auth") {
    valid = true;
  } else if (scheme == "digest") {
    valid = ValidDigest(id.id());
  } else if (scheme == "ip") {
    valid = ValidIpPattern(id.id());
  } else if (scheme == "x509") {
    valid = !id.id().empty();  // a client certificate's subject, RFC 2253
  } else {
    return InvalidAcl(path, absl::StrCat("unknown scheme in ", Label(id)));
  }
  if (!valid) return InvalidAcl(path, absl::StrCat("malformed id ", Label(id)));
  return absl::OkStatus();
}

// Identities that `auth` in an ACL stands for: those a client proved (ZooKeeper's
// isAuthenticated), not where it connects from, not everyone, not the superuser.
bool Authenticated(const metastorepb::Id& id) {
  return !id.scheme().empty() && id.scheme() != "ip" && id.scheme() != "world" &&
         id.scheme() != "super";
}

metastorepb::Acl Entry(int32_t perms, std::string_view scheme, std::string_view id) {
  metastorepb::Acl a;
  a.set_perms(perms);
  a.mutable_id()->set_scheme(std::string(scheme));
  a.mutable_id()->set_id(std::string(id));
  return a;
}

bool SameEntry(const metastorepb::Acl& a, const metastorepb::Acl& b) {
  return a.perms() == b.perms() && a.id().scheme() == b.id().scheme() && a.id().id() == b.id().id();
}

bool Matches(const metastorepb::Id& entry, const metastorepb::Id& caller) {
  if (entry.scheme() != caller.scheme()) return false;
  if (entry.scheme() == "ip") return IpMatches(entry.id(), caller.id());
  return entry.id() == caller.id();
}

const char* PermsName(int32_t perms) {
  switch (perms) {
    case kPermRead:
      return "READ";
    case kPermWrite:
      return "WRITE";
    case kPermCreate:
      return "CREATE";
    case kPermDelete:
      return "DELETE";
    case kPermAdmin:
      return "ADMIN";
    case kPermRead | kPermAdmin:
      return "READ or ADMIN";
    default:
      return "permission";
  }
}

}  // namespace

bool ValidIpPattern(std::string_view pattern) { return ParsePattern(pattern).has_value(); }

bool IpMatches(std::string_view pattern, std::string_view address) {
  auto p = ParsePattern(pattern);
  if (!p.has_value()) return false;
  auto a = ParseAddress(address);
  return a.has_value() && SamePrefix(p->first, *a, p->second);
}

absl::Status ValidateAcl(const AclField& acl, std::string_view path) {
  for (const auto& a : acl) {
    if (auto s = ValidateEntry(a, path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<AclList> FixupAcl(const AclField& acl, const IdField& caller,
                                 std::string_view path) {
  if (acl.empty()) return InvalidAcl(path, "an empty ACL");
  if (auto s = ValidateAcl(acl, path); !s.ok()) return s;
  AclList out;
  auto add = [&out](metastorepb::Acl a) {
    for (const auto& e : out) {
      if (SameEntry(e, a)) return;
    }
    out.push_back(std::move(a));
  };
  for (const auto& a : acl) {
    if (a.id().scheme() != "auth") {
      add(Entry(a.perms(), a.id().scheme(), a.id().id()));
      continue;
    }
    bool any = false;
    for (const auto& id : caller) {
      if (!Authenticated(id)) continue;
      add(Entry(a.perms(), id.scheme(), id.id()));
      any = true;
    }
    if (!any) return InvalidAcl(path, "auth: the caller has no authenticated identity");
  }
  if (out.size() == 1 && out[0].perms() == kPermAll && out[0].id().scheme() == "world") {
    out.clear();  // the default, stored as nothing
  }
  return out;
}

bool IsSuperuser(const IdField& caller) {
  return std::any_of(caller.begin(), caller.end(),
                     [](const metastorepb::Id& id) { return id.scheme() == "super"; });
}

bool Permits(const AclList& acl, int32_t perms, const IdField& caller) {
  if (acl.empty() || IsSuperuser(caller)) return true;
  for (const auto& a : acl) {
    if ((a.perms() & perms) == 0) continue;
    if (a.id().scheme() == "world" && a.id().id() == "anyone") return true;
    for (const auto& id : caller) {
      if (Matches(a.id(), id)) return true;
    }
  }
  return false;
}

absl::Status CheckAcl(const AclList& acl, int32_t perms, const IdField& caller,
                      std::string_view path, std::string_view on) {
  if (Permits(acl, perms, caller)) return absl::OkStatus();
  return MetaError(
      metastorepb::NO_AUTH,
      absl::StrCat(std::string(path), " (needs ", PermsName(perms), " on ", std::string(on), ")"));
}

AclList AclForReply(const AclList& acl, bool admin) {
  if (acl.empty()) return {Entry(kPermAll, "world", "anyone")};
  AclList out = acl;
  if (admin) return out;
  for (auto& a : out) {
    if (a.id().scheme() != "digest") continue;
    const size_t colon = a.id().id().find(':');
    if (colon != std::string::npos) a.mutable_id()->set_id(a.id().id().substr(0, colon) + ":x");
  }
  return out;
}

std::string DigestId(std::string_view user, std::string_view password) {
  const std::string secret = absl::StrCat(std::string(user), ":", std::string(password));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  CHECK_EQ(EVP_Digest(secret.data(), secret.size(), md, &size, EVP_sha1(), nullptr), 1)
      << "OpenSSL has no SHA-1";
  return absl::StrCat(
      std::string(user), ":",
      absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(md), size)));
}

// ---- AclTable

AclTable::Ref AclTable::Add(const AclList& acl) {
  if (acl.empty()) return kOpen;
  std::string key;
  for (const auto& a : acl) {
    absl::StrAppend(&key, a.perms(), ",", a.id().scheme().size(), ":", a.id().scheme(),
                    a.id().id().size(), ":", a.id().id(), ";");
  }
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  Ref ref;
  if (free_.empty()) {
    if (entries_.empty()) entries_.emplace_back();  // kOpen's place
    ref = static_cast<Ref>(entries_.size());
    entries_.emplace_back();
  } else {
    ref = free_.back();
    free_.pop_back();
  }
  entries_[ref] = Entry{acl, key, 1};
  by_key_.emplace(std::move(key), ref);
  return ref;
}

void AclTable::Release(Ref ref) {
  if (ref == kOpen) return;
  if (ref >= entries_.size() || entries_[ref].refs == 0) {
    LOG(DFATAL) << "release of ACL reference " << ref << ", which is not held";
    return;
  }
  Entry& e = entries_[ref];
  if (--e.refs > 0) return;
  by_key_.erase(e.key);
  e = Entry{};
  free_.push_back(ref);
}

const AclList& AclTable::Get(Ref ref) const {
  static const AclList kNone;
  if (ref == kOpen || ref >= entries_.size()) return kNone;
  return entries_[ref].acl;
}

void AclTable::Clear() {
  entries_.clear();
  free_.clear();
  by_key_.clear();
}

}  // namespace warren::metastore
