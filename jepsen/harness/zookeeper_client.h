// Client over warrend's ZooKeeper port, through ZooKeeper's own C client (Debian's
// libzookeeper-mt): what an application written for ZooKeeper does to the cluster.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jepsen/harness/client.h"

namespace warren::jepsen {

struct ZooKeeperClientOptions {
  // host:port of the members' ZooKeeper ports. The C client tries them in this order (its
  // shuffle is off, see SetUpZooKeeperClients) and moves on to the next when one fails.
  std::vector<std::string> hosts;
  // If set, the hosts as the group is now: the client follows the group's changes
  // (zoo_set_servers), as an application that watches ZooKeeper's configuration does.
  std::function<std::vector<std::string>()> hosts_now;
  absl::Duration session_timeout = absl::Seconds(10);
  // The caller holds this one session: once it has ended, calls fail with SessionExpired.
  // Otherwise the session only carries the calls, and a new one replaces it at the next call
  // after it expired.
  bool own_session = false;
  // How long ConnectZooKeeper waits for the session, with own_session.
  absl::Duration connect_timeout = absl::Seconds(15);
};

// Once per process, before any client: the C client logs its warnings and errors (with
// `debug`, every request, reply and event) to `log_path`, not to stderr, where the verdict
// goes; and it tries hosts in the order given.
void SetUpZooKeeperClients(const std::string& log_path, bool debug);

// With own_session, a client once its session is established (ConnectionLoss if it was not
// within connect_timeout). Without, a client that connects at its first call: never an error.
absl::StatusOr<std::unique_ptr<Client>> ConnectZooKeeper(ZooKeeperClientOptions options);

}  // namespace warren::jepsen
