#pragma once

#include <cstdint>
#include <string>
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

// Between the wire and absl::Status. `Reply` is any message with `error` and `message` fields:
// ResponseHeader, CommandReply, QueryReply, OpResult.
template <typename Reply>
void SetError(const absl::Status& s, Reply* reply) {
  reply->set_error(ErrorOf(s));
  reply->set_message(std::string(s.message()));
}
// A response header carrying `s`.
metastorepb::ResponseHeader ErrorHeader(const absl::Status& s);
absl::Status FromWire(metastorepb::Error e, std::string_view message);

// "session 0x1f", for messages.
std::string SessionLabel(uint64_t session);

}  // namespace warren::metastore
