#include "metastore/ops.h"

namespace warren::metastore {

metastorepb::Op CreateOp(const std::string& path, const std::string& data) {
  metastorepb::Op op;
  op.mutable_create()->set_path(path);
  op.mutable_create()->set_data(data);
  return op;
}

metastorepb::Op DeleteOp(const std::string& path, int version) {
  metastorepb::Op op;
  op.mutable_delete_()->set_path(path);
  op.mutable_delete_()->set_version(version);
  return op;
}

metastorepb::Op SetOp(const std::string& path, const std::string& data, int version) {
  metastorepb::Op op;
  op.mutable_set_data()->set_path(path);
  op.mutable_set_data()->set_data(data);
  op.mutable_set_data()->set_version(version);
  return op;
}

metastorepb::Op CheckOp(const std::string& path, int version) {
  metastorepb::Op op;
  op.mutable_check()->set_path(path);
  op.mutable_check()->set_version(version);
  return op;
}

}  // namespace warren::metastore
