// warren-ledgers: BookKeeper's metadata operations on a Warren quorum (see README.md).
//   warren-ledgers --endpoints=H:P,... COMMAND [ARGS]
// Exit status: 0 done, 1 the operation failed (BadVersion, NoNode, ...), 2 bad usage.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "common/signals.h"
#include "examples/bookkeeper-ledgers/ledger_store.h"
#include "google/protobuf/text_format.h"
#include "metastore/client/endpoints_flag.h"
#include "metastore/client/metastore_client.h"

ABSL_FLAG(std::string, root, "/ledgers", "the metadata root");
ABSL_FLAG(std::string, layout, "hierarchical", "init: flat or hierarchical");
ABSL_FLAG(bool, readonly, false, "register-bookie, list-bookies: the read-only bookies");
ABSL_FLAG(std::string, address, "", "register-bookie: the bookie's host:port");
ABSL_FLAG(int64_t, session_timeout_ms, 6000, "register-bookie: the session timeout");
ABSL_FLAG(int32_t, ensemble, 3, "create-ledger: ensemble size");
ABSL_FLAG(int32_t, write_quorum, 2, "create-ledger: write quorum size");
ABSL_FLAG(int32_t, ack_quorum, 2, "create-ledger: ack quorum size");
ABSL_FLAG(std::vector<std::string>, custom, {}, "create-ledger: custom metadata k=v,...");
ABSL_FLAG(int32_t, version, -1, "close, delete: the version read (-1: the current one)");
ABSL_FLAG(int64_t, last_entry, -1, "close: the last entry id");
ABSL_FLAG(int64_t, length, 0, "close: the ledger's length in bytes");
ABSL_FLAG(int64_t, from, 0, "list: the first id");
ABSL_FLAG(int64_t, to, warren::bookkeeper::kMaxLedgerId, "list: the last id");

namespace warren::bookkeeper {
namespace {

using metastore::MetastoreClient;

constexpr char kUsage[] = R"(usage: warren-ledgers [--endpoints=H:P,...] [--root=/ledgers] COMMAND
  init [--layout=flat|hierarchical]      LAYOUT, INSTANCEID and the bookie directories
  register-bookie ID [--address=H:P] [--readonly]
                                         registers and holds the session until killed
  list-bookies [--readonly]
  create-ledger [--ensemble=3 --write-quorum=2 --ack-quorum=2 --custom=k=v,...]
                                         prints the new ledger's id
  read ID                                prints its path, its version and the metadata
  close ID --last-entry=N [--length=B] [--version=V]
                                         closes it if still at version V (BadVersion if not)
  delete ID [--version=V]
  list [--from=A] [--to=B]               ledger ids in [A, B], one a line)";

int Usage(const std::string& why) {
  std::cerr << "warren-ledgers: " << why << "\n" << kUsage << "\n";
  return 2;
}

int Fail(const absl::Status& s) {
  std::cerr << s.message() << "\n";
  return 1;
}

absl::StatusOr<int64_t> IdArg(const std::vector<std::string>& args) {
  int64_t id = 0;
  if (args.size() != 1 || !absl::SimpleAtoi(args[0], &id) || id < 0 || id > kMaxLedgerId) {
    return absl::InvalidArgumentError("needs one ledger id, 0 to 9999999999");
  }
  return id;
}

int RegisterBookie(MetastoreClient& client, LedgerStore& store,
                   const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("register-bookie needs a bookie id");
  if (auto s = client.StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
      !s.ok()) {
    return Fail(s);
  }
  if (auto s = store.RegisterBookie(args[0], absl::GetFlag(FLAGS_address),
                                    absl::GetFlag(FLAGS_readonly));
      !s.ok()) {
    return Fail(s);
  }
  std::cout << "registered " << args[0] << std::endl;
  // A bookie whose session ended is no longer registered: it stops, as a bookie does.
  static std::atomic<bool> session_ended{false};
  client.OnSessionEnd([](const absl::Status& why) {
    std::cerr << "session ended: " << why.message() << std::endl;
    session_ended = true;
    kill(getpid(), SIGTERM);
  });
  WaitForTerminationSignal();
  if (session_ended) return 1;
  return client.CloseSession().ok() ? 0 : 1;
}

int Run(MetastoreClient& client, const std::string& command, const std::vector<std::string>& args) {
  const std::string root = absl::GetFlag(FLAGS_root);
  if (command == "init") {
    auto layout = ParseLayout(absl::GetFlag(FLAGS_layout));
    if (!layout.ok()) return Usage(std::string(layout.status().message()));
    if (auto s = LedgerStore::Init(client, root, *layout); !s.ok()) return Fail(s);
    std::cout << root << " laid out " << LayoutName(*layout) << "\n";
    return 0;
  }
  auto store = LedgerStore::Open(client, root);
  if (!store.ok()) return Fail(store.status());
  if (command == "register-bookie") return RegisterBookie(client, **store, args);
  if (command == "list-bookies") {
    auto bookies = (*store)->ListBookies(absl::GetFlag(FLAGS_readonly));
    if (!bookies.ok()) return Fail(bookies.status());
    for (const auto& b : *bookies) std::cout << b << "\n";
    return 0;
  }
  if (command == "create-ledger") {
    LedgerConfig config;
    config.ensemble_size = absl::GetFlag(FLAGS_ensemble);
    config.write_quorum_size = absl::GetFlag(FLAGS_write_quorum);
    config.ack_quorum_size = absl::GetFlag(FLAGS_ack_quorum);
    for (const auto& kv : absl::GetFlag(FLAGS_custom)) {
      std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      if (p.first.empty()) return Usage("--custom takes k=v pairs");
      config.custom[p.first] = p.second;
    }
    auto ledger = (*store)->CreateLedger(config);
    if (!ledger.ok()) return Fail(ledger.status());
    std::cout << ledger->id << "\n";
    return 0;
  }
  if (command == "list") {
    auto ids = (*store)->List(absl::GetFlag(FLAGS_from), absl::GetFlag(FLAGS_to));
    if (!ids.ok()) return Fail(ids.status());
    for (int64_t id : *ids) std::cout << id << "\n";
    return 0;
  }
  auto id = IdArg(args);
  if (command != "read" && command != "close" && command != "delete") {
    return Usage(absl::StrCat("unknown command '", command, "'"));
  }
  if (!id.ok()) return Usage(std::string(id.status().message()));
  if (command == "read") {
    auto ledger = (*store)->Read(*id);
    if (!ledger.ok()) return Fail(ledger.status());
    std::string text;
    google::protobuf::TextFormat::PrintToString(ledger->metadata, &text);
    std::cout << "path: " << LedgerPath((*store)->layout(), root, *id) << "\n"
              << "version: " << ledger->version << "\n"
              << text;
    return 0;
  }
  int32_t version = absl::GetFlag(FLAGS_version);
  if (command == "delete") {
    auto s = (*store)->Delete(*id, version);
    return s.ok() ? 0 : Fail(s);
  }
  if (version < 0) {
    auto ledger = (*store)->Read(*id);
    if (!ledger.ok()) return Fail(ledger.status());
    version = ledger->version;
  }
  auto closed =
      (*store)->Close(*id, absl::GetFlag(FLAGS_last_entry), absl::GetFlag(FLAGS_length), version);
  if (!closed.ok()) return Fail(closed.status());
  std::cout << "closed " << *id << " at version " << *closed << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  absl::SetProgramUsageMessage(kUsage);
  DashedFlags flags(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (positional.size() < 2) return Usage("no command given");
  auto endpoints = metastore::EndpointsFromFlag();
  if (!endpoints.ok()) return Usage(std::string(endpoints.status().message()));
  auto tls = metastore::TlsFromFlags();
  if (!tls.ok()) return Usage(std::string(tls.status().message()));
  metastore::ClientOptions options;
  options.endpoints = *endpoints;
  options.tls = *tls;
  auto client = MetastoreClient::Connect(options);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  return Run(**client, positional[1],
             std::vector<std::string>(positional.begin() + 2, positional.end()));
}

}  // namespace
}  // namespace warren::bookkeeper

int main(int argc, char** argv) { return warren::bookkeeper::Main(argc, argv); }
