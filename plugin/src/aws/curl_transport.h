// aws/curl_transport.h
//
// CurlTransport: the HttpTransport over libcurl. One attempt per Send(): no redirects, no retries
// of ours, no "Expect: 100-continue", TLS verification always on, no signals (CURLOPT_NOSIGNAL).
// The transfer timeout is the deadline's remaining time on the injected clock (the clock the
// deadline was made with); the connect timeout is the smaller of `connect_timeout` and that. An
// expired deadline or an already-requested stop returns at once without sending. A stop requested
// during the transfer wakes it up and aborts it (kCancelled).
//
// Errors: timeout -> kTimeout; refused, unresolvable, reset, empty or truncated answers ->
// kTransient; stop requested -> kCancelled; malformed URL, unsupported scheme, CR/LF in a header,
// unreadable CA bundle, a peer certificate that does not verify -> kValidation; anything else ->
// kTransient with libcurl's message. Any HTTP status is a response.
//
// HTTP/1.1 only. Connections are reused: idle curl handles (each with its own connection cache)
// wait in a small pool. libcurl's own proxy variables (http_proxy, ...) are ignored: only
// `proxy_host` decides. libcurl's global state is initialised by each transport and released by its
// destructor (libcurl counts the references).
//
// One attempt is one request on the wire. libcurl re-sends a request by itself when a *reused*
// connection turns out to have been closed before any byte of the answer arrived (the keep-alive
// race); here the body is uploaded through a callback libcurl cannot rewind, so a request with a
// body fails (kTransient) instead of being sent twice. Only body-less requests (GET, HEAD, an empty
// PUT: idempotent) may still be re-sent that way.
//
// Thread-safety: Send() is safe from any number of threads at once (each call takes its own
// handle).
//
// Example:
//   SystemClock clock;
//   CurlTransport transport(clock, {.connect_timeout = std::chrono::seconds(5)});
//   Result<HttpResponse> r = transport.Send(request, Deadline::After(clock.Now(), 30s), stop);
//   if (r.ok() && r->status == 200) parse(r->body);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/http_transport.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const resilience::Clock& clock, TransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  resilience::Result<HttpResponse> Send(const HttpRequest& request, resilience::Deadline deadline,
                                        std::stop_token stop) override;

  // Idle handles (each with its cached connection) in the pool now (for tests and diagnostics).
  std::size_t idle_connections() const;

 private:
  struct Session;

  std::unique_ptr<Session> Acquire();
  void Release(std::unique_ptr<Session> session);

  const resilience::Clock& clock_;
  const TransportOptions options_;
  const bool global_init_ok_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Session>> idle_;  // guarded by mu_
};

}  // namespace ohfp::aws
