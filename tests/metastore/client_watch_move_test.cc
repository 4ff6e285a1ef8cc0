// A persistent watch being set is sent what it missed before its acknowledgement. If the
// stream moves in between, the client must set the watch again from the newest event it was
// sent, not from before them: a member would send them again, out of order (found by the
// composed fault run: "watcher 0 saw zxid 6862 after 6939"). The member here is a stand-in
// that does exactly that: its first stream sends two events and breaks before the ack.
#include <mutex>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/client/metastore_client.h"
#include "proto/metastore.grpc.pb.h"

namespace warren::metastore {
namespace {

using ::testing::ElementsAre;

constexpr uint64_t kSession = 100;

class StandInMember final : public metastorepb::Metastore::Service {
 public:
  grpc::Status CreateSession(grpc::ServerContext*, const metastorepb::CreateSessionRequest* req,
                             metastorepb::CreateSessionResponse* resp) override {
    resp->set_session_id(kSession);
    resp->set_timeout_ms(req->timeout_ms());
    return grpc::Status::OK;
  }

  grpc::Status CloseSession(grpc::ServerContext*, const metastorepb::CloseSessionRequest*,
                            metastorepb::CloseSessionResponse*) override {
    return grpc::Status::OK;
  }

  grpc::Status Session(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<metastorepb::SessionEvent,
                                                metastorepb::SessionRequest>* stream) override {
    int stream_number;
    {
      std::lock_guard lock(mu_);
      stream_number = ++streams_;
    }
    metastorepb::SessionRequest req;
    while (stream->Read(&req)) {
      metastorepb::SessionEvent out;
      if (req.has_attach()) {
        out.mutable_attached()->set_session_id(kSession);
        out.mutable_attached()->set_timeout_ms(10000);
        stream->Write(out);
      } else if (req.has_add_watch()) {
        {
          std::lock_guard lock(mu_);
          since_.push_back(req.add_watch().since_zxid());
        }
        if (stream_number == 1) {
          // What the watch missed, then the stream breaks before the acknowledgement.
          for (uint64_t zxid : {5, 6}) {
            metastorepb::SessionEvent e;
            e.mutable_event()->set_type(metastorepb::NODE_CREATED);
            e.mutable_event()->set_path(absl::StrCat("/w/", zxid));
            e.mutable_event()->set_zxid(zxid);
            stream->Write(e);
          }
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the member went away");
        }
        out.mutable_watch_ack()->set_path(req.add_watch().path());
        out.mutable_watch_ack()->set_kind(req.add_watch().kind());
        out.mutable_watch_ack()->mutable_header()->set_zxid(6);
        stream->Write(out);
      }
    }
    return grpc::Status::OK;
  }

  std::vector<uint64_t> since() {
    std::lock_guard lock(mu_);
    return since_;
  }

 private:
  std::mutex mu_;
  int streams_ = 0;
  std::vector<uint64_t> since_;  // of each AddWatch received
};

TEST(ClientWatchMove, APersistentWatchIsSetAgainFromTheNewestEventItWasSent) {
  StandInMember member;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&member);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  ClientOptions options;
  options.endpoints = {absl::StrCat("127.0.0.1:", port)};
  options.request_timeout = absl::Seconds(10);
  auto client = MetastoreClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::mutex mu;
  std::vector<uint64_t> seen;
  (*client)->OnEvent([&](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu);
    seen.push_back(e.zxid());
  });
  ASSERT_TRUE((*client)->StartSession(absl::Seconds(10)).ok());
  ASSERT_TRUE((*client)->AddWatch("/w", /*recursive=*/true).ok());

  EXPECT_THAT(member.since(), ElementsAre(0, 6)) << "set again from before what it was sent";
  std::lock_guard lock(mu);
  EXPECT_THAT(seen, ElementsAre(5, 6));
  client->reset();
  server->Shutdown();
}

}  // namespace
}  // namespace warren::metastore
