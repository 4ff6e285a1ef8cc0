// etcd through its v3 gRPC API (bench/etcd/etcd_rpc.proto), as clientv3 uses it: one
// connection per client, to one member at a time (clients spread over the members), moving to
// the next member when a call fails for want of that one. Calls use gRPC's callback API, so
// any number can be in flight on one connection.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/etcd/etcd_rpc.grpc.pb.h"
#include "bench/load/driver.h"
#include "grpcpp/grpcpp.h"

namespace warren::bench {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd: ", s.error_message()));
}

class EtcdDriver : public Driver {
 public:
  explicit EtcdDriver(DriverOptions options) : options_(std::move(options)) {}

  ~EtcdDriver() override {
    for (auto& w : watchers_) w->ctx.TryCancel();
    for (auto& w : watchers_) w->reader.join();
  }

  absl::Status Connect(int clients) override {
    if (options_.endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoints");
    for (int i = 0; i < clients; ++i) {
      auto c = std::make_unique<Client>();
      for (const std::string& e : options_.endpoints) {
        grpc::ChannelArguments args;
        // A connection of its own, as each clientv3 client has.
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
        auto channel = grpc::CreateCustomChannel(e, grpc::InsecureChannelCredentials(), args);
        c->kv.push_back(etcdserverpb::KV::NewStub(channel));
        c->watch.push_back(etcdserverpb::Watch::NewStub(channel));
      }
      c->member = i % static_cast<int>(options_.endpoints.size());
      clients_.push_back(std::move(c));
    }
    return absl::OkStatus();
  }

  absl::Status EnsurePrefix(const std::string&) override { return absl::OkStatus(); }

  void Start(int client, const Request& r, Done done) override {
    Client& c = *clients_.at(client);
    const int member = c.member.load();
    auto finish = [&c, member, done = std::move(done)](const grpc::Status& s) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
          s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        int expected = member;
        c.member.compare_exchange_strong(expected, (member + 1) % c.kv.size());
      }
      done(FromGrpc(s));
    };
    etcdserverpb::KV::StubInterface::async_interface* kv = c.kv[member]->async();
    switch (r.kind) {
      case OpKind::kCreate:
        if (r.keys.size() > 1) {
          auto* call = NewCall<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse>();
          for (const std::string& key : r.keys) {
            auto* put = call->req.add_success()->mutable_request_put();
            put->set_key(key);
            put->set_value(*r.value);
          }
          kv->Txn(&call->ctx, &call->req, &call->resp, call->Then(std::move(finish)));
          return;
        }
        [[fallthrough]];  // a put of a new key
      case OpKind::kSet: {
        auto* call = NewCall<etcdserverpb::PutRequest, etcdserverpb::PutResponse>();
        call->req.set_key(r.keys.at(0));
        call->req.set_value(*r.value);
        kv->Put(&call->ctx, &call->req, &call->resp, call->Then(std::move(finish)));
        return;
      }
      case OpKind::kGet: {
        auto* call = NewCall<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>();
        call->req.set_key(r.keys.at(0));
        call->req.set_serializable(!options_.linearizable_reads);
        kv->Range(&call->ctx, &call->req, &call->resp, call->Then(std::move(finish)));
        return;
      }
    }
  }

  absl::Status Watch(int client, const std::string& key, OnEvent on_event) override {
    Client& c = *clients_.at(client);
    auto w = std::make_unique<Watcher>();
    w->stream = c.watch[c.member]->Watch(&w->ctx);
    etcdserverpb::WatchRequest req;
    req.mutable_create_request()->set_key(key);
    etcdserverpb::WatchResponse created;
    if (!w->stream->Write(req) || !w->stream->Read(&created) || !created.created()) {
      return FromGrpc(w->stream->Finish());
    }
    Watcher* raw = w.get();
    w->reader = std::thread([raw, on_event = std::move(on_event)] {
      etcdserverpb::WatchResponse resp;
      while (raw->stream->Read(&resp)) {
        for (int i = 0; i < resp.events_size(); ++i) on_event(absl::Now());
      }
    });
    watchers_.push_back(std::move(w));
    return absl::OkStatus();
  }

 private:
  struct Client {
    std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> kv;
    std::vector<std::unique_ptr<etcdserverpb::Watch::Stub>> watch;
    std::atomic<int> member{0};
  };
  // One call in flight; deletes itself when it completes, before reporting. Its context holds
  // the channel, and once the call is reported the driver may be destroyed: the channel must
  // not then be released last on gRPC's callback thread (gRPC 1.51 would free its callback
  // queue twice).
  template <typename Req, typename Resp>
  struct CallState {
    grpc::ClientContext ctx;
    Req req;
    Resp resp;
    template <typename F>
    std::function<void(grpc::Status)> Then(F finish) {
      return [this, finish = std::move(finish)](grpc::Status s) {
        delete this;
        finish(s);
      };
    }
  };
  template <typename Req, typename Resp>
  CallState<Req, Resp>* NewCall() {
    auto* call = new CallState<Req, Resp>;
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.op_timeout));
    return call;
  }
  struct Watcher {
    grpc::ClientContext ctx;
    std::unique_ptr<
        grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
        stream;
    std::thread reader;
  };

  DriverOptions options_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
};

}  // namespace

std::unique_ptr<Driver> MakeEtcdDriver(const DriverOptions& options) {
  return std::make_unique<EtcdDriver>(options);
}

}  // namespace warren::bench
