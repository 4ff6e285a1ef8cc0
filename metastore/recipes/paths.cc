#include "metastore/recipes/paths.h"

#include "metastore/errors.h"
#include "metastore/path.h"

namespace warren::metastore::recipes {

absl::Status EnsurePath(MetastoreClient& client, const std::string& path, bool container) {
  if (auto s = ValidatePath(path); !s.ok()) return s;
  if (path == "/") return absl::OkStatus();
  auto exists = client.Exists(path);
  if (!exists.ok()) return exists.status();
  if (exists->has_value()) return absl::OkStatus();
  CreateOptions opts;
  opts.container = container;
  absl::Status s = CreateWithParents(client, path, "", opts, container).status();
  // Someone else made it meanwhile: as good.
  return ErrorOf(s) == metastorepb::NODE_EXISTS ? absl::OkStatus() : s;
}

absl::StatusOr<std::string> CreateWithParents(MetastoreClient& client, const std::string& path,
                                              const std::string& data, const CreateOptions& opts,
                                              bool container_parents) {
  // Each NoNode means an ancestor is missing (or a container was just deleted): create it and
  // try again. The depth bounds the first pass; racing deletions get a few more.
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto created = client.Create(path, data, opts);
    if (ErrorOf(created.status()) != metastorepb::NO_NODE) return created;
    const std::string parent(ParentOf(path));
    CreateOptions parent_opts;
    parent_opts.container = container_parents;
    auto made = CreateWithParents(client, parent, "", parent_opts, container_parents);
    if (!made.ok() && ErrorOf(made.status()) != metastorepb::NODE_EXISTS) return made.status();
  }
  return MetaError(metastorepb::NO_NODE, path + ": its parent keeps disappearing");
}

bool OutcomeUnknown(const absl::Status& s) {
  const auto e = ErrorOf(s);
  return e == metastorepb::CONNECTION_LOSS || e == metastorepb::OPERATION_TIMEOUT;
}

}  // namespace warren::metastore::recipes
