// aws/endpoints.h
//
// Which region and which URL each AWS service is called at.
//
//  - ResolveRegion: AWS_REGION, then AWS_DEFAULT_REGION, then the configured default; validated
//    ("us-east-1", "us-gov-west-1", "cn-north-1": two letters, optional "-gov", a word, a
//    number).
//  - ResolveEndpoint: for the signing names "ec2", "autoscaling", "monitoring" (CloudWatch) and
//    "ssm".
//    Precedence:
//      1. the per-service URL from the config (overrides.per_service["ec2"]),
//      2. the per-service variable (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_AUTO_SCALING,
//         AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_SSM),
//      3. the global AWS_ENDPOINT_URL variable, then the global URL from the config (the IBM
//         plugin's AWS_ENDPOINT_URL key),
//      4. https://<service>.<region>.amazonaws.com (.amazonaws.com.cn in cn- regions).
//    Every URL is validated (http or https, a host, an optional port, no user info, query or
//    fragment); errors say which setting held the bad value.
//
// Thread-safety: pure functions; safe from any thread.
//
// Example:
//   MapEnvironment env;
//   env.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");
//   Result<std::string> region = ResolveRegion(env, "us-east-1");
//   Result<Endpoint> ec2 = ResolveEndpoint("ec2", *region, EndpointOverrides{}, env);
//   // ec2->url "http://127.0.0.1:5000", ec2->host "127.0.0.1:5000", source "AWS_ENDPOINT_URL"
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/environment.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

// kValidation unless `region` looks like an AWS region in the aws, aws-us-gov or aws-cn partition.
[[nodiscard]] resilience::Status ValidateRegion(std::string_view region);

// AWS_REGION, else AWS_DEFAULT_REGION, else `configured_default` (empty: none), validated. No
// region anywhere: kValidation telling the user what to set.
[[nodiscard]] resilience::Result<std::string> ResolveRegion(const Environment& env,
                                                            std::string_view configured_default);

// An endpoint URL taken apart. `host` keeps IPv6 brackets; `path` is "" or starts with '/', without
// a trailing '/'.
struct EndpointUrl {
  std::string scheme{};  // "http" or "https", lowercase
  std::string host{};
  std::optional<std::uint16_t> port{};
  std::string path{};

  // host, plus ":port" when the port is not the scheme's default: the Host header SigV4 signs.
  std::string Authority() const;
  // scheme://authority[path]
  std::string ToString() const;
};

// kValidation, naming `source` (e.g. "AWS_ENDPOINT_URL_EC2"), unless `url` is
// http(s)://host[:port][/path].
[[nodiscard]] resilience::Result<EndpointUrl> ParseEndpointUrl(std::string_view url,
                                                               std::string_view source);

struct EndpointOverrides {
  // Per service, by signing name ("ec2", "autoscaling", "monitoring", "ssm"); from the plugin
  // config.
  std::map<std::string, std::string, std::less<>> per_service{};
  // The config's global endpoint (the IBM plugin's AWS_ENDPOINT_URL key); empty for none.
  std::string global{};
};

struct Endpoint {
  std::string url{};             // scheme://authority[path], no trailing '/'
  std::string host{};            // the Host header: host[:port]
  std::string signing_name{};    // "ec2", "autoscaling", "monitoring", "ssm"
  std::string signing_region{};  // the region requests are signed for
  std::string
      source{};  // "default", "config (ec2)", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL", "config"
};

// The per-service variable for a signing name ("AWS_ENDPOINT_URL_EC2"); nullopt for an unknown
// service.
std::optional<std::string_view> EndpointEnvVariable(std::string_view service) noexcept;

// The endpoint for `service` (a signing name) in `region`, by the precedence above. kValidation for
// an unknown service, an invalid region or an invalid URL.
[[nodiscard]] resilience::Result<Endpoint> ResolveEndpoint(std::string_view service,
                                                           std::string_view region,
                                                           const EndpointOverrides& overrides,
                                                           const Environment& env);

}  // namespace ohfp::aws
