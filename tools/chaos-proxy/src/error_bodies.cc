#include "ohfp/chaos_proxy/error_bodies.h"

#include <array>
#include <utility>

namespace ohfp::chaos_proxy {
namespace {

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string_view QueryNamespace(Service service) noexcept {
  switch (service) {
    case Service::kAutoScaling:
      return "http://autoscaling.amazonaws.com/doc/2011-01-01/";
    case Service::kCloudWatch:
      return "http://monitoring.amazonaws.com/doc/2010-08-01/";
    case Service::kEc2:
    case Service::kUnknown:
      return {};
  }
  return {};
}

std::string_view DefaultMessage(int status) noexcept {
  if (status == 500) return "We encountered an internal error. Please try again.";
  if (status == 503) return "The service is unavailable. Please try again shortly.";
  if (status >= 500) return "The server encountered an error.";
  return "The request could not be processed.";
}

HttpResponse XmlResponse(int status, std::string body, std::string_view request_id,
                         std::string_view what) {
  return HttpResponse{status,
                      {{"Content-Type", std::string(kXmlContentType)},
                       {std::string(kRequestIdHeader), std::string(request_id)},
                       {std::string(kChaosHeader), std::string(what)}},
                      std::move(body)};
}

}  // namespace

ErrorShape ShapeFor(Service service) noexcept {
  return service == Service::kEc2 ? ErrorShape::kEc2 : ErrorShape::kQuery;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// The reason phrases of the statuses the proxy answers with (RFC 9110).
constexpr std::pair<int, std::string_view> kReasons[] = {
    {200, "OK"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

std::string_view StatusReason(int status) noexcept {
  for (const auto& [code, reason] : kReasons) {
    if (code == status) return reason;
  }
  return "Unknown";
}

std::string Ec2ErrorBody(std::string_view code, std::string_view message,
                         std::string_view request_id) {
  std::string body(kXmlDeclaration);
  body += "<Response><Errors><Error><Code>";
  body += XmlEscape(code);
  body += "</Code><Message>";
  body += XmlEscape(message);
  body += "</Message></Error></Errors><RequestID>";
  body += XmlEscape(request_id);
  body += "</RequestID></Response>";
  return body;
}

std::string QueryErrorBody(Service service, std::string_view type, std::string_view code,
                           std::string_view message, std::string_view request_id) {
  std::string body(kXmlDeclaration);
  body += "<ErrorResponse";
  if (const auto ns = QueryNamespace(service); !ns.empty()) {
    body += " xmlns=\"";
    body += ns;
    body += '"';
  }
  body += "><Error><Type>";
  body += XmlEscape(type);
  body += "</Type><Code>";
  body += XmlEscape(code);
  body += "</Code><Message>";
  body += XmlEscape(message);
  body += "</Message></Error><RequestId>";
  body += XmlEscape(request_id);
  body += "</RequestId></ErrorResponse>";
  return body;
}

std::string HtmlErrorBody(int status, std::string_view request_id) {
  const std::string title = std::to_string(status) + " " + std::string(StatusReason(status));
  return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title +
         "</h1><p>The server could not handle the request.</p><p>Request id: " +
         XmlEscape(request_id) + "</p></body></html>\n";
}

HttpResponse ErrorResponse(Service service, int status, std::string_view code,
                           std::string_view message, std::string_view request_id) {
  if (message.empty()) message = DefaultMessage(status);
  std::string body = ShapeFor(service) == ErrorShape::kEc2
                         ? Ec2ErrorBody(code, message, request_id)
                         : QueryErrorBody(service, status < 500 ? "Sender" : "Receiver", code,
                                          message, request_id);
  return XmlResponse(status, std::move(body), request_id, "error");
}

HttpResponse ThrottleResponse(Service service, std::string_view request_id,
                              std::string_view message) {
  if (ShapeFor(service) == ErrorShape::kEc2) {
    if (message.empty()) message = "Request limit exceeded.";
    return XmlResponse(503, Ec2ErrorBody("RequestLimitExceeded", message, request_id), request_id,
                       "throttle");
  }
  if (message.empty()) message = "Rate exceeded";
  return XmlResponse(400, QueryErrorBody(service, "Sender", "Throttling", message, request_id),
                     request_id, "throttle");
}

HttpResponse CapacityResponse(std::string_view code, std::string_view message,
                              std::string_view request_id) {
  if (code.empty()) code = "InsufficientInstanceCapacity";
  if (message.empty()) {
    message =
        "We currently do not have sufficient capacity in the Availability Zone you requested. "
        "Our system will be working on provisioning additional capacity.";
  }
  return XmlResponse(500, Ec2ErrorBody(code, message, request_id), request_id, "capacity");
}

HttpResponse IdempotentMismatchResponse(std::string_view request_id) {
  return XmlResponse(400,
                     Ec2ErrorBody("IdempotentParameterMismatch",
                                  "Arguments on this idempotent request are inconsistent with "
                                  "arguments used in previous request(s).",
                                  request_id),
                     request_id, "idempotent-mismatch");
}

HttpResponse HtmlErrorResponse(int status, std::string_view request_id) {
  return HttpResponse{status,
                      {{"Content-Type", "text/html; charset=UTF-8"},
                       {std::string(kRequestIdHeader), std::string(request_id)},
                       {std::string(kChaosHeader), "error"}},
                      HtmlErrorBody(status, request_id)};
}

std::string RequestIdGenerator::Next() {
  // 128 random bits, formatted as a version-4 UUID.
  std::array<std::uint64_t, 2> words = {random_.NextUint64(), random_.NextUint64()};
  words[0] = (words[0] & ~std::uint64_t{0xF000}) | std::uint64_t{0x4000};  // version 4
  words[1] =
      (words[1] & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{0x8} << 60);  // RFC 4122 variant
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id.push_back('-');
    const std::uint64_t word = words[static_cast<std::size_t>(i / 16)];
    const int shift = 60 - 4 * (i % 16);
    id.push_back(kHex[static_cast<std::size_t>((word >> shift) & 0xF)]);
  }
  return id;
}

}  // namespace ohfp::chaos_proxy
