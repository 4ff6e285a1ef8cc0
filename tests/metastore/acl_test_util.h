#pragma once

// ACL entries and identities for the ACL tests.
#include <cstdint>
#include <string>

#include "proto/metastore.pb.h"

namespace warren::metastore::testing {

inline metastorepb::Id MakeId(const std::string& scheme, const std::string& id) {
  metastorepb::Id out;
  out.set_scheme(scheme);
  out.set_id(id);
  return out;
}

inline metastorepb::Acl MakeAcl(int32_t perms, const std::string& scheme, const std::string& id) {
  metastorepb::Acl out;
  out.set_perms(perms);
  *out.mutable_id() = MakeId(scheme, id);
  return out;
}

}  // namespace warren::metastore::testing
