#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "examples/kafka-brokers/kafka_layout.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/event_waiter.h"

namespace warren::kafka {

// One Kafka broker's use of the metastore: it registers itself, contends for /controller, and
// while it is the controller keeps every partition led by a live replica.
//
// Becoming controller is one Multi: create /controller and bump /controller_epoch at the
// version just read. Every write the controller makes afterwards is a Multi that first checks
// /controller_epoch is still at the version its election left, so a controller that was
// paused or cut off while another was elected is refused (Kafka's epoch fencing) and stands
// down; two controllers never act in one epoch.
class Broker {
 public:
  Broker(metastore::MetastoreClient& client, int32_t id, std::string host, int32_t port);

  // Needs a session: the registration is ephemeral.
  absl::Status Register();
  // Contends and, when elected, acts, until `stop` or the session ends (returns why).
  absl::Status Run(const std::atomic<bool>& stop);

  // Assigns a new topic's partitions over the live brokers; the controller then elects their
  // leaders. Anyone may call it.
  static absl::Status CreateTopic(metastore::MetastoreClient& client, const std::string& topic,
                                  int32_t partitions, int32_t replication_factor);
  static absl::StatusOr<std::vector<int32_t>> LiveBrokers(metastore::MetastoreClient& client);

 private:
  // Tries once to become controller: the new epoch, or 0 if another is controller.
  absl::StatusOr<int32_t> TryElect();
  // One pass over every partition as controller; FailedPrecondition once fenced.
  absl::Status ActOnce();
  // A write as controller of `epoch_`, fenced by the epoch's version.
  absl::Status FencedWrite(std::vector<metastorepb::Op> ops, const std::string& what);

  metastore::MetastoreClient& client_;
  const int32_t id_;
  const std::string host_;
  const int32_t port_;
  metastore::recipes::EventWaiter waiter_;
  int32_t epoch_ = 0;          // as controller; 0: not controller
  int32_t epoch_version_ = 0;  // /controller_epoch's version that this election left
};

}  // namespace warren::kafka
