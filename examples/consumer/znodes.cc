// A client of a metastore quorum, built against the installed Warren: creates a node and two
// sequential children, updates the node with a compare-and-set, shows that a stale version is
// refused, lists the children, and cleans up.
//   znodes --endpoints=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

ABSL_FLAG(std::string, endpoints, "127.0.0.1:7101", "HOST:PORT,... of the quorum's members");
ABSL_FLAG(std::string, root, "/consumer", "the node to work under (must not exist)");

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "znodes: " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);  // --flag-name as well as --flag_name
  absl::ParseCommandLine(flags.argc(), flags.argv());
  using namespace warren::metastore;
  ClientOptions options;
  options.endpoints = absl::StrSplit(absl::GetFlag(FLAGS_endpoints), ',', absl::SkipEmpty());
  auto client = MetastoreClient::Connect(options);
  if (!client.ok()) return Fail(client.status());
  MetastoreClient& c = **client;
  const std::string root = absl::GetFlag(FLAGS_root);

  warren::metastorepb::Stat created;
  if (auto s = c.Create(root, "v1", {}, &created); !s.ok()) return Fail(s.status());
  CreateOptions sequential;
  sequential.sequential = true;
  for (int i = 0; i < 2; ++i) {
    auto child = c.Create(root + "/job-", "", sequential);
    if (!child.ok()) return Fail(child.status());
    std::cout << "created " << *child << "\n";
  }
  auto updated = c.SetData(root, "v2", created.version());
  if (!updated.ok()) return Fail(updated.status());
  auto stale = c.SetData(root, "v3", created.version());
  std::cout << "set with a stale version: " << stale.status() << "\n";
  if (ErrorOf(stale.status()) != warren::metastorepb::BAD_VERSION) {
    return Fail(absl::InternalError("a stale version was not refused with BadVersion"));
  }
  auto node = c.GetData(root);
  if (!node.ok()) return Fail(node.status());
  auto children = c.GetChildren(root);
  if (!children.ok()) return Fail(children.status());
  std::cout << root << " = " << node->data << " (version " << node->stat.version() << ", "
            << children->children.size() << " children)\n";
  if (node->data != "v2" || children->children.size() != 2) {
    return Fail(absl::InternalError("want data v2 and 2 children"));
  }
  for (const auto& child : children->children) {
    if (auto s = c.Delete(root + "/" + child.name()); !s.ok()) return Fail(s);
  }
  if (auto s = c.Delete(root, node->stat.version()); !s.ok()) return Fail(s);
  return 0;
}
