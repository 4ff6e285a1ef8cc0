// One member of a Warren metastore quorum.
//   warrend --id=1 --members=1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003 --data-dir=DIR
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/config_file.h"
#include "common/dashed_flags.h"
#include "common/heap_releaser.h"
#include "common/signals.h"
#include "glog/logging.h"
#include "metastore/server/metastore_server.h"
#include "raft/client/raft_client.h"

ABSL_FLAG(std::string, config, "",
          "read flags from this file first, one 'name = value' per line (docs/operations.md)");
ABSL_FLAG(uint64_t, id, 0, "this member's id (> 0)");
ABSL_FLAG(std::string, members, "", "ID=HOST:PORT,... of the founding members (and this one)");
ABSL_FLAG(std::string, data_dir, "", "where this member keeps its log, snapshots and tree");
ABSL_FLAG(bool, join, false, "join an existing quorum (wait to be added) instead of founding it");
ABSL_FLAG(std::string, listen, "", "HOST:PORT to listen on (default: this member's address)");
ABSL_FLAG(std::string, client_address, "",
          "HOST:PORT where clients are served; the member's own address then serves only "
          "members and administrators (Raft, forwarding, membership, snapshots, backups). "
          "Empty: clients on the member's address too");
ABSL_FLAG(int, tick_ms, 50, "length of a Raft tick; elections time out after 10-20 ticks");
ABSL_FLAG(uint64_t, snapshot_entries, 10000, "take a snapshot every this many entries");
ABSL_FLAG(uint64_t, log_retention, 1000, "entries kept behind a snapshot for slow followers");
ABSL_FLAG(bool, lease_reads, false, "serve linearizable reads from the leader lease");
ABSL_FLAG(bool, unsafe_stale_reads, false,
          "BROKEN ON PURPOSE, for fault tests only: serve linearizable reads from this member's "
          "own state, possibly stale");
ABSL_FLAG(bool, unsafe_skip_checksums, false,
          "BROKEN ON PURPOSE, for fault tests only: take log records and snapshot files as they "
          "read, without checking their checksums, so that a member starts on a damaged disk");
ABSL_FLAG(uint64_t, log_segment_bytes, 64ull << 20,
          "a new Raft log segment file starts once the current one would grow past this");
ABSL_FLAG(bool, unsafe_non_atomic_multi, false,
          "BROKEN ON PURPOSE, for fault tests only: a multi whose op fails keeps the ops before "
          "it applied (its client is told it failed)");
ABSL_FLAG(bool, unsafe_no_fsync, false,
          "BROKEN ON PURPOSE, for fault tests only: never fsync the Raft log, the hard state "
          "or snapshots (RocksDB's own syncs of the tree remain), so a power loss loses "
          "acknowledged writes");
ABSL_FLAG(bool, unsafe_lease_without_margin, false,
          "BROKEN ON PURPOSE, for fault tests only: with --lease-reads, the leader lease lasts as "
          "long as the leader's own election timeout, with no margin for clock drift or tick "
          "rounding");
ABSL_FLAG(int64_t, apply_delay_ms, 0,
          "for fault tests only: sleep this long before applying each command, so that this "
          "member falls behind the others");
ABSL_FLAG(uint64_t, max_data_bytes, 1 << 20, "largest znode data accepted");
ABSL_FLAG(uint64_t, max_command_bytes, 4 << 20,
          "largest write accepted, a multi's ops together, as the command the leader proposes "
          "(at most 64 MiB; the same on every member)");
ABSL_FLAG(uint64_t, max_path_bytes, 4096,
          "longest znode path a request may name, in bytes (a sequential node's with its "
          "10-digit suffix); 0: no bound");
ABSL_FLAG(uint64_t, max_path_depth, 128,
          "most components a znode path a request names may have; 0: no bound");
ABSL_FLAG(uint64_t, max_children_per_node, 1000000,
          "most children a znode may have: a create beyond it is refused (the leader's value "
          "holds for the whole quorum); 0: no bound");
ABSL_FLAG(uint64_t, max_watches_per_session, 100000,
          "most paths one session may watch on this member (either door); 0: no bound");
ABSL_FLAG(uint64_t, max_sessions_per_address, 1000,
          "most sessions one client address may open through this member's gRPC API and hold "
          "open; 0: no bound");
ABSL_FLAG(uint64_t, max_requests_in_flight, 10000,
          "most client requests this member's gRPC API serves at once; beyond, requests are "
          "answered RESOURCE_EXHAUSTED; 0: no bound");
ABSL_FLAG(uint64_t, max_snapshot_bytes, uint64_t{64} << 30,
          "largest snapshot this member accepts from a leader; one is received at a time");
ABSL_FLAG(int64_t, min_session_timeout_ms, 2000, "session timeouts are raised to this");
ABSL_FLAG(int64_t, max_session_timeout_ms, 60000, "session timeouts are lowered to this");
ABSL_FLAG(int, zk_port, 0,
          "serve ZooKeeper's client protocol on this port of this member's host (clientPort); "
          "0: off");
ABSL_FLAG(int, zk_secure_port, 0,
          "serve ZooKeeper's client protocol over TLS on this port (secureClientPort), with "
          "--tls-ca, --tls-cert and --tls-key (and --tls-require-client-cert); 0: off");
ABSL_FLAG(uint64_t, zk_max_buffer_bytes, 0xfffff,
          "ZooKeeper port: the largest request accepted, as ZooKeeper's jute.maxbuffer");
ABSL_FLAG(std::string, zk_4lw_whitelist, "srvr",
          "ZooKeeper port: the four-letter words answered, comma-separated (ruok, srvr, stat, "
          "mntr, conf, cons, envi, wchs, dirs, isro), or * for all; as 4lw.commands.whitelist");
ABSL_FLAG(int, zk_max_client_connections, 60,
          "ZooKeeper port: connections from one IP address at most (maxClientCnxns); 0: no bound");
ABSL_FLAG(uint64_t, zk_max_outstanding_per_connection, 1000,
          "ZooKeeper port: requests one connection may have unanswered before its socket is no "
          "longer read until one is answered; 0: no bound");
ABSL_FLAG(uint64_t, zk_max_outstanding, 10000,
          "ZooKeeper port: requests unanswered over all connections before none is read "
          "(zookeeper.globalOutstandingLimit); 0: no bound");
ABSL_FLAG(std::string, metrics_address, "",
          "HOST:PORT where this member serves Prometheus metrics (/metrics) and its health "
          "checks (/healthz, /readyz); empty: off (docs/operations.md)");
ABSL_FLAG(std::string, tls_ca, "",
          "TLS on the member's port: PEM file of the CA that signs members' and clients' "
          "certificates (with --tls-cert and --tls-key; none: plaintext)");
ABSL_FLAG(std::string, tls_cert, "",
          "TLS: PEM file of this member's certificate (common name member-ID, its host or "
          "address among its subject alternative names)");
ABSL_FLAG(std::string, tls_key, "", "TLS: PEM file of this member's private key");
ABSL_FLAG(std::string, tls_crl_dir, "",
          "TLS: directory of certificate revocation lists (PEM, named as `openssl rehash` "
          "names them); a revoked member's or client's certificate is refused");
ABSL_FLAG(bool, tls_require_client_cert, false,
          "TLS: refuse clients that present no certificate signed by --tls-ca");
ABSL_FLAG(std::vector<std::string>, tls_admin_cn, {},
          "TLS: common names of the client certificates that may change the membership and "
          "take snapshots and backups (members' own certificates may)");
ABSL_FLAG(int, tls_reload_seconds, 60,
          "TLS: read the CA, certificate and key files again this often (rotation without a "
          "restart)");
ABSL_FLAG(std::string, super_digest, "",
          "user:<base64 sha1> of a superuser who passes every ACL, on the gRPC API and the "
          "ZooKeeper port (zookeeper.DigestAuthenticationProvider.superDigest), and may change "
          "the membership and take snapshots and backups");
ABSL_FLAG(std::string, zk_super_digest, "", "the same as --super-digest (its old name)");

int main(int argc, char** argv) {
  warren::BlockTerminationSignals();
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock detection on: a
  // global graph lock taken on every lock of every mutex gRPC uses. It showed in the profile
  // of a loaded leader (1% in its graph alone); turning it off removes that lock from every
  // path (docs/benchmarks.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "warrend --id=N --members=1=HOST:PORT,2=...,3=... --data-dir=DIR [--config=FILE]");
  auto fail = [](const absl::Status& s) {
    std::cerr << "warrend: " << s.message() << "\n";
    return 2;
  };
  // The file first, so that flags on the command line override it.
  if (auto config = warren::ConfigFileArg(argc, argv); config.has_value()) {
    if (auto s = warren::ApplyConfigFile(*config); !s.ok()) return fail(s);
  }
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  auto members = warren::raft::ParseMembers(absl::GetFlag(FLAGS_members));
  if (!members.ok()) return fail(members.status());
  warren::metastore::MetastoreOptions options;
  options.id = absl::GetFlag(FLAGS_id);
  options.members = *members;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.client_address = absl::GetFlag(FLAGS_client_address);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.join = absl::GetFlag(FLAGS_join);
  options.tick = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  options.snapshot_entries = absl::GetFlag(FLAGS_snapshot_entries);
  options.log_retention_entries = absl::GetFlag(FLAGS_log_retention);
  options.lease_reads = absl::GetFlag(FLAGS_lease_reads);
  options.unsafe_stale_reads = absl::GetFlag(FLAGS_unsafe_stale_reads);
  if (options.unsafe_stale_reads) LOG(WARNING) << "--unsafe-stale-reads: reads may be stale";
  options.unsafe_skip_checksums = absl::GetFlag(FLAGS_unsafe_skip_checksums);
  if (options.unsafe_skip_checksums) {
    LOG(WARNING) << "--unsafe-skip-checksums: damaged log records and snapshots are taken as read";
  }
  options.log_segment_bytes = absl::GetFlag(FLAGS_log_segment_bytes);
  if (options.log_segment_bytes < 4096 || options.log_segment_bytes > (uint64_t{1} << 40)) {
    return fail(absl::InvalidArgumentError("--log-segment-bytes must be 4096 to 1 TiB"));
  }
  options.unsafe_non_atomic_multi = absl::GetFlag(FLAGS_unsafe_non_atomic_multi);
  if (options.unsafe_non_atomic_multi) {
    LOG(WARNING) << "--unsafe-non-atomic-multi: a failed multi may be applied in part";
  }
  options.unsafe_no_fsync = absl::GetFlag(FLAGS_unsafe_no_fsync);
  if (options.unsafe_no_fsync) LOG(WARNING) << "--unsafe-no-fsync: nothing is made durable";
  options.unsafe_lease_without_margin = absl::GetFlag(FLAGS_unsafe_lease_without_margin);
  if (options.unsafe_lease_without_margin) {
    LOG(WARNING) << "--unsafe-lease-without-margin: lease reads may be stale";
  }
  options.apply_delay = absl::Milliseconds(absl::GetFlag(FLAGS_apply_delay_ms));
  if (options.apply_delay < absl::ZeroDuration()) {
    return fail(absl::InvalidArgumentError("--apply-delay-ms must be >= 0"));
  }
  if (options.apply_delay > absl::ZeroDuration()) {
    LOG(WARNING) << "--apply-delay-ms: applying each command " << options.apply_delay << " late";
  }
  options.limits.max_data_bytes = absl::GetFlag(FLAGS_max_data_bytes);
  options.limits.max_command_bytes = absl::GetFlag(FLAGS_max_command_bytes);
  options.limits.max_path_bytes = absl::GetFlag(FLAGS_max_path_bytes);
  options.limits.max_path_depth = absl::GetFlag(FLAGS_max_path_depth);
  options.limits.max_children_per_node = absl::GetFlag(FLAGS_max_children_per_node);
  options.max_watches_per_session = absl::GetFlag(FLAGS_max_watches_per_session);
  options.max_sessions_per_address = absl::GetFlag(FLAGS_max_sessions_per_address);
  options.max_requests_in_flight = absl::GetFlag(FLAGS_max_requests_in_flight);
  options.max_snapshot_bytes = absl::GetFlag(FLAGS_max_snapshot_bytes);
  options.limits.min_session_timeout_ms = absl::GetFlag(FLAGS_min_session_timeout_ms);
  options.limits.max_session_timeout_ms = absl::GetFlag(FLAGS_max_session_timeout_ms);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.tls.ca = absl::GetFlag(FLAGS_tls_ca);
  options.tls.cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key = absl::GetFlag(FLAGS_tls_key);
  options.tls.crl_dir = absl::GetFlag(FLAGS_tls_crl_dir);
  if (absl::GetFlag(FLAGS_tls_reload_seconds) <= 0) {
    return fail(absl::InvalidArgumentError("--tls-reload-seconds must be > 0"));
  }
  options.tls.reload_seconds = absl::GetFlag(FLAGS_tls_reload_seconds);
  options.require_client_certs = absl::GetFlag(FLAGS_tls_require_client_cert);
  for (const std::string& name : absl::GetFlag(FLAGS_tls_admin_cn)) {
    if (!name.empty()) options.admin_names.insert(name);
  }
  if (options.tls.enabled()) {
    if (auto s = options.tls.CheckForMember(); !s.ok()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("--tls-ca, --tls-cert and --tls-key go together: ", s.message())));
    }
  } else if (options.require_client_certs || !options.tls.crl_dir.empty() ||
             !options.admin_names.empty()) {
    return fail(absl::InvalidArgumentError(
        "--tls-require-client-cert, --tls-crl-dir and --tls-admin-cn need --tls-ca, --tls-cert "
        "and --tls-key"));
  }
  options.super_digest = absl::GetFlag(FLAGS_super_digest);
  if (const std::string old = absl::GetFlag(FLAGS_zk_super_digest); !old.empty()) {
    if (!options.super_digest.empty() && options.super_digest != old) {
      return fail(absl::InvalidArgumentError(
          "--zk-super-digest is the old name of --super-digest: give one, or both the same"));
    }
    options.super_digest = old;
  }
  if (!options.super_digest.empty() &&
      std::count(options.super_digest.begin(), options.super_digest.end(), ':') != 1) {
    return fail(absl::InvalidArgumentError(
        "--super-digest must be USER:<base64 sha1> (one colon), as DigestAuthenticationProvider "
        "prints it"));
  }
  if (options.id == 0) return fail(absl::InvalidArgumentError("--id is required (> 0)"));
  if (options.data_dir.empty()) return fail(absl::InvalidArgumentError("--data-dir is required"));
  if (absl::GetFlag(FLAGS_tick_ms) <= 0) {
    return fail(absl::InvalidArgumentError("--tick-ms must be > 0"));
  }
  if (options.limits.min_session_timeout_ms <= 0 ||
      options.limits.min_session_timeout_ms > options.limits.max_session_timeout_ms) {
    return fail(absl::InvalidArgumentError(
        "need 0 < --min-session-timeout-ms <= --max-session-timeout-ms"));
  }

  const int zk_port = absl::GetFlag(FLAGS_zk_port);
  const int zk_secure_port = absl::GetFlag(FLAGS_zk_secure_port);
  if (zk_port != 0 || zk_secure_port != 0) {
    if (zk_port < 0 || zk_port > 65535) {
      return fail(absl::InvalidArgumentError("--zk-port must be 0 (off) or a port number"));
    }
    if (zk_secure_port < 0 || zk_secure_port > 65535) {
      return fail(absl::InvalidArgumentError("--zk-secure-port must be 0 (off) or a port number"));
    }
    if (zk_secure_port != 0 && !options.tls.enabled()) {
      return fail(absl::InvalidArgumentError(
          "--zk-secure-port needs the member's certificate: --tls-ca, --tls-cert and --tls-key"));
    }
    if (zk_port != 0 && zk_port == zk_secure_port) {
      return fail(absl::InvalidArgumentError("--zk-port and --zk-secure-port must differ"));
    }
    warren::zookeeper::ZooKeeperOptions zk;
    zk.port = zk_port;
    zk.plaintext = zk_port != 0;
    if (zk_secure_port != 0) {
      zk.secure_port = zk_secure_port;
      zk.tls = options.tls;
      zk.require_client_cert = options.require_client_certs;
    }
    zk.max_buffer_bytes = absl::GetFlag(FLAGS_zk_max_buffer_bytes);
    if (zk.max_buffer_bytes == 0 || zk.max_buffer_bytes > (size_t{1} << 30)) {
      return fail(absl::InvalidArgumentError("--zk-max-buffer-bytes must be in 1..1 GiB"));
    }
    zk.four_letter_words.clear();
    for (absl::string_view w :
         absl::StrSplit(absl::GetFlag(FLAGS_zk_4lw_whitelist), ',', absl::SkipWhitespace())) {
      w = absl::StripAsciiWhitespace(w);
      if (w != "*" && !warren::zookeeper::IsFourLetterWord(std::string(w))) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("--zk-4lw-whitelist: '", w, "' is not a four-letter word")));
      }
      zk.four_letter_words.insert(std::string(w));
    }
    zk.max_connections_per_ip = absl::GetFlag(FLAGS_zk_max_client_connections);
    zk.max_outstanding_per_connection = absl::GetFlag(FLAGS_zk_max_outstanding_per_connection);
    zk.max_outstanding = absl::GetFlag(FLAGS_zk_max_outstanding);
    zk.handler.super_digest = options.super_digest;
    options.zookeeper = std::move(zk);
  }

  auto server = warren::metastore::MetastoreServer::Start(options);
  if (!server.ok()) {
    // One line that says what is wrong; for a damaged data directory, which file, where, and
    // what to do (the re-seed procedure).
    LOG(ERROR) << "warrend: member " << options.id
               << " cannot start: " << absl::StatusCodeToString(server.status().code()) << ": "
               << server.status().message();
    return 2;
  }
  // Every second, what lies free past 64 MiB goes back to the kernel (common/heap_releaser.h).
  const warren::HeapReleaser releaser(absl::Seconds(1), size_t{64} << 20);
  int sig = warren::WaitForTerminationSignal();
  LOG(INFO) << "signal " << sig << ": shutting down";
  (*server)->Shutdown();
  return 0;
}
