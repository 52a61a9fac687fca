// aws/http/tls_context.h
//
// TlsContext: the OpenSSL client configuration every TLS connection of a transport shares: TLS 1.2
// or later, peer verification always on, and the trust store: the CA bundle file when one is
// given, else OpenSSL's default locations (Debian: /etc/ssl/certs; SSL_CERT_FILE and SSL_CERT_DIR
// override them). A peer that closes without TLS close_notify is an end of stream the connection
// marks as unclean (http/connection.h): a response delimited by the end of the connection is then
// refused as possibly truncated.
//
// Thread-safety: the context may be shared by connections on any number of threads.
//
// Example:
//   Result<std::unique_ptr<TlsContext>> tls = TlsContext::Create(options.ca_bundle);
//   if (!tls.ok()) return tls.error();           // kValidation: the bundle cannot be used
//   connection.StartTls((*tls)->get(), host, waiter, limit);
#pragma once

#include <memory>
#include <string>

#include "ohfp/resilience/result.h"

using SSL_CTX = struct ssl_ctx_st;

namespace ohfp::aws::http {

// OpenSSL's queued errors on this thread as one line ("" when there are none); clears the queue.
std::string TakeTlsErrors();

class TlsContext {
 public:
  // kValidation naming the file when `ca_bundle` (non-empty) cannot be read or holds no
  // certificate; kInternal when OpenSSL cannot create a context.
  static resilience::Result<std::unique_ptr<TlsContext>> Create(const std::string& ca_bundle);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const noexcept { return context_; }

 private:
  explicit TlsContext(SSL_CTX* context) : context_(context) {}
  SSL_CTX* context_;
};

}  // namespace ohfp::aws::http
