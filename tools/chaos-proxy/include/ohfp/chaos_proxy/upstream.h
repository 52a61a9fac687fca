// ohfp/chaos_proxy/upstream.h
//
// Upstream: where the chaos proxy forwards requests (in tests, the moto emulator). An interface so
// the proxy's logic is tested against a fake; HttplibUpstream is the real one, over cpp-httplib,
// one connection per request.
//
// Forwarding keeps the method, target (path and query, byte for byte), body and headers - including
// the client's Host header, which its SigV4 signature covers. Hop-by-hop headers (Connection,
// Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Proxy-*, Expect) and Content-Length are not
// copied; the HTTP library sets framing itself. Responses come back with their status, headers and
// body as the upstream sent them (still compressed if they were), minus the same hop-by-hop
// headers.
//
// Thread-safety: Forward() is safe from any number of threads at once.
//
// Example:
//   UpstreamOptions options;
//   options.url = "http://127.0.0.1:5000";
//   auto upstream = HttplibUpstream::Create(options);
//   if (!upstream.ok()) Fail(upstream.error().message());
//   UpstreamResult r = (*upstream)->Forward(request, stop_token);
//   if (r.response) Send(*r.response); else Log(r.error);
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "ohfp/chaos_proxy/http_message.h"
#include "ohfp/resilience/result.h"

namespace ohfp::chaos_proxy {

struct UpstreamResult {
  std::optional<HttpResponse> response;  // set when the upstream answered
  std::string error;                     // otherwise, what went wrong ("connection refused", ...)
  bool cancelled = false;  // the stop token ended the call (the proxy is shutting down)
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual UpstreamResult Forward(const HttpRequest& request, std::stop_token stop) = 0;
};

// True for the headers a proxy must not copy from one connection to the next.
bool IsHopByHopHeader(std::string_view name) noexcept;

struct UpstreamUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;
  std::string ToString() const;  // "http://127.0.0.1:5000"
};

// Accepts "http://host:port", "https://host" (port 443), "http://host/" ; rejects paths, queries
// and user info, which the proxy cannot honour.
[[nodiscard]] resilience::Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url);

struct UpstreamOptions {
  std::string url;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{60000};  // also the write timeout
};

class HttplibUpstream final : public Upstream {
 public:
  [[nodiscard]] static resilience::Result<std::unique_ptr<HttplibUpstream>> Create(
      UpstreamOptions options);

  UpstreamResult Forward(const HttpRequest& request, std::stop_token stop) override;

 private:
  HttplibUpstream(UpstreamUrl url, UpstreamOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  const UpstreamUrl url_;
  const UpstreamOptions options_;
};

}  // namespace ohfp::chaos_proxy
