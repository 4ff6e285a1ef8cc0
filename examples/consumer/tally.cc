// Your own state machine under Warren's Raft runtime, in one program: a replicated tally of
// named counters. It founds a one-member group, adds to the tally through the group's client,
// reads it back linearizably, and checks the sums. A real deployment lists three or five
// members in --members and runs one such process per member.
//   tally --members=1=127.0.0.1:7401 --data-dir=DIR
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "glog/logging.h"
#include "raft/client/raft_client.h"
#include "raft/server/raft_server.h"
#include "raft/transport/grpc_transport.h"
#include "statemachine/state_machine.h"

ABSL_FLAG(std::string, members, "1=127.0.0.1:7401", "ID=HOST:PORT of this one-member group");
ABSL_FLAG(std::string, data_dir, "", "where the member keeps its log and snapshots");

namespace {

// Commands: "add NAME N" (reply: NAME's new total). Query: "get NAME" (0 if never added to).
// The snapshot is "NAME=N" lines. Apply runs on the group's apply thread only, so no locks.
class Tally : public warren::StateMachine {
 public:
  absl::StatusOr<std::string> Apply(uint64_t index, std::string_view command_view) override {
    applied_ = index;
    const std::string command(command_view);
    std::vector<std::string> words = absl::StrSplit(command, ' ');
    int64_t n = 0;
    if (words.size() != 3 || words[0] != "add" || !absl::SimpleAtoi(words[2], &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad tally command '", command, "' (want 'add NAME N')"));
    }
    return absl::StrCat(totals_[words[1]] += n);
  }
  absl::StatusOr<std::string> Query(std::string_view query_view) override {
    const std::string query(query_view);
    std::vector<std::string> words = absl::StrSplit(query, ' ');
    if (words.size() != 2 || words[0] != "get") {
      return absl::InvalidArgumentError(
          absl::StrCat("bad tally query '", query, "' (want 'get NAME')"));
    }
    auto it = totals_.find(words[1]);
    return absl::StrCat(it == totals_.end() ? 0 : it->second);
  }
  SnapshotFn TakeSnapshot() override {
    std::string frozen;
    for (const auto& [name, total] : totals_) absl::StrAppend(&frozen, name, "=", total, "\n");
    return [frozen](warren::SnapshotWriter& w) { return w.Write(frozen); };
  }
  absl::Status RestoreSnapshot(uint64_t index, warren::SnapshotReader& reader) override {
    auto bytes = reader.ReadAll();
    if (!bytes.ok()) return bytes.status();
    std::map<std::string, int64_t> totals;
    for (absl::string_view line : absl::StrSplit(*bytes, '\n', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, '=');
      if (!absl::SimpleAtoi(kv.second, &totals[kv.first])) {
        return absl::DataLossError(absl::StrCat("bad tally snapshot line '", line, "'"));
      }
    }
    totals_ = std::move(totals);
    applied_ = index;
    return absl::OkStatus();
  }
  uint64_t LastApplied() const override { return applied_; }

 private:
  std::map<std::string, int64_t> totals_;
  uint64_t applied_ = 0;
};

int Fail(const absl::Status& s) {
  std::cerr << "tally: " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);  // --flag-name as well as --flag_name
  absl::ParseCommandLine(flags.argc(), flags.argv());
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  using namespace warren;
  auto members = raft::ParseMembers(absl::GetFlag(FLAGS_members));
  if (!members.ok()) return Fail(members.status());
  if (members->size() != 1 || absl::GetFlag(FLAGS_data_dir).empty()) {
    return Fail(absl::InvalidArgumentError("want one member in --members and a --data-dir"));
  }
  const auto& [id, address] = *members->begin();

  raft::ServerOptions server_options;
  server_options.id = id;
  server_options.listen_address = address;
  server_options.client_service = true;  // the RaftClient below talks to it over gRPC
  auto server = raft::RaftServer::Create(server_options, std::make_unique<raft::GrpcTransport>());
  if (!server.ok()) return Fail(server.status());
  raft::GroupOptions group;
  group.group = "tally";
  group.members = *members;
  group.data_dir = absl::GetFlag(FLAGS_data_dir) + "/tally";
  if (auto s = (*server)->AddGroup(group, std::make_unique<Tally>()); !s.ok()) return Fail(s);
  if (auto s = (*server)->Start(); !s.ok()) return Fail(s);

  raft::ClientOptions client_options;
  client_options.group = "tally";
  client_options.members = *members;
  auto client = raft::RaftClient::Create(client_options);
  if (!client.ok()) return Fail(client.status());
  for (const char* command : {"add apples 3", "add pears 2", "add apples 4"}) {
    auto reply = (*client)->Write(command);
    if (!reply.ok()) return Fail(reply.status());
    std::cout << command << " -> " << reply->payload << " (index " << reply->index << ")\n";
  }
  auto refused = (*client)->Write("add apples many");
  std::cout << "add apples many -> " << refused.status() << "\n";
  auto apples = (*client)->Read("get apples");
  if (!apples.ok()) return Fail(apples.status());
  std::cout << "apples = " << apples->payload << "\n";
  (*server)->Shutdown();
  if (apples->payload != "7" || refused.ok()) {
    return Fail(absl::InternalError("the tally is wrong: want apples = 7 and a refused command"));
  }
  return 0;
}
