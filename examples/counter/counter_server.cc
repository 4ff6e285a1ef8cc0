// One member of a replicated counter: the whole of embedding Warren's Raft runtime.
//   warren-counter-server --id=1 --members=1=127.0.0.1:7001,2=...,3=... --data-dir=DIR
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/dashed_flags.h"
#include "common/signals.h"
#include "glog/logging.h"
#include "raft/client/raft_client.h"
#include "raft/server/raft_server.h"
#include "raft/transport/grpc_transport.h"
#include "statemachine/counter_state_machine.h"

ABSL_FLAG(uint64_t, id, 0, "this member's id (> 0)");
ABSL_FLAG(std::string, members, "", "ID=HOST:PORT,... of the founding members (and this one)");
ABSL_FLAG(std::string, data_dir, "", "where this member keeps its log and snapshots");
ABSL_FLAG(bool, join, false, "join an existing group (wait to be added) instead of founding it");
ABSL_FLAG(std::string, listen, "", "HOST:PORT to listen on (default: this member's address)");
ABSL_FLAG(int, tick_ms, 50, "length of a Raft tick; elections time out after 10-20 ticks");
ABSL_FLAG(uint64_t, snapshot_entries, 10000, "take a snapshot every this many entries");
ABSL_FLAG(uint64_t, log_retention, 1000, "entries kept behind a snapshot for slow followers");
ABSL_FLAG(bool, lease_reads, false, "serve linearizable reads from the leader lease");
ABSL_FLAG(std::string, log, "segmented", "log store: segmented or rocksdb");

int main(int argc, char** argv) {
  warren::BlockTerminationSignals();
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  using namespace warren;
  auto fail = [](const absl::Status& s) {
    std::cerr << "warren-counter-server: " << s << "\n";
    return 2;
  };

  auto members = raft::ParseMembers(absl::GetFlag(FLAGS_members));
  if (!members.ok()) return fail(members.status());
  uint64_t id = absl::GetFlag(FLAGS_id);
  if (id == 0 || members->count(id) == 0) {
    return fail(absl::InvalidArgumentError("--id must name one of --members"));
  }
  if (absl::GetFlag(FLAGS_data_dir).empty()) {
    return fail(absl::InvalidArgumentError("--data-dir is required"));
  }
  std::string log_kind = absl::GetFlag(FLAGS_log);
  if (log_kind != "segmented" && log_kind != "rocksdb") {
    return fail(absl::InvalidArgumentError("--log must be segmented or rocksdb"));
  }

  raft::ServerOptions server_options;
  server_options.id = id;
  server_options.listen_address =
      absl::GetFlag(FLAGS_listen).empty() ? members->at(id) : absl::GetFlag(FLAGS_listen);
  server_options.client_service = true;  // warren-counter talks RaftClientService
  auto server = raft::RaftServer::Create(server_options, std::make_unique<raft::GrpcTransport>());
  if (!server.ok()) return fail(server.status());

  raft::GroupOptions group;
  group.group = "counter";
  group.members = *members;
  group.join = absl::GetFlag(FLAGS_join);
  group.data_dir = absl::GetFlag(FLAGS_data_dir) + "/counter";
  group.log = log_kind == "rocksdb" ? raft::LogKind::kRocksDb : raft::LogKind::kSegmented;
  group.tick = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  group.snapshot_entries = absl::GetFlag(FLAGS_snapshot_entries);
  group.log_retention_entries = absl::GetFlag(FLAGS_log_retention);
  if (absl::GetFlag(FLAGS_lease_reads)) group.raft.read_only = raft::ReadOnlyOption::kLeaseBased;
  if (auto s = (*server)->AddGroup(group, std::make_unique<CounterStateMachine>()); !s.ok()) {
    return fail(s);
  }
  if (auto s = (*server)->Start(); !s.ok()) return fail(s);

  int sig = WaitForTerminationSignal();
  LOG(INFO) << "signal " << sig << ": shutting down";
  (*server)->Shutdown();
  return 0;
}
