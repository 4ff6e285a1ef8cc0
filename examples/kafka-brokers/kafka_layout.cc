#include "examples/kafka-brokers/kafka_layout.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace warren::kafka {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

std::string ToJson(const Struct& s) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(s, &out);
  return out;
}

absl::StatusOr<Struct> FromJson(const std::string& json, const char* what) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(json, &s).ok()) {
    return absl::DataLossError(absl::StrCat(what, " is not JSON: ", json.substr(0, 80)));
  }
  return s;
}

Value Number(double n) {
  Value v;
  v.set_number_value(n);
  return v;
}

Value Numbers(const std::vector<int32_t>& ns) {
  Value v;
  for (int32_t n : ns) *v.mutable_list_value()->add_values() = Number(n);
  return v;
}

absl::StatusOr<std::vector<int32_t>> IntList(const Value& v, const char* what) {
  if (!v.has_list_value()) return absl::DataLossError(absl::StrCat(what, ": not a list"));
  std::vector<int32_t> out;
  for (const auto& n : v.list_value().values()) {
    if (!n.has_number_value()) return absl::DataLossError(absl::StrCat(what, ": not a number"));
    out.push_back(static_cast<int32_t>(n.number_value()));
  }
  return out;
}

absl::StatusOr<int32_t> IntField(const Struct& s, const char* name, const char* what) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || !it->second.has_number_value()) {
    return absl::DataLossError(absl::StrCat(what, ": no number \"", name, "\""));
  }
  return static_cast<int32_t>(it->second.number_value());
}

}  // namespace

std::string BrokerPath(int32_t id) { return absl::StrCat(kBrokerIds, "/", id); }
std::string TopicPath(const std::string& topic) { return absl::StrCat(kTopics, "/", topic); }
std::string PartitionStatePath(const std::string& topic, int32_t partition) {
  return absl::StrCat(TopicPath(topic), "/partitions/", partition, "/state");
}

std::string BrokerJson(const std::string& host, int32_t port) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["version"] = Number(4);
  f["host"].set_string_value(host);
  f["port"] = Number(port);
  f["jmx_port"] = Number(-1);
  f["timestamp"].set_string_value(absl::StrCat(absl::ToUnixMillis(absl::Now())));
  f["endpoints"].mutable_list_value()->add_values()->set_string_value(
      absl::StrCat("PLAINTEXT://", host, ":", port));
  return ToJson(s);
}

std::string ControllerJson(int32_t broker) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["version"] = Number(1);
  f["brokerid"] = Number(broker);
  f["timestamp"].set_string_value(absl::StrCat(absl::ToUnixMillis(absl::Now())));
  return ToJson(s);
}

absl::StatusOr<int32_t> ControllerBroker(const std::string& json) {
  auto s = FromJson(json, "/controller");
  if (!s.ok()) return s.status();
  return IntField(*s, "brokerid", "/controller");
}

std::string AssignmentJson(const Assignment& assignment) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["version"] = Number(2);
  auto& partitions = *f["partitions"].mutable_struct_value()->mutable_fields();
  for (const auto& [p, replicas] : assignment) partitions[absl::StrCat(p)] = Numbers(replicas);
  return ToJson(s);
}

absl::StatusOr<Assignment> ParseAssignment(const std::string& json) {
  auto s = FromJson(json, "assignment");
  if (!s.ok()) return s.status();
  auto it = s->fields().find("partitions");
  if (it == s->fields().end() || !it->second.has_struct_value()) {
    return absl::DataLossError("assignment without \"partitions\"");
  }
  Assignment out;
  for (const auto& [key, replicas] : it->second.struct_value().fields()) {
    int32_t p = 0;
    if (!absl::SimpleAtoi(key, &p)) return absl::DataLossError("partition " + key);
    auto list = IntList(replicas, "replicas");
    if (!list.ok()) return list.status();
    out[p] = *list;
  }
  return out;
}

std::string PartitionStateJson(const PartitionState& state) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["version"] = Number(1);
  f["controller_epoch"] = Number(state.controller_epoch);
  f["leader"] = Number(state.leader);
  f["leader_epoch"] = Number(state.leader_epoch);
  f["isr"] = Numbers(state.isr);
  return ToJson(s);
}

absl::StatusOr<PartitionState> ParsePartitionState(const std::string& json) {
  auto s = FromJson(json, "partition state");
  if (!s.ok()) return s.status();
  PartitionState state;
  for (auto [name, field] :
       {std::pair{"controller_epoch", &state.controller_epoch}, std::pair{"leader", &state.leader},
        std::pair{"leader_epoch", &state.leader_epoch}}) {
    auto v = IntField(*s, name, "partition state");
    if (!v.ok()) return v.status();
    *field = *v;
  }
  auto isr = s->fields().find("isr");
  if (isr == s->fields().end()) return absl::DataLossError("partition state without \"isr\"");
  auto list = IntList(isr->second, "isr");
  if (!list.ok()) return list.status();
  state.isr = *list;
  return state;
}

absl::StatusOr<Assignment> AssignReplicas(const std::vector<int32_t>& brokers, int32_t partitions,
                                          int32_t replication_factor) {
  if (partitions < 1 || replication_factor < 1) {
    return absl::InvalidArgumentError("partitions and replication factor must be at least 1");
  }
  if (static_cast<int32_t>(brokers.size()) < replication_factor) {
    return absl::InvalidArgumentError(absl::StrCat("replication factor ", replication_factor,
                                                   " needs as many brokers; ", brokers.size(),
                                                   " are alive"));
  }
  std::vector<int32_t> sorted = brokers;
  std::sort(sorted.begin(), sorted.end());
  Assignment out;
  for (int32_t p = 0; p < partitions; ++p) {
    for (int32_t r = 0; r < replication_factor; ++r) {
      out[p].push_back(sorted[(p + r) % sorted.size()]);
    }
  }
  return out;
}

}  // namespace warren::kafka
