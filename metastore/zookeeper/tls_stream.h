#pragma once

// TLS on ZooKeeper's secure client port (--zk-secure-port), over the port's non-blocking
// sockets: OpenSSL, as ZooKeeper's Netty server does it, so that ZooKeeper's own clients
// (zookeeper.client.secure, kazoo's use_ssl) connect unchanged.

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace warren::zookeeper {

// One connection's TLS session. Read and Write behave as recv and send on a non-blocking
// socket: the bytes moved, 0 once the client has closed (Read), or -1 with errno set (EAGAIN
// while TLS waits for the socket). Any thread; calls are serialized.
class TlsStream {
 public:
  TlsStream(SSL* ssl, std::string peer);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  ssize_t Read(char* buf, size_t n);
  ssize_t Write(const char* buf, size_t n);
  // The last Read stopped because TLS must write first (a handshake message the socket did
  // not take): read again once the socket is writable.
  bool read_waits_for_write() const;
  // Plaintext already decrypted and not yet read.
  bool has_pending() const;
  // Tells the client the connection ends (close_notify), as far as the socket takes it now.
  void Close();
  // The client's verified certificate's subject, RFC 2253 (`CN=alice,O=example`), as
  // ZooKeeper's X509AuthenticationProvider names it; empty without one or before the
  // handshake has completed.
  std::string PeerSubject() const;

 private:
  mutable std::mutex mu_;
  SSL* const ssl_;
  const std::string peer_;  // for logs
  bool read_waits_for_write_ = false;
};

// The port's TLS settings: the member's certificate and key, the CA that signs clients'
// certificates, whether a client must present one, and revocation lists. The files are read
// again when they change (looked at every TlsFiles::reload_seconds), for new connections.
class TlsContext {
 public:
  // InvalidArgument naming the file that is missing or not what it should be.
  static absl::StatusOr<std::unique_ptr<TlsContext>> ForServer(TlsFiles files,
                                                               bool require_client_cert);
  ~TlsContext();

  // A TLS session, as the server, over accepted socket `fd` (which it does not own).
  std::unique_ptr<TlsStream> Accept(int fd, const std::string& peer);

 private:
  TlsContext(TlsFiles files, bool require_client_cert);
  absl::StatusOr<std::shared_ptr<SSL_CTX>> Load() const;
  std::shared_ptr<SSL_CTX> Current();
  std::string Fingerprint() const;  // the files' sizes and modification times

  const TlsFiles files_;
  const bool require_client_cert_;
  std::mutex mu_;
  std::shared_ptr<SSL_CTX> ctx_;
  std::string fingerprint_;
  absl::Time next_check_;
};

}  // namespace warren::zookeeper
