// ohfp/chaos_proxy/aws_request.h
//
// What the chaos proxy needs to know about an AWS Query API request: its Action, Version and
// service (EC2, Auto Scaling or CloudWatch), every parameter (form body and query string,
// percent-decoded), and its EC2 ClientToken if it carries one. Parsing never fails: a request that
// is not AWS Query traffic simply has an empty action and an unknown service, and is still
// forwarded.
//
// The service comes from the Version (EC2 2016-11-15, Auto Scaling 2011-01-01, CloudWatch
// 2010-08-01), else from the SigV4 credential scope in the Authorization header, else from the
// first label of the Host header, else from the first path segment.
//
// Thread-safety: pure functions and value types; safe from any thread.
//
// Example:
//   AwsRequest aws = ParseAwsRequest(http_request);
//   if (aws.service == Service::kEc2 && aws.action == "RunInstances" &&
//       !aws.client_token.empty()) {
//     ...  // aws.client_token_param == "ClientToken"
//   }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/chaos_proxy/http_message.h"

namespace ohfp::chaos_proxy {

enum class Service { kUnknown, kEc2, kAutoScaling, kCloudWatch };

// "ec2", "autoscaling", "monitoring" (the SigV4 signing names), or "unknown".
std::string_view ServiceName(Service service) noexcept;
// The inverse of ServiceName() for the three known services; nullopt for anything else.
std::optional<Service> ServiceFromName(std::string_view name) noexcept;

using Param = std::pair<std::string, std::string>;

struct AwsRequest {
  std::string action;   // empty when the request has no Action parameter
  std::string version;  // empty when the request has no Version parameter
  Service service = Service::kUnknown;
  std::vector<Param> params;  // query string and form body, decoded, sorted (name, then value)
  // The EC2 idempotency token, when the request carries a non-empty one, and the parameter that
  // held it ("ClientToken", or "SpotFleetRequestConfig.ClientToken" for RequestSpotFleet).
  std::string client_token;
  std::string client_token_param;
};

AwsRequest ParseAwsRequest(const HttpRequest& request);

// Decodes "%41" escapes; with plus_as_space, '+' becomes ' ' (form encoding). Malformed escapes
// stay as they are.
std::string PercentDecode(std::string_view text, bool plus_as_space);

// Splits "a=1&b=two+words" into decoded name/value pairs, in order. Empty pieces are skipped.
std::vector<Param> ParseFormUrlEncoded(std::string_view text);

// A canonical form of the parameter set, equal for two requests exactly when their parameters are
// equal regardless of order. The idempotency cache compares requests with it.
std::string ParameterFingerprint(const std::vector<Param>& sorted_params);

}  // namespace ohfp::chaos_proxy
