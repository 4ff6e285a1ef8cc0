#pragma once

#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace warren::metastore {

// A streaming call (Reactor: gRPC's ServerWriteReactor or ServerBidiReactor of the method)
// refused before anything was read: it ends with `why` and frees itself.
template <class Reactor>
class RefusedStream : public Reactor {
 public:
  explicit RefusedStream(const grpc::Status& why) { this->Finish(why); }
  void OnDone() override { delete this; }
};

}  // namespace warren::metastore
