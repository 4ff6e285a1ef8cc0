#pragma once

#include <string>
#include <string_view>

#include "proto/metastore.pb.h"

namespace warren::metastore::cli {

// A JSON string literal for `s` (bytes outside printable ASCII escaped as \u00XX).
std::string JsonString(std::string_view s);
// {"czxid":..,...} with ZooKeeper's field names.
std::string StatJson(const metastorepb::Stat& stat);
// zkCli's stat listing: one "name = value" line per field.
std::string StatText(const metastorepb::Stat& stat);
// "NodeCreated", "NodeDataChanged", ... as ZooKeeper names event types.
const char* EventName(metastorepb::EventType type);

}  // namespace warren::metastore::cli
