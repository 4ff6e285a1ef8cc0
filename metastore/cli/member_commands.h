#pragma once

#include "metastore/cli/cli.h"

namespace warren::metastore::cli {

// warren member list | add ID HOST:PORT [--learner] | promote ID | remove ID
int Member(MetastoreClient& client, const Args& args);
// warren members: the same as `member list`.
int MemberList(MetastoreClient& client, const Args& args);
// warren transfer-leader ID
int TransferLeader(MetastoreClient& client, const Args& args);

}  // namespace warren::metastore::cli
