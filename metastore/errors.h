#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "proto/metastore.pb.h"

namespace warren::metastore {

// ZooKeeper's name of an error: "NoNode", "BadVersion", ...
const char* ErrorName(metastorepb::Error e);

// A metastore error as an absl::Status: the message is "Name: detail" (e.g. "NoNode: /a/b"),
// the code the closest absl code, and the exact error rides along as a payload.
absl::Status MetaError(metastorepb::Error e, std::string_view detail);
// The metastore error a status carries (OK for OkStatus; SYSTEM_ERROR for foreign errors).
metastorepb::Error ErrorOf(const absl::Status& s);

// Between the wire and absl::Status.
void ToHeader(const absl::Status& s, metastorepb::ResponseHeader* header);
absl::Status FromWire(metastorepb::Error e, std::string_view message);

}  // namespace warren::metastore
