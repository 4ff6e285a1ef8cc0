#include "metastore/zookeeper/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace warren::zookeeper {
namespace {

// The reason for the newest error on this thread's OpenSSL queue, which it empties.
std::string OpenSslError() {
  std::string why;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    why = buf;
  }
  return why.empty() ? "unknown TLS error" : why;
}

}  // namespace

// ---- TlsStream

TlsStream::TlsStream(SSL* ssl, std::string peer) : ssl_(ssl), peer_(std::move(peer)) {}

TlsStream::~TlsStream() { SSL_free(ssl_); }

ssize_t TlsStream::Read(char* buf, size_t n) {
  std::lock_guard lock(mu_);
  read_waits_for_write_ = false;
  ERR_clear_error();
  const int got = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, INT32_MAX)));
  if (got > 0) return got;
  switch (SSL_get_error(ssl_, got)) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      read_waits_for_write_ = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      return 0;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return 0;  // the client went without close_notify
      return -1;
    default:
      // Not TLS (a plaintext client on this port), a certificate refused, a bad record.
      LOG(WARNING) << "ZooKeeper client " << peer_ << " on the secure port: " << OpenSslError()
                   << ": closing";
      errno = ECONNRESET;
      return -1;
  }
}

ssize_t TlsStream::Write(const char* buf, size_t n) {
  std::lock_guard lock(mu_);
  ERR_clear_error();
  const int put = SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(n, INT32_MAX)));
  if (put > 0) return put;
  switch (SSL_get_error(ssl_, put)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) errno = EPIPE;
      return -1;
    default:
      VLOG(1) << "ZooKeeper client " << peer_ << ": writing: " << OpenSslError();
      errno = EPIPE;
      return -1;
  }
}

bool TlsStream::read_waits_for_write() const {
  std::lock_guard lock(mu_);
  return read_waits_for_write_;
}

bool TlsStream::has_pending() const {
  std::lock_guard lock(mu_);
  return SSL_pending(ssl_) > 0;
}

void TlsStream::Close() {
  std::lock_guard lock(mu_);
  ERR_clear_error();
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string TlsStream::PeerSubject() const {
  std::lock_guard lock(mu_);
  if (!SSL_is_init_finished(ssl_) || SSL_get_verify_result(ssl_) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  std::string subject;
  if (BIO* bio = BIO_new(BIO_s_mem()); bio != nullptr) {
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0) subject.assign(data, static_cast<size_t>(len));
    BIO_free(bio);
  }
  X509_free(cert);
  return subject;
}

// ---- TlsContext

TlsContext::TlsContext(TlsFiles files, bool require_client_cert)
    : files_(std::move(files)), require_client_cert_(require_client_cert) {}

TlsContext::~TlsContext() = default;

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::ForServer(TlsFiles files,
                                                                  bool require_client_cert) {
  if (absl::Status s = files.CheckForMember(); !s.ok()) return s;
  std::unique_ptr<TlsContext> c(new TlsContext(std::move(files), require_client_cert));
  auto ctx = c->Load();
  if (!ctx.ok()) return ctx.status();
  c->ctx_ = std::move(*ctx);
  c->fingerprint_ = c->Fingerprint();
  c->next_check_ = absl::Now() + absl::Seconds(c->files_.reload_seconds);
  return c;
}

absl::StatusOr<std::shared_ptr<SSL_CTX>> TlsContext::Load() const {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(OpenSslError());
  auto failed = [](const std::string& what, const std::string& path) {
    return absl::InvalidArgumentError(
        absl::StrCat("ZooKeeper's secure port: ", what, " ", path, ": ", OpenSslError()));
  };
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // A client that closes without close_notify (kazoo does) has simply closed.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // A write the socket did not take is retried from a buffer that may have moved (the
  // connection's queue), and a large one may go out in parts.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files_.cert.c_str()) != 1) {
    return failed("cannot use the certificate", files_.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files_.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return failed("cannot use the key (or it is not the certificate's)", files_.key);
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), files_.ca.c_str(), nullptr) != 1) {
    return failed("cannot use the CA", files_.ca);
  }
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files_.ca.c_str()); names != nullptr) {
    SSL_CTX_set_client_CA_list(ctx.get(), names);
  }
  if (!files_.crl_dir.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (lookup == nullptr ||
        X509_LOOKUP_add_dir(lookup, files_.crl_dir.c_str(), X509_FILETYPE_PEM) != 1) {
      return failed("cannot use the revocation lists in", files_.crl_dir);
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  SSL_CTX_set_verify(ctx.get(),
                     SSL_VERIFY_PEER | (require_client_cert_ ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     nullptr);
  return ctx;
}

std::string TlsContext::Fingerprint() const {
  std::string f;
  for (const std::string& path : {files_.ca, files_.cert, files_.key}) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      absl::StrAppend(&f, st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
    }
  }
  return f;
}

std::shared_ptr<SSL_CTX> TlsContext::Current() {
  std::lock_guard lock(mu_);
  const absl::Time now = absl::Now();
  if (now < next_check_) return ctx_;
  next_check_ = now + absl::Seconds(files_.reload_seconds);
  const std::string fingerprint = Fingerprint();
  if (fingerprint == fingerprint_) return ctx_;
  auto loaded = Load();
  if (!loaded.ok()) {
    // Half-replaced files, say: the old certificate serves until the next look.
    LOG(WARNING) << "keeping the secure port's certificate: " << loaded.status();
    return ctx_;
  }
  LOG(INFO) << "ZooKeeper's secure port: certificate files reloaded";
  ctx_ = std::move(*loaded);
  fingerprint_ = fingerprint;
  return ctx_;
}

std::unique_ptr<TlsStream> TlsContext::Accept(int fd, const std::string& peer) {
  std::shared_ptr<SSL_CTX> ctx = Current();
  SSL* ssl = SSL_new(ctx.get());  // holds its own reference to the context
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    LOG(WARNING) << "ZooKeeper's secure port: " << OpenSslError();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsStream>(ssl, peer);
}

}  // namespace warren::zookeeper
