#include "examples/kafka-brokers/broker.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/ops.h"
#include "metastore/recipes/paths.h"

namespace warren::kafka {
namespace {

using metastore::CheckOp;
using metastore::CreateOp;
using metastore::ErrorOf;
using metastore::MetastoreClient;
using metastore::SetOp;

constexpr absl::Duration kActEvery = absl::Milliseconds(100);

metastorepb::Op LogOp(int32_t epoch, int32_t broker, const std::string& what) {
  metastorepb::Op op = CreateOp(absl::StrCat(kControllerLog, "/action-"),
                                absl::StrCat("epoch ", epoch, " broker ", broker, " ", what));
  op.mutable_create()->set_sequential(true);
  return op;
}

}  // namespace

Broker::Broker(MetastoreClient& client, int32_t id, std::string host, int32_t port)
    : client_(client), id_(id), host_(std::move(host)), port_(port), waiter_(client) {}

absl::Status Broker::Register() {
  for (const char* path : {kBrokerIds, kTopics, kControllerLog}) {
    if (auto s = metastore::recipes::EnsurePath(client_, path, /*container=*/false); !s.ok()) {
      return s;
    }
  }
  metastore::CreateOptions opts;
  opts.ephemeral = true;
  return client_.Create(BrokerPath(id_), BrokerJson(host_, port_), opts).status();
}

absl::StatusOr<std::vector<int32_t>> Broker::LiveBrokers(MetastoreClient& client) {
  auto children = client.GetChildren(kBrokerIds);
  if (!children.ok()) return children.status();
  std::vector<int32_t> out;
  for (const auto& c : children->children) {
    int32_t id = 0;
    if (absl::SimpleAtoi(c.name(), &id)) out.push_back(id);
  }
  return out;
}

absl::Status Broker::CreateTopic(MetastoreClient& client, const std::string& topic,
                                 int32_t partitions, int32_t replication_factor) {
  if (topic.empty() || topic.find('/') != std::string::npos || topic == "." || topic == "..") {
    return absl::InvalidArgumentError(absl::StrCat("bad topic name \"", topic, "\""));
  }
  auto brokers = LiveBrokers(client);
  if (!brokers.ok()) return brokers.status();
  auto assignment = AssignReplicas(*brokers, partitions, replication_factor);
  if (!assignment.ok()) return assignment.status();
  return metastore::recipes::CreateWithParents(client, TopicPath(topic),
                                               AssignmentJson(*assignment), {},
                                               /*container_parents=*/false)
      .status();
}

absl::StatusOr<int32_t> Broker::TryElect() {
  auto epoch_node = client_.GetData(kControllerEpoch);
  if (ErrorOf(epoch_node.status()) == metastorepb::NO_NODE) {
    auto made = client_.Create(kControllerEpoch, "0");
    if (!made.ok() && ErrorOf(made.status()) != metastorepb::NODE_EXISTS) return made.status();
    return 0;  // look again
  }
  if (!epoch_node.ok()) return epoch_node.status();
  int32_t epoch = 0;
  if (!absl::SimpleAtoi(epoch_node->data, &epoch)) {
    return absl::DataLossError(absl::StrCat(kControllerEpoch, " holds \"", epoch_node->data, "\""));
  }
  metastorepb::Op controller = CreateOp(kController, ControllerJson(id_));
  controller.mutable_create()->set_ephemeral(true);
  std::vector<metastorepb::OpResult> results;
  absl::Status s = client_.Multi(
      {controller, SetOp(kControllerEpoch, absl::StrCat(epoch + 1), epoch_node->stat.version()),
       LogOp(epoch + 1, id_, "elected")},
      &results);
  if (ErrorOf(s) == metastorepb::NODE_EXISTS || ErrorOf(s) == metastorepb::BAD_VERSION) return 0;
  if (!s.ok()) return s;
  epoch_version_ = results[1].stat().version();
  return epoch + 1;
}

absl::Status Broker::FencedWrite(std::vector<metastorepb::Op> ops, const std::string& what) {
  ops.insert(ops.begin(), CheckOp(kControllerEpoch, epoch_version_));
  ops.push_back(LogOp(epoch_, id_, what));
  absl::Status s = client_.Multi(ops);
  if (ErrorOf(s) == metastorepb::BAD_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("fenced: another controller was elected after epoch ", epoch_));
  }
  return s;
}

absl::Status Broker::ActOnce() {
  auto live = LiveBrokers(client_);
  if (!live.ok()) return live.status();
  const std::set<int32_t> alive(live->begin(), live->end());
  auto topics = client_.GetChildren(kTopics);
  if (!topics.ok()) return topics.status();
  for (const auto& t : topics->children) {
    auto node = client_.GetData(TopicPath(t.name()));
    if (!node.ok()) continue;  // deleted meanwhile
    auto assignment = ParseAssignment(node->data);
    if (!assignment.ok()) {
      LOG(WARNING) << TopicPath(t.name()) << ": " << assignment.status();
      continue;
    }
    for (const auto& [p, replicas] : *assignment) {
      const std::string path = PartitionStatePath(t.name(), p);
      auto current = client_.GetData(path);
      if (!current.ok() && ErrorOf(current.status()) != metastorepb::NO_NODE) {
        return current.status();
      }
      std::optional<PartitionState> state;
      if (current.ok()) {
        auto parsed = ParsePartitionState(current->data);
        if (parsed.ok()) state = *parsed;
      }
      PartitionState want;
      for (int32_t r : replicas) {
        if (alive.count(r) > 0) want.isr.push_back(r);
      }
      // Keep a live leader; else the first live replica.
      want.leader = want.isr.empty() ? -1 : want.isr.front();
      if (state.has_value() && alive.count(state->leader) > 0) want.leader = state->leader;
      want.leader_epoch = state.has_value() ? state->leader_epoch : 0;
      if (state.has_value() && state->leader == want.leader && state->isr == want.isr) continue;
      if (state.has_value()) ++want.leader_epoch;
      want.controller_epoch = epoch_;
      std::vector<metastorepb::Op> ops;
      if (current.ok()) {
        ops.push_back(SetOp(path, PartitionStateJson(want), current->stat.version()));
      } else {
        // Parents first: .../partitions and .../partitions/<p>, created if missing.
        const std::string partitions = TopicPath(t.name()) + "/partitions";
        if (auto s = metastore::recipes::EnsurePath(client_, absl::StrCat(partitions, "/", p),
                                                    /*container=*/false);
            !s.ok()) {
          return s;
        }
        ops.push_back(CreateOp(path, PartitionStateJson(want)));
      }
      absl::Status s =
          FencedWrite(std::move(ops), absl::StrCat(t.name(), "-", p, " leader ", want.leader));
      // A racing write of the same state (BadVersion/NodeExists on the state) is looked at
      // again next pass; being fenced ends this controllership.
      if (s.code() == absl::StatusCode::kFailedPrecondition) return s;
      if (!s.ok()) LOG(WARNING) << path << ": " << s;
    }
  }
  return absl::OkStatus();
}

absl::Status Broker::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (auto s = waiter_.SessionStatus(); !s.ok()) return s;
    if (epoch_ == 0) {
      // Watch /controller before trying, so that its deletion is not missed.
      waiter_.Arm(kController);
      auto exists = client_.Exists(kController, /*watch=*/true);
      if (!exists.ok()) return exists.status();
      if (exists->has_value()) {
        auto s = waiter_.Wait(kController, absl::Now() + absl::Milliseconds(500));
        if (!s.ok() && ErrorOf(s) != metastorepb::OPERATION_TIMEOUT) return s;
        continue;
      }
      auto epoch = TryElect();
      if (!epoch.ok()) return epoch.status();
      epoch_ = *epoch;
      if (epoch_ != 0) LOG(INFO) << "broker " << id_ << ": controller, epoch " << epoch_;
      continue;
    }
    absl::Status s = ActOnce();
    if (s.code() == absl::StatusCode::kFailedPrecondition) {
      LOG(WARNING) << "broker " << id_ << ": " << s.message() << "; standing down";
      epoch_ = 0;
      continue;
    }
    if (!s.ok()) LOG(WARNING) << "broker " << id_ << ": " << s;
    absl::SleepFor(kActEvery);
  }
  return absl::OkStatus();
}

}  // namespace warren::kafka
