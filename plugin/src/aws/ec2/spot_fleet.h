// aws/ec2/spot_fleet.h
//
// Typed EC2 Spot Fleet operations, each one call through the resilience pipeline under its
// operation name (all `spot_fleet_*`, so they share the aws_spot_fleet circuit breaker):
//
//   RequestSpotFleet                 spot_fleet_request             caller's ClientToken
//   DescribeSpotFleetRequests        spot_fleet_describe            pages followed
//   FindSpotFleetRequest             spot_fleet_describe            one fleet, nullopt if gone
//   DescribeSpotFleetInstances       spot_fleet_describe_instances  pages followed
//   DescribeSpotFleetRequestHistory  spot_fleet_describe_history    pages followed
//   ModifySpotFleetRequest           spot_fleet_modify              absolute values: retry-safe
//   CancelSpotFleetRequests          spot_fleet_cancel              idempotent by itself
//
// How the plugin uses them, one fleet per HostFactory request:
//   - create: RequestSpotFleet with a ClientToken derived from the request id (the same token on
//     every try of the same request, so a lost answer never launches a second fleet);
//   - track: FindSpotFleetRequest (state, activity status, fulfilled vs. target capacity) and
//     DescribeSpotFleetInstances (the instance ids); DescribeSpotFleetRequestHistory with
//     event_type kError for why a launch failed (event_sub_type, event_description);
//   - return machines: for a kMaintain fleet, ModifySpotFleetRequest to the lower target with
//     kNoTermination, so that AWS neither chooses which instances go nor replaces the returned
//     ones, then ec2::TerminateInstances on exactly the returned instances. AWS modifies only
//     kMaintain fleets (moto does not check); a kRequest fleet never replaces lost capacity, so
//     TerminateInstances alone is enough there;
//   - clean up: CancelSpotFleetRequests, terminating the instances or not as the caller decides.
//
// Enum values travel as AWS's wire names (WireName). A state read from AWS that this code does not
// know becomes kUnknown instead of an error, so a new AWS state never breaks tracking.
//
// Gone fleets. For an id it does not know, AWS answers DescribeSpotFleetRequests and
// DescribeSpotFleetInstances with InvalidSpotFleetRequestId.NotFound (kNotFound), keeps cancelled
// fleets visible (state cancelled...) for a while, and reports the id in CancelSpotFleetRequests'
// `unsuccessful` (HTTP 200, code fleetRequestIdDoesNotExist). moto instead forgets a fleet
// cancelled with its instances at once, describes an unknown id as an empty list, and answers
// CancelSpotFleetRequests / ModifySpotFleetRequest for an unknown id with HTTP 500 and an HTML
// page: a kTransient "Http500" error, retried by the pipeline, then returned. FindSpotFleetRequest
// folds kNotFound and "absent from the answer" into nullopt: ask it whether a fleet still exists
// rather than reading that from cancel's answer.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   RequestSpotFleetRequest r{
//       .client_token = "req-7-sf", .iam_fleet_role = role, .target_capacity = 4,
//       .type = SpotFleetType::kMaintain,
//       .launch_specifications = {{.image_id = "ami-1", .instance_type = "c5.large"}}};
//   Result<std::string> id = RequestSpotFleet(client, r);  // "sfr-..."
//   Result<std::optional<SpotFleetRequestDescription>> f = FindSpotFleetRequest(client, *id);
//   Result<std::vector<SpotFleetInstance>> running = DescribeSpotFleetInstances(client, *id);
//   Status s = ModifySpotFleetRequest(
//       client, {.spot_fleet_request_id = *id, .target_capacity = 3,
//                .excess_capacity_termination_policy =
//                    SpotFleetExcessCapacityTerminationPolicy::kNoTermination});
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"
#include "aws/ec2/fleets.h"  // the value types Spot Fleet shares with EC2 Fleet
#include "aws/ec2/instances.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/error.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::ec2 {

// ---- Enumerations (WireName gives the AWS spelling) ----
// Their values are in the order of their names in spot_fleet.cc (aws/wire_names.h), kUnknown last.

enum class SpotFleetAllocationStrategy {
  kLowestPrice,        // lowestPrice: AWS's documented default for Spot Fleet
  kDiversified,        // diversified
  kCapacityOptimized,  // capacityOptimized
  // capacityOptimizedPrioritized: uses the launch template overrides' priority
  kCapacityOptimizedPrioritized,
  kPriceCapacityOptimized,  // priceCapacityOptimized: AWS's recommendation
};
// lowestPrice, prioritized
enum class SpotFleetOnDemandAllocationStrategy { kLowestPrice, kPrioritized };
enum class SpotFleetType {
  kRequest,   // request: launch once, never replace interrupted instances
  kMaintain,  // maintain: keep the target capacity (AWS's default)
};
enum class SpotFleetExcessCapacityTerminationPolicy {
  kDefault,        // default: lowering the target terminates instances AWS chooses
  kNoTermination,  // noTermination: lowering the target terminates nothing
};
// Spot Fleet spells these as EC2 Fleet does (fleets.h), so they are EC2 Fleet's types:
// terminate, stop, hibernate; healthy, unhealthy.
using SpotFleetInterruptionBehavior = InstanceInterruptionBehavior;
using SpotFleetInstanceHealth = InstanceHealth;

// The fleet's state (BatchState).
enum class SpotFleetState {
  kSubmitted,             // submitted
  kActive,                // active
  kCancelled,             // cancelled
  kFailed,                // failed
  kCancelledRunning,      // cancelled_running: cancelled, its instances keep running
  kCancelledTerminating,  // cancelled_terminating: cancelled, its instances are terminating
  kModifying,             // modifying
  kUnknown,               // a value this code does not know
};
// How fulfilment is going: reported for an active or modifying fleet (moto never reports it).
enum class SpotFleetActivityStatus {
  kError,               // error: launching failed; the history's error events say why
  kPendingFulfillment,  // pending_fulfillment
  kPendingTermination,  // pending_termination
  kFulfilled,           // fulfilled
  kUnknown,
};
enum class SpotFleetEventType {
  kInstanceChange,      // instanceChange: an instance was launched or terminated
  kFleetRequestChange,  // fleetRequestChange: the fleet changed state
  kError,               // error: e.g. iamFleetRoleInvalid, spotInstanceCountLimitExceeded
  kInformation,         // information: e.g. launchSpecUnusable
  kUnknown,
};

// "unknown" for kUnknown.
std::string_view WireName(SpotFleetAllocationStrategy value) noexcept;
std::string_view WireName(SpotFleetOnDemandAllocationStrategy value) noexcept;
std::string_view WireName(SpotFleetType value) noexcept;
std::string_view WireName(SpotFleetExcessCapacityTerminationPolicy value) noexcept;
std::string_view WireName(SpotFleetState value) noexcept;
std::string_view WireName(SpotFleetActivityStatus value) noexcept;
std::string_view WireName(SpotFleetEventType value) noexcept;

// True for the states in which the fleet launches nothing more: cancelled, failed,
// cancelled_running, cancelled_terminating.
bool IsCancelledOrFailed(SpotFleetState state) noexcept;

// ---- RequestSpotFleet ----

// One LaunchSpecifications.N entry.
struct SpotFleetLaunchSpecification {
  std::string image_id{};
  std::string instance_type{};
  // One subnet id, or several separated by commas ("subnet-1, subnet-2"), as AWS allows.
  std::string subnet_id{};
  std::string key_name{};
  std::vector<std::string> security_group_ids{};  // GroupSet.M.GroupId
  std::string user_data{};                        // plain text; base64-encoded on the wire
  std::string iam_instance_profile{};             // a name, or an ARN ("arn:...")
  std::optional<double> weighted_capacity{};      // units of target capacity per instance
  std::string spot_price{};  // empty: the fleet's spot_price, else the on-demand price
  std::vector<Tag> tags{};   // applied to the instances (TagSpecificationSet, "instance")
  std::optional<EbsVolume> root_volume{};  // BlockDeviceMapping.1
};

// One LaunchTemplateConfigs.N.Overrides.M entry.
struct SpotFleetLaunchTemplateOverrides {
  std::string instance_type{};
  std::string subnet_id{};
  std::string availability_zone{};
  std::optional<double> weighted_capacity{};
  std::string spot_price{};
  // Lower is more preferred (capacityOptimizedPrioritized, on-demand prioritized).
  std::optional<double> priority{};
};

// One LaunchTemplateConfigs.N entry.
struct SpotFleetLaunchTemplateConfig {
  // By id or by name; an empty version is the template's default version.
  LaunchTemplateReference launch_template{};
  std::vector<SpotFleetLaunchTemplateOverrides> overrides{};
};

// SpotFleetRequestConfig. Give either launch_specifications or launch_template_configs (AWS
// refuses both and neither). Unset optional fields are not sent and take AWS's defaults.
struct RequestSpotFleetRequest {
  // At most 64 ASCII characters; empty: none, and the request is then not idempotent.
  std::string client_token{};
  // The ARN of the role that lets Spot Fleet launch, tag and terminate instances (required).
  std::string iam_fleet_role{};
  int target_capacity = 0;
  std::optional<int> on_demand_target_capacity{};
  // Always sent: moto answers a RequestSpotFleet without it with HTTP 500 and an HTML page.
  // kLowestPrice is what AWS documents as its default when the field is absent, so sending it
  // changes nothing against AWS.
  SpotFleetAllocationStrategy allocation_strategy = SpotFleetAllocationStrategy::kLowestPrice;
  std::optional<SpotFleetOnDemandAllocationStrategy> on_demand_allocation_strategy{};
  std::optional<SpotFleetType> type{};  // unset: AWS's default, maintain
  std::optional<resilience::SysTime> valid_until{};
  std::optional<bool> terminate_instances_with_expiration{};
  std::optional<SpotFleetExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
  std::string spot_price{};  // maximum price per unit hour; empty: the on-demand price
  // Spot pools to spread over (InstancePoolsToUseCount; AWS: with allocation strategy
  // lowestPrice only).
  std::optional<int> instance_pools_to_use_count{};
  std::optional<SpotFleetInterruptionBehavior> instance_interruption_behavior{};
  // Tags of the fleet request itself (TagSpecification, "spot-fleet-request").
  std::vector<Tag> tags{};
  std::vector<SpotFleetLaunchSpecification> launch_specifications{};
  std::vector<SpotFleetLaunchTemplateConfig> launch_template_configs{};
};

// The new fleet's id ("sfr-..."). kInternal "UnexpectedResponse" when the answer has none.
[[nodiscard]] resilience::Result<std::string> RequestSpotFleet(
    AwsClient& client, const RequestSpotFleetRequest& request, std::stop_token stop = {});

// ---- DescribeSpotFleetRequests ----

struct DescribeSpotFleetRequestsRequest {
  std::vector<std::string> spot_fleet_request_ids{};  // empty: every fleet in the region
};

struct SpotFleetRequestDescription {
  std::string spot_fleet_request_id{};
  SpotFleetState state = SpotFleetState::kUnknown;
  std::optional<SpotFleetActivityStatus> activity_status{};  // nullopt when not reported
  int target_capacity = 0;
  int on_demand_target_capacity = 0;
  double fulfilled_capacity = 0;  // in units of weighted capacity, spot and on-demand
  double on_demand_fulfilled_capacity = 0;
  // The fields below are nullopt (or empty) when not reported; moto reports none of them except
  // the allocation strategy and the tags.
  std::optional<SpotFleetType> type{};
  std::optional<SpotFleetAllocationStrategy> allocation_strategy{};
  std::optional<SpotFleetExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
  std::optional<resilience::SysTime> create_time{};
  std::optional<resilience::SysTime> valid_until{};
  std::string client_token{};  // the token the fleet was requested with
  std::vector<Tag> tags{};     // the fleet request's own tags
};

// Every fleet asked for (or all of them). With ids, AWS fails an unknown one with kNotFound; moto
// leaves it out. kInternal "UnexpectedResponse" for an entry without id or state, or with a
// malformed number or time.
[[nodiscard]] resilience::Result<std::vector<SpotFleetRequestDescription>>
DescribeSpotFleetRequests(AwsClient& client, const DescribeSpotFleetRequestsRequest& request,
                          std::stop_token stop = {});

// One fleet: its description, or nullopt when AWS does not know it (kNotFound) or leaves it out of
// the answer. Every other error is returned as is.
[[nodiscard]] resilience::Result<std::optional<SpotFleetRequestDescription>> FindSpotFleetRequest(
    AwsClient& client, const std::string& spot_fleet_request_id, std::stop_token stop = {});

// ---- DescribeSpotFleetInstances ----

struct SpotFleetInstance {
  std::string instance_id{};
  std::string instance_type{};
  std::string spot_instance_request_id{};  // empty for the fleet's on-demand instances
  std::optional<SpotFleetInstanceHealth> instance_health{};  // nullopt without health checks
};

// The fleet's running instances (activeInstanceSet). AWS fails an unknown id with kNotFound; moto
// answers an empty list.
[[nodiscard]] resilience::Result<std::vector<SpotFleetInstance>> DescribeSpotFleetInstances(
    AwsClient& client, const std::string& spot_fleet_request_id, std::stop_token stop = {});

// ---- DescribeSpotFleetRequestHistory ----

struct DescribeSpotFleetRequestHistoryRequest {
  std::string spot_fleet_request_id{};
  resilience::SysTime start_time{};  // events from this time on (required by AWS)
  // nullopt: events of every type. Never kUnknown (asserted; not sent in release builds).
  std::optional<SpotFleetEventType> event_type{};
};

struct SpotFleetHistoryRecord {
  std::optional<resilience::SysTime> timestamp{};
  SpotFleetEventType event_type = SpotFleetEventType::kUnknown;
  // E.g. launched, terminated, iamFleetRoleInvalid, spotInstanceCountLimitExceeded.
  std::string event_sub_type{};
  std::string event_description{};  // AWS's text, for logs and HostFactory messages
  std::string instance_id{};        // for instanceChange events
};

struct SpotFleetHistory {
  std::vector<SpotFleetHistoryRecord> records{};  // every page, in AWS's order
  // Every event up to this time was returned: the start_time of the next poll. nullopt when AWS
  // does not say.
  std::optional<resilience::SysTime> last_evaluated_time{};
};

// moto does not implement this action (HTTP 500, "has not been implemented"): against moto this
// is a kTransient error after the pipeline's retries.
[[nodiscard]] resilience::Result<SpotFleetHistory> DescribeSpotFleetRequestHistory(
    AwsClient& client, const DescribeSpotFleetRequestHistoryRequest& request,
    std::stop_token stop = {});

// ---- ModifySpotFleetRequest ----

struct ModifySpotFleetRequestRequest {
  std::string spot_fleet_request_id{};
  std::optional<int> target_capacity{};
  std::optional<int> on_demand_target_capacity{};
  // Set kNoTermination when lowering the target in order to terminate chosen instances afterwards:
  // otherwise AWS may terminate instances of its own choosing.
  std::optional<SpotFleetExcessCapacityTerminationPolicy> excess_capacity_termination_policy{};
};

// OK when AWS accepted the change; it applies it asynchronously (the fleet is `modifying` for a
// while). AWS accepts this only for fleets of type maintain. kInternal "UnexpectedResponse" when
// AWS answers <return>false</return> or without <return>.
[[nodiscard]] resilience::Status ModifySpotFleetRequest(
    AwsClient& client, const ModifySpotFleetRequestRequest& request, std::stop_token stop = {});

// ---- CancelSpotFleetRequests ----

struct CancelSpotFleetRequestsRequest {
  std::vector<std::string> spot_fleet_request_ids{};
  bool terminate_instances = false;  // true: the fleets' instances are terminated too
};

struct SpotFleetCancelled {
  std::string spot_fleet_request_id{};
  // cancelled_terminating or cancelled_running (moto always says cancelled_terminating).
  SpotFleetState current_state = SpotFleetState::kUnknown;
  SpotFleetState previous_state = SpotFleetState::kUnknown;  // moto always says active
};

struct SpotFleetNotCancelled {
  std::string spot_fleet_request_id{};
  // AWS's code (fleetRequestIdDoesNotExist, fleetRequestIdMalformed,
  // fleetRequestNotInCancellableState, unexpectedError) and message. The kind is the error
  // classifier's for that code: kUnknown for a code without a row in its table.
  resilience::Error error{resilience::ErrorKind::kUnknown};
};

struct CancelSpotFleetRequestsResult {
  std::vector<SpotFleetCancelled> successful{};
  std::vector<SpotFleetNotCancelled> unsuccessful{};
};

// Cancels the fleets. A fleet AWS cannot cancel is reported in `unsuccessful`, not as an error of
// the call. No ids: an empty result, without a call.
[[nodiscard]] resilience::Result<CancelSpotFleetRequestsResult> CancelSpotFleetRequests(
    AwsClient& client, const CancelSpotFleetRequestsRequest& request, std::stop_token stop = {});

}  // namespace ohfp::aws::ec2
