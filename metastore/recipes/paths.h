#pragma once

#include <string>

#include "absl/status/status.h"
#include "metastore/client/metastore_client.h"

namespace warren::metastore::recipes {

// Creates `path` and its missing ancestors, as Curator's creatingParentsIfNeeded does. With
// `container`, they are containers, which the leader deletes once they are left empty (so a
// recipe's root does not outlive its users); a recipe then creates its node again when the
// container went away under it. OK if the path exists.
absl::Status EnsurePath(MetastoreClient& client, const std::string& path, bool container);

// Creates `path` (the node itself, with `data` and `opts`) after its ancestors, creating the
// ancestors again if a container among them was deleted meanwhile.
absl::StatusOr<std::string> CreateWithParents(MetastoreClient& client, const std::string& path,
                                              const std::string& data, const CreateOptions& opts,
                                              bool container_parents);

// True for the metastore errors after which a write's outcome is unknown.
bool OutcomeUnknown(const absl::Status& s);

}  // namespace warren::metastore::recipes
