#include "aws/http_transport.h"

#include <algorithm>
#include <cctype>

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;

bool HasControlCharacters(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace

std::string DescribeRequest(const HttpRequest& request) {
  const std::string_view url = request.url;
  return request.method + " " + std::string(url.substr(0, url.find('?')));
}

resilience::Status CheckBeforeSending(const HttpRequest& request, resilience::Deadline deadline,
                                      resilience::MonoTime now, const std::stop_token& stop) {
  if (!IsToken(request.method)) {
    return Error(ErrorKind::kValidation, "InvalidRequest",
                 "invalid HTTP method '" + request.method.substr(0, 32) + "'");
  }
  if (HasControlCharacters(request.url)) {
    return Error(ErrorKind::kValidation, "InvalidRequest", "the URL contains CR, LF or NUL");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasControlCharacters(value)) {
      return Error(ErrorKind::kValidation, "InvalidRequest",
                   "header '" + name.substr(0, 64) +
                       "' has an invalid name or a CR, LF or NUL in its value");
    }
  }
  if (stop.stop_requested()) {
    return Error(ErrorKind::kCancelled, "Cancelled",
                 DescribeRequest(request) + ": cancelled before the request was sent");
  }
  if (deadline.Expired(now)) {
    return Error(
        ErrorKind::kTimeout, "Timeout",
        DescribeRequest(request) + ": the deadline had passed before the request was sent");
  }
  return resilience::OkStatus();
}

resilience::Error ResponseTooLarge(const HttpRequest& request, std::size_t limit,
                                   std::optional<std::uint64_t> size) {
  return Error(ErrorKind::kTransient, "ResponseTooLarge",
               DescribeRequest(request) + ": the response body " +
                   (size ? "(" + std::to_string(*size) + " bytes, announced) " : "") +
                   "is larger than the limit of " + std::to_string(limit) +
                   " bytes (TransportOptions::max_response_body); refused" +
                   (size ? " before reading it" : " and cut off"));
}

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

}  // namespace ohfp::aws
