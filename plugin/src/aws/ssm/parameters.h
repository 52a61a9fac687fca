// aws/ssm/parameters.h
//
// Typed SSM Parameter Store operations, over the AWS JSON 1.1 protocol (AwsClient::CallJson), each
// one call through the resilience pipeline under its operation name (breaker aws_ssm):
//   GetParameter   ssm_get_parameter
//
// Errors: ParameterNotFound and ParameterVersionNotFound are kNotFound; throttling, 5xx,
// authentication and authorization errors as for every AWS call (aws_error.h); an answer without
// Parameter.Value is kInternal "UnexpectedResponse".
//
// AWS publishes public parameters, e.g. the current Amazon Linux AMI per region:
//   /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   Result<Parameter> p = GetParameter(client, {.name = kAmazonLinux2023Parameter});
//   if (p.ok()) template["imageId"] = p->value;   // "ami-0ed094fb1304fd857"
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "aws/aws_client.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::ssm {

// The public parameter holding the current Amazon Linux 2023 AMI (x86_64) of the region asked.
inline constexpr const char* kAmazonLinux2023Parameter =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

struct GetParameterRequest {
  std::string name{};  // a name or ARN; "name:version" or "name:label" select a version
  bool with_decryption = false;
};

struct Parameter {
  std::string name{};
  std::string type{};       // String, StringList, SecureString
  std::string value{};      // decrypted only when asked
  std::string data_type{};  // "text", or "aws:ec2:image" for AMI ids
  std::int64_t version = 0;
  std::string arn{};
  std::optional<resilience::SysTime> last_modified{};
};

[[nodiscard]] resilience::Result<Parameter> GetParameter(AwsClient& client,
                                                         const GetParameterRequest& request,
                                                         std::stop_token stop = {});

}  // namespace ohfp::aws::ssm
