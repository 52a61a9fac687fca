#include "aws/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ohfp::aws::http {
namespace {

using resilience::Error;
using resilience::ErrorKind;

std::string TlsErrorsOrNoDetail() {
  std::string text = TakeTlsErrors();
  return text.empty() ? "no detail from OpenSSL" : text;
}

}  // namespace

std::string TakeTlsErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

resilience::Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& ca_bundle) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) {
    return Error(ErrorKind::kInternal, "TransportError",
                 "OpenSSL cannot create a TLS context: " + TlsErrorsOrNoDetail());
  }
  std::unique_ptr<TlsContext> owned(new TlsContext(context));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const int loaded = ca_bundle.empty()
                         ? SSL_CTX_set_default_verify_paths(context)
                         : SSL_CTX_load_verify_locations(context, ca_bundle.c_str(), nullptr);
  if (loaded != 1) {
    if (ca_bundle.empty()) {
      return Error(ErrorKind::kInternal, "TransportError",
                   "OpenSSL cannot use its default CA locations: " + TlsErrorsOrNoDetail());
    }
    return Error(ErrorKind::kValidation, "InvalidRequest",
                 "the CA bundle '" + ca_bundle +
                     "' cannot be read or holds no certificate: " + TlsErrorsOrNoDetail());
  }
  return owned;
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

}  // namespace ohfp::aws::http
