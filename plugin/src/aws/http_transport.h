// aws/http_transport.h
//
// HttpTransport: one HTTP exchange, exactly one attempt. The resilience pipeline is the only
// retrier; a transport never retries, never sleeps, never follows redirects. Failures that are not
// HTTP answers are errors:
//   kTimeout    the deadline passed (connect or transfer)
//   kTransient  connection refused or reset, DNS failure, a broken transfer; a response body
//               larger than TransportOptions::max_response_body (code "ResponseTooLarge")
//   kCancelled  the stop token was triggered
//   kValidation a malformed URL or request
// An HTTP answer of any status (including 4xx/5xx) is a successful exchange: the caller maps it.
//
// Thread-safety: implementations must be safe to call from any thread.
//
// Example:
//   HttpRequest req{.method = "POST", .url = "https://ec2.us-east-1.amazonaws.com/",
//                   .headers = {{"Content-Type",
//                                "application/x-www-form-urlencoded; charset=utf-8"}},
//                   .body = "Action=DescribeInstances&Version=2016-11-15"};
//   Result<HttpResponse> r = transport.Send(req, Deadline::After(clock.Now(), 10s), stop);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive), if any.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

struct HttpRequest;

// "METHOD scheme://host/path", without the query: how messages name a request.
std::string DescribeRequest(const HttpRequest& request);

// What every transport checks before it sends anything, in this order: the method is an HTTP
// token, no header name is invalid and neither the URL nor a header value has CR, LF or NUL
// (kValidation); the stop token is not triggered (kCancelled); the deadline has not passed
// (kTimeout).
resilience::Status CheckBeforeSending(const HttpRequest& request, resilience::Deadline deadline,
                                      resilience::MonoTime now, const std::stop_token& stop);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // scheme://host[:port]/path[?query]
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  std::optional<std::string_view> Header(std::string_view name) const {
    return FindHeader(headers, name);
  }
};

inline constexpr std::size_t kDefaultMaxResponseBody = std::size_t{32} << 20;  // 32 MiB

// What a transport is configured with (both implementations take the same options).
struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10000};  // capped by the deadline's remaining time
  std::string ca_bundle{};   // CA certificates file (PEM); empty: the system's trust store
  std::string proxy_host{};  // "proxy.corp" or "http://proxy.corp"; empty: no proxy
  std::optional<std::uint16_t> proxy_port{};  // nullopt: the proxy URL's port, else 1080
  std::string user_agent = "ohfp/0.1";
  std::size_t max_idle_connections = 8;  // idle connections kept for reuse
  // The largest response body accepted, in bytes. A Content-Length above it is refused before any
  // of the body is read; a chunked or close-delimited body is cut off as soon as it passes it.
  // Either way the exchange fails with kTransient "ResponseTooLarge" and the connection is closed.
  // No AWS Query answer comes near the default: a DescribeInstances page of 1000 instances
  // (MaxResults' maximum) is a few MB, and 32 KiB per instance would take an instance with 50 tags
  // of the longest keys and values allowed.
  std::size_t max_response_body = kDefaultMaxResponseBody;
};

// The error for a response body over `limit` bytes (`size` when it was announced).
resilience::Error ResponseTooLarge(const HttpRequest& request, std::size_t limit,
                                   std::optional<std::uint64_t> size);

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual resilience::Result<HttpResponse> Send(const HttpRequest& request,
                                                resilience::Deadline deadline,
                                                std::stop_token stop) = 0;
};

}  // namespace ohfp::aws
