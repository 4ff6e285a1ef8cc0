#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warren::kafka {

// Kafka's ZooKeeper layout, as its brokers and controller use it:
//   /brokers/ids/<id>                            a live broker (ephemeral, endpoint JSON)
//   /controller                                  the controller (ephemeral, {"brokerid":..})
//   /controller_epoch                            bumped at every election, in the same Multi
//   /brokers/topics/<topic>                      the partitions' replica assignment
//   /brokers/topics/<topic>/partitions/<p>/state leader, leader epoch, ISR; written by the
//                                                controller with its epoch
// and one addition of this example, to make the controller's actions checkable:
//   /controller_log/action-<seq>                 "epoch <E> broker <id> <what>"
inline constexpr char kBrokerIds[] = "/brokers/ids";
inline constexpr char kTopics[] = "/brokers/topics";
inline constexpr char kController[] = "/controller";
inline constexpr char kControllerEpoch[] = "/controller_epoch";
inline constexpr char kControllerLog[] = "/controller_log";

std::string BrokerPath(int32_t id);
std::string TopicPath(const std::string& topic);
std::string PartitionStatePath(const std::string& topic, int32_t partition);

std::string BrokerJson(const std::string& host, int32_t port);
std::string ControllerJson(int32_t broker);
absl::StatusOr<int32_t> ControllerBroker(const std::string& json);

using Assignment = std::map<int32_t, std::vector<int32_t>>;  // partition -> replicas
std::string AssignmentJson(const Assignment& assignment);
absl::StatusOr<Assignment> ParseAssignment(const std::string& json);

struct PartitionState {
  int32_t controller_epoch = 0;
  int32_t leader = -1;  // -1: none alive
  int32_t leader_epoch = 0;
  std::vector<int32_t> isr;
  bool operator==(const PartitionState&) const = default;
};
std::string PartitionStateJson(const PartitionState& state);
absl::StatusOr<PartitionState> ParsePartitionState(const std::string& json);

// Replicas for `partitions` partitions over `brokers`, round robin as Kafka's default
// assignment does (without racks). InvalidArgument if there are fewer brokers than replicas.
absl::StatusOr<Assignment> AssignReplicas(const std::vector<int32_t>& brokers, int32_t partitions,
                                          int32_t replication_factor);

}  // namespace warren::kafka
