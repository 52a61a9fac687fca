// aws/http_transport.h
//
// HttpTransport: one HTTP exchange, exactly one attempt. The resilience pipeline is the only
// retrier; a transport never retries, never sleeps, never follows redirects. Failures that are not
// HTTP answers are errors:
//   kTimeout    the deadline passed (connect or transfer)
//   kTransient  connection refused or reset, DNS failure, a broken transfer
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

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual resilience::Result<HttpResponse> Send(const HttpRequest& request,
                                                resilience::Deadline deadline,
                                                std::stop_token stop) = 0;
};

}  // namespace ohfp::aws
