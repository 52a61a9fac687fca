// ohfp/chaos_proxy/error_bodies.h
//
// The responses the chaos proxy invents, shaped as each AWS service shapes them:
//  - EC2: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
//  - Auto Scaling / CloudWatch:
//    <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
// plus a non-XML HTML error page (what a load balancer in front of a service sends), and fresh
// request ids. Requests whose service is unknown get the generic Query shape.
//
// Every invented response carries the request id in its body and in an x-amzn-RequestId header, and
// an x-ohfp-chaos-proxy header naming what the proxy did, so a human reading a trace can tell it
// apart.
//
// Thread-safety: the functions are pure. RequestIdGenerator is safe from any thread.
//
// Example:
//   RequestIdGenerator ids(/*seed=*/42);
//   HttpResponse r = ThrottleResponse(Service::kEc2, ids.Next(), "");   // 503 RequestLimitExceeded
//   HttpResponse q = ErrorResponse(Service::kAutoScaling, 500, "InternalFailure", "", ids.Next());
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/http_message.h"
#include "ohfp/resilience/random.h"

namespace ohfp::chaos_proxy {

enum class ErrorShape { kEc2, kQuery };

// EC2 uses its own shape; every other Query service (and an unknown one) uses the generic Query
// shape.
ErrorShape ShapeFor(Service service) noexcept;

// Escapes & < > " ' for XML text and attribute values.
std::string XmlEscape(std::string_view text);

// The reason phrase for a status ("Service Unavailable"); "Unknown" for codes it does not know.
std::string_view StatusReason(int status) noexcept;

std::string Ec2ErrorBody(std::string_view code, std::string_view message,
                         std::string_view request_id);
// `type` is "Sender" or "Receiver". The xmlns is the service's document namespace when the service
// is known.
std::string QueryErrorBody(Service service, std::string_view type, std::string_view code,
                           std::string_view message, std::string_view request_id);
std::string HtmlErrorBody(int status, std::string_view request_id);

inline constexpr std::string_view kXmlContentType = "text/xml;charset=UTF-8";
inline constexpr std::string_view kRequestIdHeader = "x-amzn-RequestId";
inline constexpr std::string_view kChaosHeader = "x-ohfp-chaos-proxy";

// An error in the service's shape. The Query Type is Sender below 500 and Receiver from 500 up. An
// empty message is replaced by a generic one.
HttpResponse ErrorResponse(Service service, int status, std::string_view code,
                           std::string_view message, std::string_view request_id);
// EC2: RequestLimitExceeded, HTTP 503. Query services: Throttling (Type Sender), HTTP 400.
HttpResponse ThrottleResponse(Service service, std::string_view request_id,
                              std::string_view message);
// InsufficientInstanceCapacity (or `code`), HTTP 500, always in the EC2 shape.
HttpResponse CapacityResponse(std::string_view code, std::string_view message,
                              std::string_view request_id);
// IdempotentParameterMismatch, HTTP 400, EC2 shape.
HttpResponse IdempotentMismatchResponse(std::string_view request_id);
// A text/html page for `status`.
HttpResponse HtmlErrorResponse(int status, std::string_view request_id);

// Fresh request ids in the AWS form (a random UUID, "8f5e0bd2-6c1a-4b7e-9d3c-0a1b2c3d4e5f").
// Seeded, so a run with a fixed seed produces the same ids; uses its own generator so ids never
// perturb the fault draws.
class RequestIdGenerator {
 public:
  explicit RequestIdGenerator(std::uint64_t seed) noexcept : random_(seed) {}
  std::string Next();

 private:
  resilience::SeededRandom random_;
};

}  // namespace ohfp::chaos_proxy
