// aws/resilience_tables.h
//
// What the resilience library needs to know about AWS and does not know by itself (it knows no
// service):
//  - OperationServices(): the service (circuit breaker, retry quota) of ohfp's operation names,
//    the seed's prefixes: ec2_* -> aws_ec2, autoscaling_* -> aws_autoscaling, spot_fleet_* ->
//    aws_spot_fleet (a breaker of its own, though Spot Fleet calls go to EC2's endpoint),
//    cloudwatch_* -> aws_cloudwatch.
//  - PublishedRateLimits(): EC2's request and resource token buckets with the sizes and refill
//    rates AWS publishes ("Request throttling for the Amazon EC2 API"), and which of them each of
//    ohfp's EC2 operations spends from: the rate limiter's defaults (docs/resilience.md cites the
//    numbers). Auto Scaling and CloudWatch publish no bucket sizes: their operations are not
//    limited by default.
//  - ResourceCount(): what one call spends from its operation's resource buckets (RunInstances:
//    its MaxCount; TerminateInstances: its instance ids).
//
// Thread-safety: stateless functions returning values.
//
// Example:
//   ResilienceConfig c;
//   c.operation_services = OperationServices();
//   c.rate_limiter = PublishedRateLimits();
//   c.rate_limiter.enabled = true;
//   ServiceOf("spot_fleet_request");                      // "aws_spot_fleet"
//   ResourceCount("RunInstances", params);                // params' MaxCount
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/query_params.h"
#include "ohfp/resilience/rate_limiter.h"

namespace ohfp::aws {

// Operation name (exact, or a prefix ending in '*') -> service.
const std::map<std::string, std::string, std::less<>>& OperationServices();
// The service of `operation` by that table; nullopt for names it does not cover.
std::optional<std::string_view> ServiceOf(std::string_view operation);

// EC2's published buckets and ohfp's operations' use of them. `enabled` is false: the caller
// decides.
resilience::RateLimiterConfig PublishedRateLimits();

// What a call of `action` with `params` spends from its resource buckets: RunInstances' MaxCount,
// TerminateInstances' number of InstanceId.N; 1 for anything else.
std::uint32_t ResourceCount(std::string_view action, const QueryParams& params);

}  // namespace ohfp::aws
