// aws/autoscaling/groups.h
//
// Typed Auto Scaling group operations (API 2011-01-01), each one call through the resilience
// pipeline under its operation name (breaker aws_autoscaling):
//   CreateAutoScalingGroup               autoscaling_create_group
//   DescribeAutoScalingGroups            autoscaling_describe_groups     (pagination followed)
//   UpdateAutoScalingGroup               autoscaling_update_group
//   DetachInstances                      autoscaling_detach_instances    (split: 20 ids per call)
//   DeleteAutoScalingGroup               autoscaling_delete_group
//   TerminateInstanceInAutoScalingGroup  autoscaling_terminate_instance
//
// Idempotency. CreateAutoScalingGroup takes no ClientToken: the group's name is the key. A name in
// use answers AlreadyExists, which is ErrorKind::kAlreadyExists; a caller that derives the name
// from its own request id (and so also a pipeline retry after a lost answer) may treat that as
// "created". DetachInstances and TerminateInstanceInAutoScalingGroup are not idempotent on AWS:
// repeating one that went through fails with a ValidationError ("The instance i-... is not part of
// Auto Scaling group g.", kValidation) or "Instance Id not found" (kNotFound); describe the group
// to reconcile.
//
// Lowering capacity without letting AWS choose the instances: DetachInstances (or
// TerminateInstanceInGroup) with should_decrement_desired_capacity = true names the instances that
// go and lowers DesiredCapacity by as many; it cannot lower it below MinSize, so create groups
// with min_size 0.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   CreateGroupRequest g{.name = "ohfp-req-7",
//                        .launch_template = {{.name = "ohfp-lt", .version = "$Latest"}},
//                        .min_size = 0, .max_size = 3, .desired_capacity = 3,
//                        .subnet_ids = {"subnet-1"}, .tags = {{"ohfp:request-id", "req-7", true}}};
//   Status s = CreateGroup(client, g);  // kAlreadyExists: created before, under this name
//   Result<Group> group = DescribeGroup(client, "ohfp-req-7");  // ->instances, ->desired_capacity
//   Result<std::vector<Activity>> a = DetachInstances(client, {.group_name = "ohfp-req-7",
//                                                              .instance_ids = ids});
//   Status d = DeleteGroup(client, {.name = "ohfp-req-7", .force_delete = true});
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::autoscaling {

// DetachInstances takes at most this many instance ids; DetachInstances() splits longer lists.
inline constexpr std::size_t kMaxInstancesPerDetach = 20;
// The largest page (MaxRecords) DescribeAutoScalingGroups allows, and the most names per call.
inline constexpr int kMaxDescribeRecords = 100;

// A group tag. On creation its ResourceId is the group's name and its ResourceType
// "auto-scaling-group"; with propagate_at_launch the group's instances get it too.
struct Tag {
  std::string key{};
  std::string value{};
  bool propagate_at_launch = false;
  friend bool operator==(const Tag&, const Tag&) = default;
};

// A launch template by id or by name (set one), and a version: "$Latest", "$Default" or a number;
// empty sends none (AWS then uses the default version).
struct LaunchTemplateSpecification {
  std::string id{};
  std::string name{};
  std::string version{};
  friend bool operator==(const LaunchTemplateSpecification&,
                         const LaunchTemplateSpecification&) = default;
};

// One instance type the group may launch, and how many units of capacity one such instance counts
// for (1..999; unset: 1).
struct InstanceTypeOverride {
  std::string instance_type{};
  std::optional<int> weighted_capacity{};
  friend bool operator==(const InstanceTypeOverride&, const InstanceTypeOverride&) = default;
};

// How capacity splits between On-Demand and Spot. Unset or empty fields are not sent (AWS
// defaults: base 0, 100 % On-Demand above it, "prioritized" On-Demand, "lowest-price" Spot).
struct InstancesDistribution {
  std::optional<int> on_demand_base_capacity{};
  std::optional<int> on_demand_percentage_above_base_capacity{};  // 0..100
  std::string on_demand_allocation_strategy{};                    // "prioritized", "lowest-price"
  std::string spot_allocation_strategy{};  // "capacity-optimized", "price-capacity-optimized", ...
  std::string spot_max_price{};            // empty: capped at the On-Demand price
  std::optional<int> spot_instance_pools{};  // 1..20, with "lowest-price" Spot only
  friend bool operator==(const InstancesDistribution&, const InstancesDistribution&) = default;
};

struct MixedInstancesPolicy {
  LaunchTemplateSpecification launch_template{};
  std::vector<InstanceTypeOverride> overrides{};
  std::optional<InstancesDistribution> instances_distribution{};
};

struct CreateGroupRequest {
  std::string name{};  // unique in the account and region: the idempotency key
  // Exactly one of the two (AWS answers ValidationError otherwise).
  std::optional<LaunchTemplateSpecification> launch_template{};
  std::optional<MixedInstancesPolicy> mixed_instances_policy{};
  int min_size = 0;
  int max_size = 0;
  std::optional<int> desired_capacity{};  // unset: min_size
  // Where instances go: subnets (sent as the comma-separated VPCZoneIdentifier) and/or zones.
  std::vector<std::string> subnet_ids{};
  std::vector<std::string> availability_zones{};
  std::vector<Tag> tags{};
  std::optional<bool> new_instances_protected_from_scale_in{};
  std::optional<bool> capacity_rebalance{};
  std::optional<std::chrono::seconds> default_cooldown{};
};

// A DescribeAutoScalingGroups filter: "tag:<key>" (values: tag values), "tag-key", "tag-value".
struct Filter {
  std::string name{};
  std::vector<std::string> values{};
};

struct DescribeGroupsRequest {
  std::vector<std::string> names{};  // empty: every group (that passes the filters)
  std::vector<Filter> filters{};
  int max_records = kMaxDescribeRecords;  // page size, 1..100; also names per call
};

// An instance as its group sees it.
struct GroupInstance {
  std::string instance_id{};
  // Pending, Pending:Wait, InService, Terminating, Terminating:Wait, Detaching, Detached,
  // Standby, ... (the lifecycle in the group, not the EC2 state).
  std::string lifecycle_state{};
  std::string health_status{};  // "Healthy", "Unhealthy"
  std::string instance_type{};
  std::string availability_zone{};
  bool protected_from_scale_in = false;
  std::optional<int> weighted_capacity{};  // with a MixedInstancesPolicy that sets weights
  std::optional<LaunchTemplateSpecification> launch_template{};
};

struct Group {
  std::string name{};
  std::string arn{};
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  // Empty for a live group; "Delete in progress" while a (forced) delete runs. The group still
  // shows up in that state until its instances are gone.
  std::string status{};
  std::optional<LaunchTemplateSpecification> launch_template{};
  std::optional<MixedInstancesPolicy> mixed_instances_policy{};
  std::vector<std::string> availability_zones{};
  std::vector<std::string> subnet_ids{};  // VPCZoneIdentifier, split at the commas
  std::vector<Tag> tags{};
  std::vector<GroupInstance> instances{};
  bool new_instances_protected_from_scale_in = false;
  bool capacity_rebalance = false;
  std::optional<std::chrono::seconds> default_cooldown{};
  std::optional<resilience::SysTime> created_time{};

  bool IsBeingDeleted() const noexcept { return !status.empty(); }
  // The value of tag `key`, if present.
  std::optional<std::string> TagValue(std::string_view key) const;
};

// Each unset field is left as it is.
struct UpdateGroupRequest {
  std::string name{};
  std::optional<int> min_size{};
  std::optional<int> max_size{};
  std::optional<int> desired_capacity{};
};

struct DetachInstancesRequest {
  std::string group_name{};
  std::vector<std::string> instance_ids{};  // any number: sent 20 per call
  // true: DesiredCapacity goes down by as many (no replacement, and AWS picks nothing);
  // false: the group launches replacements.
  bool should_decrement_desired_capacity = true;
};

struct DeleteGroupRequest {
  std::string name{};
  // true: delete even with instances, terminating them (the group shows "Delete in progress"
  // until they are gone). false: AWS refuses while the group has instances (ResourceInUse,
  // kValidation) or activities (ScalingActivityInProgress, kTransient).
  bool force_delete = false;
};

struct TerminateInstanceRequest {
  std::string instance_id{};
  bool should_decrement_desired_capacity = true;
};

// A scaling activity started by a call.
struct Activity {
  std::string activity_id{};
  std::string group_name{};
  // PendingSpotBidPlacement, WaitingForSpotInstanceRequestId, ..., InProgress, Successful,
  // Failed, Cancelled.
  std::string status_code{};
  std::string status_message{};
  std::string description{};  // "Detaching EC2 instance: i-..."
  std::string cause{};
  std::optional<int> progress{};  // 0..100
  std::optional<resilience::SysTime> start_time{};
  std::optional<resilience::SysTime> end_time{};
};

// CreateAutoScalingGroup. A name in use: kAlreadyExists.
[[nodiscard]] resilience::Status CreateGroup(AwsClient& client, const CreateGroupRequest& request,
                                             std::stop_token stop = {});

// DescribeAutoScalingGroups, every page (and, for more than max_records names, every chunk of
// names). Unknown names are simply absent from the answer.
[[nodiscard]] resilience::Result<std::vector<Group>> DescribeGroups(
    AwsClient& client, const DescribeGroupsRequest& request, std::stop_token stop = {});

// The one group named `name`; kNotFound (code "AutoScalingGroupNotFound") when there is none.
[[nodiscard]] resilience::Result<Group> DescribeGroup(AwsClient& client, std::string_view name,
                                                      std::stop_token stop = {});

// UpdateAutoScalingGroup with the set fields. An unknown group: kNotFound.
[[nodiscard]] resilience::Status UpdateGroup(AwsClient& client, const UpdateGroupRequest& request,
                                             std::stop_token stop = {});

// DetachInstances, kMaxInstancesPerDetach ids per call, in order. The activities of every call
// (one per instance). No ids: no call. On an error the calls before it stay done (their instances
// are detached); describe the group to see where it stands.
[[nodiscard]] resilience::Result<std::vector<Activity>> DetachInstances(
    AwsClient& client, const DetachInstancesRequest& request, std::stop_token stop = {});

// DeleteAutoScalingGroup. An unknown group (or one already deleted): kNotFound.
[[nodiscard]] resilience::Status DeleteGroup(AwsClient& client, const DeleteGroupRequest& request,
                                             std::stop_token stop = {});

// TerminateInstanceInAutoScalingGroup: terminates the instance and, with
// should_decrement_desired_capacity, lowers DesiredCapacity by one. An instance in no group:
// kNotFound.
[[nodiscard]] resilience::Result<Activity> TerminateInstanceInGroup(
    AwsClient& client, const TerminateInstanceRequest& request, std::stop_token stop = {});

}  // namespace ohfp::aws::autoscaling
