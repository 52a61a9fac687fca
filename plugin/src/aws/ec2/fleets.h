// aws/ec2/fleets.h
//
// Typed EC2 Fleet operations, each one call through the resilience pipeline under its operation
// name:
//   CreateFleet             ec2_create_fleet              ClientToken: the caller's, the same on
//                                                         every retry
//   DescribeFleets          ec2_describe_fleets           pagination followed
//   DescribeFleetInstances  ec2_describe_fleet_instances  pagination followed
//   ModifyFleet             ec2_modify_fleet
//   DeleteFleets            ec2_delete_fleets
//
// How the plugin uses them, per HostFactory request:
//   - Create: CreateFleet from a launch template (aws/ec2/launch_templates.h). An `instant` fleet
//     answers with the instances it launched and an error per pool it could not launch in.
//     CreateFleet is ok() even when nothing launched: look at `errors`, each a resilience::Error
//     whose kind says why (kCapacity for InsufficientInstanceCapacity, kQuota, kValidation, ...).
//     `request` and `maintain` fleets launch asynchronously: poll DescribeFleets (state, activity
//     status, fulfilled capacity, errors) and DescribeFleetInstances (the instance ids) until the
//     target is met.
//   - Shrink without letting AWS choose: ModifyFleet with kNoTermination and the lower target,
//     then terminate exactly the chosen instances (aws/ec2/instances.h TerminateInstances). AWS
//     modifies only `maintain` fleets.
//   - Clean up: DeleteFleets with terminate_instances true (or false after terminating the
//     instances yourself; AWS refuses false for `instant` fleets). Per-fleet outcomes:
//     `successful` (now deleted_running or deleted_terminating, later deleted) and `unsuccessful`
//     (an Error per fleet; AWS's codes are fleetIdDoesNotExist, fleetIdMalformed,
//     fleetNotInDeletableState, unexpectedError).
//
// Per-item errors (the errorSet of CreateFleet and DescribeFleets, DeleteFleets'
// unsuccessfulFleetDeletionSet) arrive inside a successful answer. Their kind comes from the
// error classifier's table (resilience::ErrorClassifier); code and message are kept for logs.
//
// Where the local emulator (moto 5.2.1) differs from AWS:
//   - ModifyFleet is not implemented (HTTP 500): tests answer it through ohfp-chaos-proxy.
//   - DeleteFleets with an unknown fleet id answers HTTP 500 (an HTML page): a retryable
//     kTransient error, retried up to max_attempts, then returned. AWS answers 200 with the fleet
//     in `unsuccessful` (fleetIdDoesNotExist). A caller that gets kTransient for a fleet it
//     believes exists should DescribeFleets it: absent, or in a deleted state, means done.
//   - DescribeFleets and DescribeFleetInstances answer unknown ids with empty lists, never page,
//     report no activityStatus and no errors, and keep fulfilledOnDemandCapacity at 0. On-demand
//     instances in DescribeFleetInstances carry their reservation id (r-...) as
//     spot_instance_request_id. Deleted fleets stay deleted_running/deleted_terminating.
//   - ClientToken is ignored (ohfp-chaos-proxy emulates it).
//   - SpotOptions without an allocation strategy (only an interruption behaviour) makes it answer
//     HTTP 500: set spot_allocation_strategy whenever spot_interruption_behavior is set.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   CreateFleetRequest r{
//       .client_token = "req-7-fleet", .type = FleetType::kInstant,
//       .target_capacity = {.total = 4, .default_type = CapacityType::kSpot},
//       .launch_template_configs = {{.launch_template = {.id = lt_id, .version = "$Latest"},
//                                    .overrides = {{.instance_type = "c5.large"}}}}};
//   Result<CreateFleetResult> created = CreateFleet(client, r);
//   auto fleets = DescribeFleets(client, {.fleet_ids = {created->fleet_id}});
//   auto gone = DeleteFleets(client, {.fleet_ids = {created->fleet_id},
//                                     .terminate_instances = true});
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"
#include "aws/ec2/instances.h"  // LaunchTemplateReference
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/error.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::ec2 {

// The enumerations' values are in the order of their names in fleets.cc (aws/wire_names.h),
// kUnknown last.
enum class FleetType { kInstant, kRequest, kMaintain };
// DefaultTargetCapacityType, and the lifecycle of launched instances and of errors.
enum class CapacityType { kOnDemand, kSpot };
enum class ExcessCapacityTerminationPolicy { kTermination, kNoTermination };
enum class SpotAllocationStrategy {
  kLowestPrice,
  kDiversified,
  kCapacityOptimized,
  kCapacityOptimizedPrioritized,
  kPriceCapacityOptimized,
};
enum class OnDemandAllocationStrategy { kLowestPrice, kPrioritized };
enum class InstanceInterruptionBehavior { kTerminate, kStop, kHibernate };
// kUnknown: a state this code does not know (or none in the answer).
enum class FleetState {
  kSubmitted,
  kActive,
  kModifying,
  kDeleted,
  kFailed,
  kDeletedRunning,
  kDeletedTerminating,
  kUnknown,
};
enum class FleetActivityStatus { kError, kPendingFulfillment, kPendingTermination, kFulfilled };
enum class InstanceHealth { kHealthy, kUnhealthy, kUnknown };

// The AWS spelling ("instant", "on-demand", "no-termination", "price-capacity-optimized",
// "deleted_running", "pending_fulfillment", "healthy"; "unknown" for the kUnknown values), for
// requests, logs and JSON.
std::string_view WireName(FleetType value) noexcept;
std::string_view WireName(CapacityType value) noexcept;
std::string_view WireName(ExcessCapacityTerminationPolicy value) noexcept;
std::string_view WireName(SpotAllocationStrategy value) noexcept;
std::string_view WireName(OnDemandAllocationStrategy value) noexcept;
std::string_view WireName(InstanceInterruptionBehavior value) noexcept;
std::string_view WireName(FleetState value) noexcept;
std::string_view WireName(FleetActivityStatus value) noexcept;
std::string_view WireName(InstanceHealth value) noexcept;

// The health AWS spells `name` ("healthy", "unhealthy"); kUnknown for any other.
InstanceHealth InstanceHealthNamed(std::string_view name) noexcept;

// deleted, deleted_running or deleted_terminating: the fleet launches nothing more.
bool IsDeleted(FleetState state) noexcept;

// One pool of a launch template config (Overrides.M); what is unset comes from the template.
struct FleetOverride {
  std::string instance_type{};
  std::string subnet_id{};
  std::string availability_zone{};
  std::optional<double> weighted_capacity{};
  // Lower first; used by kPrioritized and kCapacityOptimizedPrioritized.
  std::optional<double> priority{};
  std::string max_price{};  // per unit hour; empty: the on-demand price caps it
};

struct FleetLaunchTemplateConfig {
  LaunchTemplateReference launch_template{};  // id or name; version empty: the template's default
  std::vector<FleetOverride> overrides{};
};

struct TargetCapacity {
  int total = 0;
  std::optional<int> on_demand{};
  std::optional<int> spot{};
  std::optional<CapacityType> default_type{};
};

struct CreateFleetRequest {
  std::string client_token{};  // at most 64 ASCII characters; empty: none (not idempotent)
  FleetType type = FleetType::kMaintain;  // AWS's default, always sent
  TargetCapacity target_capacity{};
  std::vector<FleetLaunchTemplateConfig> launch_template_configs{};
  std::optional<SpotAllocationStrategy> spot_allocation_strategy{};
  std::optional<InstanceInterruptionBehavior> spot_interruption_behavior{};
  // SpotOptions.InstancePoolsToUseCount (AWS: with the lowest-price strategy only).
  std::optional<int> spot_instance_pools_to_use_count{};
  std::optional<OnDemandAllocationStrategy> on_demand_allocation_strategy{};
  std::optional<ExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
  std::optional<bool> terminate_instances_with_expiration{};
  std::optional<resilience::SysTime> valid_until{};
  std::vector<Tag> tags{};  // on the fleet (TagSpecification resource type fleet)
  // On the launched instances: instant fleets only (AWS refuses them for request/maintain fleets,
  // whose instances take their tags from the launch template).
  std::vector<Tag> instance_tags{};
};

// The launch template and pool an instance set or an error belongs to (launchTemplateAndOverrides).
struct LaunchTemplateAndOverrides {
  LaunchTemplateReference launch_template{};
  FleetOverride overrides{};
};

// Instances launched from one pool (fleetInstanceSet item).
struct FleetLaunchedInstances {
  std::vector<std::string> instance_ids{};
  std::string instance_type{};
  std::optional<CapacityType> lifecycle{};
  LaunchTemplateAndOverrides launched_from{};
};

// A pool that could not launch (errorSet item): error.code() is AWS's errorCode, error.kind() its
// classification.
struct FleetError {
  resilience::Error error{resilience::ErrorKind::kUnknown};
  std::optional<CapacityType> lifecycle{};
  LaunchTemplateAndOverrides launched_from{};
};

struct CreateFleetResult {
  std::string fleet_id{};
  std::vector<FleetLaunchedInstances> instances{};  // instant fleets; empty for request/maintain
  std::vector<FleetError> errors{};                 // instant fleets

  // Every launched instance id, in answer order.
  std::vector<std::string> InstanceIds() const;
};

struct Fleet {
  std::string fleet_id{};
  FleetState state = FleetState::kUnknown;
  // nullopt when the answer has none (instant fleets; moto never reports one).
  std::optional<FleetActivityStatus> activity_status{};
  std::optional<FleetType> type{};
  TargetCapacity target_capacity{};
  double fulfilled_capacity = 0.0;
  double fulfilled_on_demand_capacity = 0.0;
  std::optional<ExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
  std::string client_token{};
  std::optional<resilience::SysTime> create_time{};
  std::optional<resilience::SysTime> valid_until{};
  std::vector<Tag> tags{};
  std::vector<FleetError> errors{};
  std::vector<FleetLaunchedInstances> instances{};  // instant fleets

  std::optional<std::string> TagValue(std::string_view key) const;
};

struct DescribeFleetsRequest {
  std::vector<std::string> fleet_ids{};  // empty: every fleet
  std::vector<Filter> filters{};         // "fleet-state", "activity-status", "type", ...
};

// An active instance of a fleet (DescribeFleetInstances activeInstanceSet item).
struct FleetInstance {
  std::string instance_id{};
  std::string instance_type{};
  std::string spot_instance_request_id{};
  InstanceHealth health = InstanceHealth::kUnknown;
};

struct ModifyFleetRequest {
  std::string fleet_id{};
  std::optional<TargetCapacity> target_capacity{};
  std::optional<ExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
};

struct DeleteFleetsRequest {
  // AWS takes up to 25 instant or 100 request/maintain fleets per call.
  std::vector<std::string> fleet_ids{};
  bool terminate_instances = false;  // always sent; false is refused for instant fleets
};

struct FleetDeletion {
  std::string fleet_id{};
  FleetState current_state = FleetState::kUnknown;
  FleetState previous_state = FleetState::kUnknown;
};

struct FleetDeletionError {
  std::string fleet_id{};
  resilience::Error error{resilience::ErrorKind::kUnknown};
};

struct DeleteFleetsResult {
  std::vector<FleetDeletion> successful{};
  std::vector<FleetDeletionError> unsuccessful{};
};

[[nodiscard]] resilience::Result<CreateFleetResult> CreateFleet(AwsClient& client,
                                                                const CreateFleetRequest& request,
                                                                std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<Fleet>> DescribeFleets(
    AwsClient& client, const DescribeFleetsRequest& request, std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<FleetInstance>> DescribeFleetInstances(
    AwsClient& client, const std::string& fleet_id, std::stop_token stop = {});
[[nodiscard]] resilience::Status ModifyFleet(AwsClient& client, const ModifyFleetRequest& request,
                                             std::stop_token stop = {});
[[nodiscard]] resilience::Result<DeleteFleetsResult> DeleteFleets(
    AwsClient& client, const DeleteFleetsRequest& request, std::stop_token stop = {});

}  // namespace ohfp::aws::ec2
