#pragma once

#include <cstdint>
#include <string_view>

namespace warren::metastore::import {

// Adler-32 (RFC 1950), java.util.zip.Adler32: what ZooKeeper checksums its snapshots and
// transaction log records with.
uint32_t Adler32(std::string_view bytes);

}  // namespace warren::metastore::import
