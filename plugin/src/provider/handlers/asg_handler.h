// provider/handlers/asg_handler.h
//
// AsgHandler: the providerApi "ASG". An acquire request is one Auto Scaling group, named
// "ohfp-<request id>", that launches the request's machines from the request's launch template
// (request_launch_template.h) into the template's subnets; the group is deleted once the request
// holds no machine.
//
// Decisions:
//   - Name. CreateAutoScalingGroup takes no ClientToken; the name is the idempotency key. A name
//     in use (kAlreadyExists) after a lost answer or a retried attempt is this request's group:
//     it is adopted, never created twice. Observe() finds the group by that name even when the
//     request has not recorded it yet, and reports it (resource_id, launch_template_id) so the
//     service adopts it. A recorded group Auto Scaling does not list is still coming within
//     kGroupVisibilityGrace of the request's creation (fulfilling), gone after it (an error).
//   - Status. fulfilling while the group is not being deleted and its Pending and InService
//     members weigh less than DesiredCapacity. While short, the reasons of the group's Failed or
//     Cancelled scaling activities since the request was made (DescribeScalingActivities, e.g.
//     "We currently do not have sufficient c5.large capacity ...") are the observation's errors,
//     so a request that ends short says why.
//   - Size. MinSize 0, MaxSize = DesiredCapacity = the count asked for (capacity units when
//     vmTypes carries weights; Observation::running_capacity then reports running units).
//   - What it launches. One instance type and On-Demand: the launch template as is. vmTypes, spot,
//     heterogeneous, or a vmType over the user's own launchTemplateId: a MixedInstancesPolicy with
//     one override per type (WeightedCapacity = its weight), On-Demand percentage 100 / 0 /
//     percentOnDemand, SpotMaxPrice = maxSpotPrice, allocationStrategy as the Spot (or, for
//     ondemand, the On-Demand) allocation strategy. No CapacityRebalance: AWS would replace
//     instances HostFactory holds.
//   - Protection. New instances are protected from scale-in, so a lower DesiredCapacity (Shrink,
//     or AWS rebalancing) never picks victims among the instances HostFactory holds.
//   - Tags. The request's tags are group tags with PropagateAtLaunch, and are in the launch
//     template; an instance that still lacks them (the user's own launch template) is tagged when
//     seen (TagUntagged, best effort: retried on the next poll).
//   - Release = detach, then terminate. The released instances that are still in the group leave it
//     with ShouldDecrementDesiredCapacity (DetachInstances for InService/Standby ones, 20 per call;
//     TerminateInstanceInAutoScalingGroup for ones still Pending, which AWS cannot detach), so the
//     target drops by as many, atomically on AWS's side, and nothing is replaced or chosen by the
//     group; then exactly those ids are terminated. An instance not passed to Release is never
//     terminated by it. With weights, if the group lowered its target by fewer units than the
//     released instances weigh (AWS documents the decrement "by the number of instances"), the
//     target is lowered to the right number of units.
//   - Shrink(keep) sets desired = max = keep (units of the live instances with weights); with
//     protection nothing is terminated. keep 0 means the request ends without a machine, so none
//     will ever be returned to trigger the cleanup: Shrink(0) is Cleanup. A recorded group not
//     listed yet (within kGroupVisibilityGrace) is a kTransient error: it may still launch.
//   - Cleanup deletes the group with ForceDelete (it runs only once the request holds no machine,
//     so any instance still in the group is none HostFactory has: a replacement the group made, or
//     one whose release never got through; AWS terminates them with the group), then the launch
//     template ohfp created. Not found = already done. Every operation is idempotent.
//   - A template ASG cannot launch (no subnet; a weight that is not a whole number in 1..999) is
//     refused with kValidation before anything is created. A CreateAutoScalingGroup that AWS
//     refuses outright also deletes the launch template created for it.
//   - Every call goes through the resilience pipeline under its operation name: autoscaling_*
//     (breaker aws_autoscaling; DescribeScalingActivities, which aws/autoscaling/groups.h does not
//     type, as autoscaling_describe_scaling_activities), ec2_* (aws_ec2) for instances and launch
//     templates.
//
// What moto (5.2.1) lacks, and so was tested only through ohfp-chaos-proxy rules (tests named
// ...ViaProxy... in tests/integration/provider_asg_test.cc) or against the shared fake AWS
// (plugin/tests/provider/fake_aws.h, in asg_handler_test.cc):
//   - A duplicate CreateAutoScalingGroup succeeds (and replaces the group) where AWS answers
//     AlreadyExists: adoption after a lost answer is tested with the proxy answering AlreadyExists.
//   - It lists every group instance InService at once (no Pending), never shows a group "Delete in
//     progress", and reports no WeightedCapacity per instance: the Pending path of Release and the
//     delete-in-progress paths are tested against the fake.
//   - With weights it launches ceil(units / first weight) instances of the launch template's type,
//     decrements DesiredCapacity by instance count on detach (then launches a replacement), drops
//     the MixedInstancesPolicy on UpdateAutoScalingGroup, and ForceDelete leaves protected
//     instances running: weighted groups are tested end to end with a first weight of 1 (where
//     moto's units and instances agree); other weights only to completion by units.
//   - It launches everything at once and answers DescribeScalingActivities with no activity: a
//     group short of its target, with the failed activity that says why, is staged through the
//     proxy (...ViaProxyBecauseMotoLaunchesAll).
//
// Thread-safety: used by one command at a time; holds no mutable state.
//
// Example:
//   AsgHandler handler(client, clock);
//   Result<AwsLaunchOutcome> out = handler.Launch(spec);          // out->resource_id:
//   "ohfp-req-..." Result<AwsObservation> seen = handler.Observe(request);       // instances,
//   fulfilling, capacity Status gone = handler.Release(request, {"i-0abc"});         // detach,
//   then terminate Status clean = handler.Cleanup(request);                    // the group and
//   launch template
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/autoscaling/groups.h"
#include "ohfp/resilience/clock.h"
#include "provider/handlers/api_handler.h"
#include "provider/handlers/request_launch_template.h"

namespace ohfp::provider {

class AsgHandler final : public ResourceApiHandler {
 public:
  using ResourceApiHandler::ResourceApiHandler;

  OHFP_API_HANDLER_OPERATIONS;
};

// How long after a request's creation a recorded group that Auto Scaling does not list counts as
// not visible yet (describe calls are eventually consistent) rather than gone.
inline constexpr std::chrono::minutes kGroupVisibilityGrace{2};

// "ohfp-<request id>": the request's group.
std::string AsgGroupName(std::string_view request_id);

// Whether ASG can launch the template (subnets; whole weights 1..999); kValidation naming the
// template and field otherwise.
[[nodiscard]] resilience::Status CheckAsgTemplate(const model::Template& t);

// The CreateAutoScalingGroup request Launch() sends for `spec`, launching from `lt`: what the
// header above describes, exposed for tests. Fails as CheckAsgTemplate does.
[[nodiscard]] resilience::Result<aws::autoscaling::CreateGroupRequest> CreateGroupRequestFor(
    const AwsLaunchSpec& spec, const RequestLaunchTemplate& lt);

}  // namespace ohfp::provider
