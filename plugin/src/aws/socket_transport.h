// aws/socket_transport.h
//
// SocketTransport: the HttpTransport ohfp runs on. HTTP/1.1 written directly over POSIX sockets,
// with OpenSSL for TLS (ohfp links OpenSSL for SigV4 anyway). It exists because a HostFactory call
// is a whole process: libcurl and its 29 shared libraries cost about 4 ms to load in every one of
// them, more than a third of a getRequestStatus (docs/benchmarks.md). CurlTransport behaves the
// same and passes the same tests; embedders who want libcurl can use it instead.
//
// One attempt per Send(): no redirects, no retries, no "Expect: 100-continue", and never a request
// sent twice: when a reused keep-alive connection dies after the request went out and before any
// byte of the answer came back, the call fails (kTransient, "not sent again"), because only the
// resilience pipeline may decide to send it again. An idle connection is checked before reuse, so
// a connection the server closed while idle is replaced before anything is sent.
//
// Time: connecting (name lookup included) gets the smaller of `connect_timeout` and what is left
// of the deadline; the whole exchange gets what is left of the deadline, read from the injected
// clock the deadline was made with. An expired deadline or an already-requested stop returns at
// once without sending. A stop requested during the exchange wakes it at once (kCancelled).
//
// Errors: timeout -> kTimeout; unresolvable host, refused or reset connection, an empty,
// truncated or malformed answer -> kTransient; a body over `max_response_body` -> kTransient
// "ResponseTooLarge" (a Content-Length over it is refused before the body is read, a chunked or
// close-delimited body is cut off when it passes it; the connection is closed); stop -> kCancelled;
// malformed URL, unsupported scheme, CR/LF/NUL in a header or URL, an invalid method, an unusable
// CA bundle, a peer certificate that does not verify (chain, name or address) -> kValidation. Any
// HTTP status is a response.
//
// Request: the request line, then Host (from the URL unless the request has one), the request's
// headers exactly (an empty value is sent as "Name:"), User-Agent unless given, and Content-Length
// when there is a body or the method is POST, PUT or PATCH. Response bodies: Content-Length,
// chunked, or until the connection closes (http/response_parser.h).
//
// Proxy: `proxy_host` (an http:// proxy). Plain-HTTP requests go to it in absolute form; HTTPS
// requests go through a CONNECT tunnel, with TLS end to end to the target. The environment's
// http_proxy & co. are ignored: only the options decide.
//
// Thread-safety: Send() is safe from any number of threads at once (each call takes its own
// connection).
//
// Example:
//   SystemClock clock;
//   SocketTransport transport(clock, {.connect_timeout = std::chrono::seconds(5)});
//   Result<HttpResponse> r = transport.Send(request, Deadline::After(clock.Now(), 30s), stop);
//   if (r.ok() && r->status == 200) parse(r->body);
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/http_transport.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

namespace http {
class Connection;
class TlsContext;
}  // namespace http

class SocketTransport final : public HttpTransport {
 public:
  explicit SocketTransport(const resilience::Clock& clock, TransportOptions options = {});
  ~SocketTransport() override;
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  resilience::Result<HttpResponse> Send(const HttpRequest& request, resilience::Deadline deadline,
                                        std::stop_token stop) override;

  // Idle connections in the pool now (for tests and diagnostics).
  std::size_t idle_connections() const;

 private:
  struct Idle;

  // The pooled connection for `key` that is still usable, or null.
  std::unique_ptr<http::Connection> TakeIdle(const std::string& key);
  void PutIdle(std::string key, std::unique_ptr<http::Connection> connection);
  // The shared TLS context, created on first use.
  resilience::Result<const http::TlsContext*> Tls();

  const resilience::Clock& clock_;
  const TransportOptions options_;
  mutable std::mutex mu_;
  std::vector<Idle> idle_;                 // guarded by mu_; most recently used last
  std::unique_ptr<http::TlsContext> tls_;  // guarded by mu_
};

}  // namespace ohfp::aws
