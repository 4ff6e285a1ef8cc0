#include "metastore/cli/cli.h"

#include <iostream>

#include "absl/flags/flag.h"
#include "glog/logging.h"
#include "metastore/cli/output.h"
#include "metastore/errors.h"

ABSL_FLAG(bool, json, false, "print JSON (one object per line) instead of text");

namespace warren::metastore::cli {

const char kUsage[] = R"(usage: warren [--endpoints=H:P,...] [--json] COMMAND [ARGS]
  over TLS: --tls-ca=FILE, and --tls-cert=FILE --tls-key=FILE if the members ask for a certificate
  as a digest identity for ACLs: --auth-file=FILE or $WARREN_AUTH (or --auth=...), holding
    digest:USER:PASSWORD
  create [-e] [-s] [-c] [--ttl=MS] PATH [DATA]   prints the created path
  get PATH                                       prints the data
  set PATH DATA [-v VERSION]
  delete PATH [-v VERSION]
  deleteall PATH                                 deletes PATH and everything below it
  ls PATH                                        one child per line
  stat PATH
  exists PATH                                    exit 0 if it exists, 1 (NoNode) if not
  watch PATH [--recursive] [--count=N]           prints one event per line
  setacl PATH SCHEME:ID:PERMS... [-v ACL_VERSION]  replaces PATH's ACL; PERMS of cdrwa, e.g.
                                                 digest:bob:<base64 sha1>:cdrwa, ip:10.0.0.0/8:r,
                                                 x509:CN=alice,O=example:rw, auth::cdrwa
  create and set take their DATA from a file, or stdin, with --data-file=FILE|-
  member list                                    (also: members)
  member add ID HOST:PORT [--learner]            adds a learner, promotes it once caught up
  member promote ID | member remove ID
  status [--watch [--interval-ms=MS] [--count=N]]  every member; --watch repeats it
  leader
  transfer-leader ID
  snapshot                                       takes one at the leader
  backup FILE                                    the leader's snapshot, taken now, into FILE
  restore FILE --data-dir=DIR --id=N --address=HOST:PORT
                                                 offline: DIR seeds a new quorum's first member
  import-zk ZK_DATA_DIR --data-dir=DIR --id=N --address=HOST:PORT [--zk-log-dir=DIR]
                                                 offline: DIR seeds a new quorum's first member
                                                 with a stopped ZooKeeper 3.x's tree
  check DATA_DIR                                 offline: would this stopped member start?)";

void QuietLibraryLogs(const char* argv0) {
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = google::GLOG_WARNING;
  google::InitGoogleLogging(argv0);
}

bool Json() { return absl::GetFlag(FLAGS_json); }

int Usage(const std::string& why) {
  std::cerr << "warren: " << why << "\n" << kUsage << "\n";
  return 2;
}

int Fail(const absl::Status& s) {
  if (Json()) {
    std::cout << "{\"error\":" << JsonString(ErrorName(ErrorOf(s)))
              << ",\"message\":" << JsonString(std::string(s.message())) << "}\n";
  } else {
    std::cerr << s.message() << "\n";
  }
  return 1;
}

}  // namespace warren::metastore::cli
