// provider/handlers/spot_fleet_handler.h
//
// SpotFleetHandler: providerApi SpotFleet. One acquire request is one Spot Fleet request
// (RequestSpotFleet) that launches from the request's launch template ("ohfp-<request id>", see
// request_launch_template.h; or the template's own launchTemplateId), with one override per
// subnet x instance type. What it decides, and why:
//
//   - ClientToken: SpotFleetRequestConfig.ClientToken = the attempt's token ("<request id>-<n>"),
//     saved by the service before the call, so a retry after a lost answer returns the first fleet.
//     If AWS answers IdempotentParameterMismatch (the token was used, e.g. with another
//     ValidUntil), the fleet is looked up by its ohfp:request-id tag and adopted; if it is not
//     visible yet, the outcome is reported as unknown (kTransient), never as a refusal.
//   - Capacity: TargetCapacity = the machine count (capacity units when vmTypes carry weights).
//     OnDemandTargetCapacity: ondemand all of it; spot none; heterogeneous
//     ceil(count x percentOnDemand / 100), rounded up as Auto Scaling does, so at least that share
//     is never interrupted. AllocationStrategy is always sent (moto fails without it): the
//     template's, else priceCapacityOptimized (AWS's recommendation; lowestPrice, AWS's historical
//     default, has the highest interruption rate). For priceType ondemand the template's strategy
//     is the On-Demand one (OnDemandAllocationStrategy). With capacityOptimizedPrioritized or
//     On-Demand prioritized, overrides get Priority = the instance type's place in vmTypes.
//   - Overrides: each subnet x each instance type, WeightedCapacity from vmTypes, SpotPrice =
//     maxSpotPrice (per instance hour).
//   - ValidUntil = now (the injected clock, whole seconds) + spotFleetRequestExpiry minutes, with
//     TerminateInstancesWithExpiration=false: expiry stops fulfilment, never kills machines
//     HostFactory holds.
//   - Type request | maintain (fleetType). ExcessCapacityTerminationPolicy=noTermination on
//     maintain fleets (AWS supports it only there), so lowering the target never lets the fleet
//     pick victims.
//   - Tags: the request's tags (spec.tags) on the Spot Fleet request itself, plus, when vmTypes
//     weigh types differently, one "ohfp:weight:<type>" = "<weight>" tag per type: the fleet
//     carries its own weights, so Observe/Release/Shrink (which see only the stored request) need
//     neither the template (which may have been edited since) nor the fleet's overrides (which
//     DescribeSpotFleetRequests' typed result does not expose). Instances get the request's tags
//     from the launch template; instances found untagged (a user's launchTemplateId) are tagged
//     with the fleet's tags (TagUntagged).
//   - Observe: the fleet (request.created.resource_id, else found by its ohfp:request-id tag,
//   reported so
//     the service adopts it); its instances are DescribeSpotFleetInstances plus
//     InstancesTaggedWith(request id), in any state.
//     fulfilling = state submitted/active/modifying and fulfilled < target (or the fleet not
//     visible yet within kFleetVisibilityGrace of the request's creation). Errors: the history's
//     error and information events (read only while the fleet is short of its target or reports
//     activity status error), and a cancelled/failed/expired fleet left short. running_capacity
//     (units of running instances) when weights are used.
//   - Release(ids): maintain (or type not reported): lower the target first with noTermination,
//     to what the fleet still holds (minus the released, minus ones released earlier) plus what
//     it still had to launch, never above the current target (and the On-Demand target alike);
//     mark the released instances "ohfp:released" = "true"; then TerminateInstances on exactly
//     those ids. The absolute target plus the mark make a repeated Release lower nothing twice.
//     A request fleet (AWS cannot modify those, and they never replace capacity), a cancelled or
//     gone fleet: TerminateInstances alone.
//   - Shrink(keep): maintain: the target goes down to keep (weighted: the units the fleet still
//     holds); request: CancelSpotFleetRequests without terminating instances (a request fleet
//     cannot be modified; cancelling is what stops it launching more). keep 0 means the request
//     ends without a machine, so none will ever be returned to trigger the cleanup: Shrink(0) is
//     Cleanup. A recorded fleet not listed yet (within kFleetVisibilityGrace) is a kTransient
//     error: it may still launch.
//   - Cleanup (called once the request holds no machine): CancelSpotFleetRequests with
//     TerminateInstances=false when the fleet is still submitted/active/modifying (asked first
//     with FindSpotFleetRequest: an unknown fleet needs nothing), then TerminateInstances on the
//     live instances the cancelled fleet (or one cancelled earlier without them, cancelled_running)
//     still lists: none is a machine HostFactory holds, and a maintain fleet's replacement
//     launched from the user's launchTemplateId carries no ohfp tag, so housekeeping could never
//     find it. Then DeleteRequestLaunchTemplate. Nothing ohfp created is left behind.
//   - Launch refused by AWS (validation, authorization, ...; not capacity, after which the service
//     tries again with the next attempt and the same launch template): the launch template
//     created for it is deleted again.
// Every call goes through the resilience pipeline under its operation name (spot_fleet_*, breaker
// aws_spot_fleet; ec2_* for instances and launch templates).
//
// What moto (5.2.1) lacks, and where each path is therefore tested:
//   - ClientToken (moto ignores it): ohfp-chaos-proxy emulates it; a lost RequestSpotFleet answer
//     settled by tag runs against moto through the proxy. The IdempotentParameterMismatch
//     adoption is unit-tested only (spot_fleet_handler_test.cc's in-memory EC2).
//   - DescribeSpotFleetRequestHistory (HTTP 500 in moto): history messages come from proxy
//     answers (integration) and the in-memory EC2 (unit).
//   - A fleet's type, activityStatus and validUntil (never reported by moto): the expired-fleet
//     message runs against a proxy-answered DescribeSpotFleetRequests; request-fleet Release
//     (no ModifySpotFleetRequest) and Shrink (cancel), and activity status error, are unit-tested
//     only. Against moto a request fleet's type is unknown, so it is handled as maintain (its
//     target is lowered, which moto accepts and AWS would refuse; AWS reports the type).
//   - Spot shortfalls (moto fulfils every fleet at once): a short fleet is made by terminating
//     instances behind the fleet's back (moto then lowers its fulfilled capacity).
//   - moto uses only the first override of a launch template config and ignores
//     OnDemandTargetCapacity, OnDemandAllocationStrategy, Type, ValidUntil and
//     ExcessCapacityTerminationPolicy on RequestSpotFleet: those are checked on
//     SpotFleetRequestFor's result (unit) and on the wire by the in-memory EC2.
//   - CancelSpotFleetRequests of an unknown id (HTTP 500 in moto) is never sent: Cleanup asks
//     FindSpotFleetRequest first. With TerminateInstances=true moto answers
//     InvalidParameterCombination ("No instances specified") for a fleet with no instance left,
//     which is why Cleanup cancels without and terminates what remains itself.
//
// Thread-safety: used by one command at a time; stateless apart from its references.
//
// Example:
//   SpotFleetHandler handler(client, clock);
//   Result<AwsLaunchOutcome> out = handler.Launch(spec);       // out->resource_id == "sfr-..."
//   Result<AwsObservation> seen = handler.Observe(request);     // fulfilling until the target is
//   met Status gone = handler.Release(request, {"i-0abc"});      // target lowered, then terminated
//   Status clean = handler.Cleanup(request);                 // fleet cancelled, template deleted
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ec2/spot_fleet.h"
#include "ohfp/resilience/clock.h"
#include "provider/handlers/api_handler.h"
#include "provider/handlers/request_launch_template.h"

namespace ohfp::provider {

// Tag on a weighted Spot Fleet request: "ohfp:weight:<instance type>" = "<weight>".
inline constexpr std::string_view kTagWeightPrefix = "ohfp:weight:";
// Tag on an instance whose fleet target was already lowered for it by Release.
inline constexpr std::string_view kTagReleased = "ohfp:released";
// How long after a request's creation an unlisted Spot Fleet request counts as not visible yet
// (EC2's describe calls are eventually consistent) rather than gone.
inline constexpr std::chrono::minutes kFleetVisibilityGrace{2};

class SpotFleetHandler final : public ResourceApiHandler {
 public:
  using ResourceApiHandler::ResourceApiHandler;

  OHFP_API_HANDLER_OPERATIONS;

 private:
  // The request's Spot Fleet: the recorded one, else the one tagged with the request id; nullopt
  // when there is none (or AWS does not know it).
  resilience::Result<std::optional<aws::ec2::SpotFleetRequestDescription>> FindFleet(
      const model::Request& request);
  // Lowers the fleet's targets (noTermination) to new_target / new_on_demand_target.
  resilience::Status LowerTarget(const aws::ec2::SpotFleetRequestDescription& fleet, int new_target,
                                 std::optional<int> new_on_demand_target);
};

// The RequestSpotFleet request for a launch spec, launching from `launch_template`, at `now`: what
// Launch() sends, exposed for tests.
aws::ec2::RequestSpotFleetRequest SpotFleetRequestFor(const AwsLaunchSpec& spec,
                                                      const RequestLaunchTemplate& launch_template,
                                                      resilience::SysTime now);

// The instance type -> weight map a fleet's "ohfp:weight:*" tags carry (empty: unweighted).
std::map<std::string, double, std::less<>> SpotFleetWeights(const std::vector<aws::ec2::Tag>& tags);

// The target to set when `released_units` of the `live_units` a fleet holds are released, for a
// fleet whose target is `target`: what it keeps plus what it still had to launch
// (max(0, target - live_units)), rounded down, never above `target`, never below 0.
int SpotFleetTargetAfterRelease(int target, double live_units, double released_units);

}  // namespace ohfp::provider
