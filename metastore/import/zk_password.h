#pragma once

#include <cstdint>
#include <string>

namespace warren::metastore::import {

// The password ZooKeeper gives session `id` (ZooKeeperServer.generatePasswd: 16 bytes of a
// java.util.Random seeded with id ^ superSecret): a client that held the session on
// ZooKeeper reattaches with it.
std::string ZooKeeperSessionPassword(int64_t id);

}  // namespace warren::metastore::import
