#pragma once

#include <string>

#include "proto/metastore.pb.h"

namespace warren::metastore {

// The operations of a Multi. A version of -1 matches any.
metastorepb::Op CreateOp(const std::string& path, const std::string& data = "");
metastorepb::Op DeleteOp(const std::string& path, int version = -1);
metastorepb::Op SetOp(const std::string& path, const std::string& data, int version = -1);
metastorepb::Op CheckOp(const std::string& path, int version);

}  // namespace warren::metastore
