#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "proto/metastore.grpc.pb.h"
#include "raft/server/division.h"

namespace warren::metastore {

// One Backup call: the member takes a snapshot now and streams its file, 1 MiB per message.
// The file is held open from the start, so that a newer snapshot pruning it cannot cut the
// stream short. Deletes itself when the call is done.
class BackupStream : public grpc::ServerWriteReactor<metastorepb::BackupChunk> {
 public:
  explicit BackupStream(raft::Division* division);
  ~BackupStream() override;

  void OnWriteDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  // Called once the snapshot is durable, on the division's apply thread.
  void Opened(const raft::Result& taken, raft::Division* division);
  // Writes the next chunk, or finishes at the end of the file.
  void SendNext();

  int fd_ = -1;
  std::string path_;
  metastorepb::BackupChunk chunk_;
};

}  // namespace warren::metastore
