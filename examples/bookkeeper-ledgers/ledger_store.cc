#include "examples/bookkeeper-ledgers/ledger_store.h"

#include <algorithm>
#include <random>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/recipes/paths.h"

namespace warren::bookkeeper {
namespace {

using metastore::ErrorOf;
using metastore::MetastoreClient;

constexpr char kFormatLine[] = "BookieMetadataFormatVersion\t2\n";
constexpr char kReadonly[] = "readonly";

std::string NewInstanceId() {
  absl::BitGen gen;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", absl::Uniform<uint32_t>(gen),
                         absl::Uniform<uint16_t>(gen), absl::Uniform<uint16_t>(gen),
                         absl::Uniform<uint16_t>(gen),
                         absl::Uniform<uint64_t>(gen) & 0xffffffffffffULL);
}

std::string CookieData(const std::string& bookie, const std::string& instance_id) {
  return absl::StrCat("4\nbookieHost: \"", bookie, "\"\ninstanceId: \"", instance_id, "\"\n");
}

// Creates `path` with `data` unless it exists; OK either way.
absl::Status CreateIfMissing(MetastoreClient& client, const std::string& path,
                             const std::string& data) {
  auto created = client.Create(path, data);
  if (created.ok() || ErrorOf(created.status()) == metastorepb::NODE_EXISTS) {
    return absl::OkStatus();
  }
  return created.status();
}

}  // namespace

std::string EncodeMetadata(const bookkeeperpb::LedgerMetadata& metadata) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(metadata, &text);
  return kFormatLine + text;
}

absl::StatusOr<bookkeeperpb::LedgerMetadata> DecodeMetadata(const std::string& data) {
  absl::string_view text = data;
  if (!absl::ConsumePrefix(&text, kFormatLine)) {
    return absl::DataLossError("ledger metadata without its format line");
  }
  bookkeeperpb::LedgerMetadata metadata;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &metadata)) {
    return absl::DataLossError("ledger metadata that does not parse");
  }
  return metadata;
}

absl::Status LedgerStore::Init(MetastoreClient& client, const std::string& root, Layout layout) {
  if (auto s = metastore::recipes::EnsurePath(client, root, /*container=*/false); !s.ok()) {
    return s;
  }
  const std::string layout_path = root + "/LAYOUT";
  // Whoever writes LAYOUT first decides; a second Init must agree with it.
  if (auto s = CreateIfMissing(client, layout_path, LayoutNodeData(layout)); !s.ok()) return s;
  auto existing = client.GetData(layout_path);
  if (!existing.ok()) return existing.status();
  auto current = LayoutFromNodeData(existing->data);
  if (!current.ok()) return current.status();
  if (*current != layout) {
    return absl::FailedPreconditionError(
        absl::StrCat(root, " is laid out ", LayoutName(*current), ", not ", LayoutName(layout)));
  }
  for (const auto& [path, data] : std::vector<std::pair<std::string, std::string>>{
           {root + "/INSTANCEID", NewInstanceId()},
           {root + "/available", ""},
           {root + "/available/readonly", ""},
           {root + "/cookies", ""},
           {root + "/idgen", ""},
       }) {
    if (auto s = CreateIfMissing(client, path, data); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LedgerStore>> LedgerStore::Open(MetastoreClient& client,
                                                               const std::string& root) {
  auto layout_node = client.GetData(root + "/LAYOUT");
  if (ErrorOf(layout_node.status()) == metastorepb::NO_NODE) {
    return absl::FailedPreconditionError(
        absl::StrCat(root, " has no LAYOUT: run `warren-ledgers init` first"));
  }
  if (!layout_node.ok()) return layout_node.status();
  auto layout = LayoutFromNodeData(layout_node->data);
  if (!layout.ok()) return layout.status();
  auto instance = client.GetData(root + "/INSTANCEID");
  if (!instance.ok()) return instance.status();
  return std::unique_ptr<LedgerStore>(new LedgerStore(client, root, *layout, instance->data));
}

LedgerStore::LedgerStore(MetastoreClient& client, std::string root, Layout layout,
                         std::string instance_id)
    : client_(client),
      root_(std::move(root)),
      layout_(layout),
      instance_id_(std::move(instance_id)) {}

absl::Status LedgerStore::RegisterBookie(const std::string& bookie, const std::string& address,
                                         bool readonly) {
  if (bookie.empty() || bookie == kReadonly || absl::StrContains(bookie, '/')) {
    return absl::InvalidArgumentError(absl::StrCat("bad bookie id \"", bookie, "\""));
  }
  const std::string cookie = root_ + "/cookies/" + bookie;
  if (auto s = CreateIfMissing(client_, cookie, CookieData(bookie, instance_id_)); !s.ok()) {
    return s;
  }
  auto written = client_.GetData(cookie);
  if (!written.ok()) return written.status();
  if (written->data != CookieData(bookie, instance_id_)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the cookie of ", bookie, " is not of this cluster (instance ", instance_id_,
                     "): its disks belong elsewhere"));
  }
  metastore::CreateOptions opts;
  opts.ephemeral = true;
  const std::string dir = root_ + (readonly ? "/available/readonly/" : "/available/");
  return client_.Create(dir + bookie, address, opts).status();
}

absl::StatusOr<std::vector<std::string>> LedgerStore::ListBookies(bool readonly) {
  auto children = client_.GetChildren(root_ + (readonly ? "/available/readonly" : "/available"));
  if (!children.ok()) return children.status();
  std::vector<std::string> out;
  for (const auto& c : children->children) {
    if (readonly || c.name() != kReadonly) out.push_back(c.name());
  }
  return out;
}

absl::StatusOr<int64_t> LedgerStore::NewLedgerNode(const std::string& data) {
  metastore::CreateOptions sequential;
  sequential.sequential = true;
  if (layout_ == Layout::kFlat) {
    // The ledger node is its own id's source: one create.
    auto path = client_.Create(root_ + "/L", data, sequential);
    if (!path.ok()) return path.status();
    auto id = LedgerIdOf(layout_, root_, *path);
    if (!id.has_value()) return absl::InternalError("unexpected ledger path " + *path);
    return *id;
  }
  // A sequential node under idgen hands out the id; the ledger then goes where it says.
  auto gen = client_.Create(root_ + "/idgen/ID-", "", sequential);
  if (!gen.ok()) return gen.status();
  int64_t id = 0;
  if (!absl::SimpleAtoi(std::string(metastore::BaseName(*gen).substr(3)), &id)) {
    return absl::InternalError("unexpected id node " + *gen);
  }
  if (auto s = client_.Delete(*gen); !s.ok() && ErrorOf(s) != metastorepb::NO_NODE) return s;
  auto made = metastore::recipes::CreateWithParents(client_, LedgerPath(layout_, root_, id), data,
                                                    {}, /*container_parents=*/false);
  if (!made.ok()) return made.status();
  return id;
}

absl::StatusOr<Ledger> LedgerStore::CreateLedger(const LedgerConfig& config) {
  if (config.ack_quorum_size < 1 || config.ack_quorum_size > config.write_quorum_size ||
      config.write_quorum_size > config.ensemble_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("need ensemble >= write quorum >= ack quorum >= 1; got ", config.ensemble_size,
                     ", ", config.write_quorum_size, ", ", config.ack_quorum_size));
  }
  auto bookies = ListBookies(/*readonly=*/false);
  if (!bookies.ok()) return bookies.status();
  if (static_cast<int>(bookies->size()) < config.ensemble_size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "not enough writable bookies: need ", config.ensemble_size, ", have ", bookies->size()));
  }
  std::shuffle(bookies->begin(), bookies->end(), absl::BitGen());
  Ledger ledger;
  auto& md = ledger.metadata;
  md.set_ensemble_size(config.ensemble_size);
  md.set_write_quorum_size(config.write_quorum_size);
  md.set_ack_quorum_size(config.ack_quorum_size);
  md.set_state(bookkeeperpb::LedgerMetadata::OPEN);
  md.set_last_entry_id(-1);
  md.set_ctime(absl::ToUnixMillis(absl::Now()));
  auto* segment = md.add_segments();
  segment->set_first_entry_id(0);
  for (int i = 0; i < config.ensemble_size; ++i) segment->add_bookies((*bookies)[i]);
  for (const auto& [k, v] : config.custom) (*md.mutable_custom())[k] = v;
  auto id = NewLedgerNode(EncodeMetadata(md));
  if (!id.ok()) return id.status();
  ledger.id = *id;
  return ledger;
}

absl::StatusOr<Ledger> LedgerStore::Read(int64_t id) {
  if (id < 0 || id > kMaxLedgerId) {
    return absl::InvalidArgumentError(absl::StrCat("ledger id ", id, " out of range"));
  }
  const std::string path = LedgerPath(layout_, root_, id);
  auto node = client_.GetData(path);
  if (!node.ok()) return node.status();
  auto md = DecodeMetadata(node->data);
  if (!md.ok()) return absl::DataLossError(absl::StrCat(path, ": ", md.status().message()));
  return Ledger{id, *md, node->stat.version()};
}

absl::StatusOr<int32_t> LedgerStore::Update(int64_t id,
                                            const bookkeeperpb::LedgerMetadata& metadata,
                                            int32_t version) {
  if (version < 0) return absl::InvalidArgumentError("an update needs the version it read");
  auto stat = client_.SetData(LedgerPath(layout_, root_, id), EncodeMetadata(metadata), version);
  if (!stat.ok()) return stat.status();
  return stat->version();
}

absl::StatusOr<int32_t> LedgerStore::Close(int64_t id, int64_t last_entry_id, int64_t length,
                                           int32_t version) {
  auto ledger = Read(id);
  if (!ledger.ok()) return ledger.status();
  if (ledger->metadata.state() == bookkeeperpb::LedgerMetadata::CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ledger ", id, " is closed already, at entry ", ledger->metadata.last_entry_id()));
  }
  ledger->metadata.set_state(bookkeeperpb::LedgerMetadata::CLOSED);
  ledger->metadata.set_last_entry_id(last_entry_id);
  ledger->metadata.set_length(length);
  // The version the caller read, not the one just read: a change in between must lose.
  return Update(id, ledger->metadata, version);
}

absl::Status LedgerStore::Delete(int64_t id, int32_t version) {
  return client_.Delete(LedgerPath(layout_, root_, id), version);
}

absl::StatusOr<std::vector<int64_t>> LedgerStore::List(int64_t from, int64_t to) {
  std::vector<int64_t> ids;
  if (from > to) return ids;
  if (auto s = ListUnder(root_, 0, 0, from, to, &ids); !s.ok()) return s;
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status LedgerStore::ListUnder(const std::string& path, int depth, int64_t base, int64_t from,
                                    int64_t to, std::vector<int64_t>* out) {
  auto children = client_.GetChildren(path);
  if (ErrorOf(children.status()) == metastorepb::NO_NODE) return absl::OkStatus();
  if (!children.ok()) return children.status();
  // The hierarchical directories at depth 0 and 1 hold the first 2 and the next 4 of an
  // id's 10 digits: each covers `span` ids from base + digits * span.
  static constexpr size_t kDigitsAt[] = {2, 4};
  static constexpr int64_t kSpanAt[] = {100'000'000, 10'000};
  for (const auto& c : children->children) {
    const std::string child = metastore::ChildPath(path, c.name());
    if (auto id = LedgerIdOf(layout_, root_, child); id.has_value()) {
      if (*id >= from && *id <= to) out->push_back(*id);
      continue;
    }
    int64_t digits = 0;
    if (layout_ != Layout::kHierarchical || depth > 1 || c.name().size() != kDigitsAt[depth] ||
        !absl::SimpleAtoi(c.name(), &digits)) {
      continue;  // LAYOUT, available, cookies, ...
    }
    const int64_t first = base + digits * kSpanAt[depth];
    const int64_t last = first + kSpanAt[depth] - 1;
    if (last < from || first > to) continue;
    if (auto s = ListUnder(child, depth + 1, first, from, to, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace warren::bookkeeper
