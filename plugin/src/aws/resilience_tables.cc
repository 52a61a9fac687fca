#include "aws/resilience_tables.h"

#include <charconv>

namespace ohfp::aws {
namespace {

// One EC2 action ohfp calls, the operation name it calls it under, and its published buckets.
// Source: "Request throttling for the Amazon EC2 API", Amazon EC2 Developer Guide
// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): request tokens are
// counted per API action, with the bucket size and refill rate of the action's category (or its
// own, for "uncategorized" actions); RunInstances and TerminateInstances also have a resource
// bucket, one token per instance.
struct Ec2Action {
  std::string_view operation;
  std::string_view action;
  double capacity;               // request bucket: maximum capacity
  double rate;                   // request bucket: refill rate, tokens per second
  double resource_capacity = 0;  // resource bucket (instances), 0: none
  double resource_rate = 0;
};

// Categories: non-mutating 100 / 20; unfiltered and unpaginated non-mutating (DescribeInstances,
// DescribeSpotInstanceRequests, ... without filter or pagination) 50 / 10; mutating 50 / 5.
// Uncategorized: RunInstances 5 / 2, TerminateInstances 100 / 5, CreateTags 100 / 10,
// DescribeSpotFleetRequests 50 / 3, DescribeSpotFleetInstances 100 / 5,
// DescribeSpotFleetRequestHistory 100 / 5. Resource buckets: RunInstances 1000 / 2,
// TerminateInstances 1000 / 20.
constexpr Ec2Action kEc2Actions[] = {
    {"ec2_run_instances", "RunInstances", 5, 2, 1000, 2},
    {"ec2_terminate_instances", "TerminateInstances", 100, 5, 1000, 20},
    {"ec2_create_tags", "CreateTags", 100, 10},
    // ohfp describes instances by id, without filter or pagination: the smaller bucket.
    {"ec2_describe_instances", "DescribeInstances", 50, 10},
    {"ec2_describe_spot_instance_requests", "DescribeSpotInstanceRequests", 50, 10},
    {"ec2_describe_instance_types", "DescribeInstanceTypes", 100, 20},
    {"ec2_describe_fleets", "DescribeFleets", 100, 20},
    {"ec2_describe_fleet_instances", "DescribeFleetInstances", 100, 20},
    {"ec2_describe_launch_templates", "DescribeLaunchTemplates", 100, 20},
    {"ec2_create_fleet", "CreateFleet", 50, 5},
    {"ec2_delete_fleets", "DeleteFleets", 50, 5},
    {"ec2_modify_fleet", "ModifyFleet", 50, 5},
    {"ec2_create_launch_template", "CreateLaunchTemplate", 50, 5},
    {"ec2_delete_launch_template", "DeleteLaunchTemplate", 50, 5},
    {"spot_fleet_request", "RequestSpotFleet", 50, 5},
    {"spot_fleet_cancel", "CancelSpotFleetRequests", 50, 5},
    {"spot_fleet_modify", "ModifySpotFleetRequest", 50, 5},
    {"spot_fleet_describe", "DescribeSpotFleetRequests", 50, 3},
    {"spot_fleet_describe_instances", "DescribeSpotFleetInstances", 100, 5},
    {"spot_fleet_describe_history", "DescribeSpotFleetRequestHistory", 100, 5},
};

std::uint32_t ParseCount(std::string_view text) {
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() && n > 0 ? n : 1;
}

}  // namespace

const std::map<std::string, std::string, std::less<>>& OperationServices() {
  static const std::map<std::string, std::string, std::less<>> kTable = {
      {"ec2_*", "aws_ec2"},
      {"autoscaling_*", "aws_autoscaling"},
      {"spot_fleet_*", "aws_spot_fleet"},
      {"cloudwatch_*", "aws_cloudwatch"},
  };
  return kTable;
}

std::optional<std::string_view> ServiceOf(std::string_view operation) {
  for (const auto& [pattern, service] : OperationServices()) {
    if (operation.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) {
      return service;
    }
  }
  return std::nullopt;
}

resilience::RateLimiterConfig PublishedRateLimits() {
  resilience::RateLimiterConfig c;
  for (const Ec2Action& a : kEc2Actions) {
    const std::string bucket = "ec2:" + std::string(a.action);
    c.buckets[bucket] = {.capacity = a.capacity, .refill_rate = a.rate};
    resilience::LimiterOperationConfig& op = c.operations[std::string(a.operation)];
    op.buckets.push_back(bucket);
    if (a.resource_capacity > 0) {
      c.buckets[bucket + ":instances"] = {.capacity = a.resource_capacity,
                                          .refill_rate = a.resource_rate};
      op.resource_buckets.push_back(bucket + ":instances");
    }
  }
  return c;
}

std::uint32_t ResourceCount(std::string_view action, const QueryParams& params) {
  if (action == "RunInstances") {
    const std::optional<std::string_view> max = params.Find("MaxCount");
    return max ? ParseCount(*max) : 1;
  }
  if (action == "TerminateInstances") {
    std::uint32_t n = 0;
    for (const QueryParams::Entry& e : params.entries()) {
      if (e.first.starts_with("InstanceId.")) ++n;
    }
    return n > 0 ? n : 1;
  }
  return 1;
}

}  // namespace ohfp::aws
