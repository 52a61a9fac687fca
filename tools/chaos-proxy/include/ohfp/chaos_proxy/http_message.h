// ohfp/chaos_proxy/http_message.h
//
// The HTTP request and response values the chaos proxy passes between its parts (server wiring,
// decision, idempotency cache, upstream client). They are plain values, independent of the HTTP
// library, so the proxy logic can be tested without sockets. Headers keep their order, spelling and
// duplicates.
//
// Thread-safety: value types; the usual rules for std::string and std::vector apply.
//
// Example:
//   HttpRequest request{"POST", "/", {{"Host", "ec2.us-east-1.amazonaws.com"}},
//                       "Action=DescribeInstances"};
//   if (auto host = FindHeader(request.headers, "host")) Use(*host);
//   HttpResponse response{503, {{"Content-Type", "text/xml"}}, "<Response>...</Response>"};
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ohfp::chaos_proxy {

using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

struct HttpRequest {
  std::string method;
  std::string target;  // the request target as received: path and query, still percent-encoded
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
};

// ASCII case-insensitive comparison, as HTTP header names are compared.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;

// The first header called `name` (case-insensitive), if any.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

// Removes every header called `name` (case-insensitive); returns how many were removed.
std::size_t RemoveHeader(Headers& headers, std::string_view name);

// The path part of a request target ("/__chaos/stats?x=1" -> "/__chaos/stats").
std::string_view TargetPath(std::string_view target) noexcept;

// The query part of a request target, without the '?' (empty when there is none).
std::string_view TargetQuery(std::string_view target) noexcept;

}  // namespace ohfp::chaos_proxy
