// provider/handlers/ec2_fleet_handler.h
//
// Ec2FleetHandler: providerApi EC2Fleet. An acquire request is one EC2 Fleet launched from the
// request's launch template (request_launch_template.h: "ohfp-<request id>", or the template's own
// launchTemplateId), with one override per subnet x instance type. What it does, and why:
//
//   Launch   EnsureRequestLaunchTemplate, then CreateFleet with the attempt's ClientToken
//            (spec.client_token, saved before the call), so a retry after a lost answer returns
//            the first fleet instead of making a second. The fleet is tagged with the request's
//            tags (found again by its ohfp:request-id tag when the answer was lost); an `instant`
//            fleet tags its instances too. An `instant` fleet answers with its instances (full
//            records from DescribeInstances; any the API could not tag are tagged) and an error per
//            pool it could not fill. An instant fleet that launched nothing is deleted at once,
//            with ohfp's launch template: nothing will ever use them (once deleted, the fleet is
//            not reported as the request's resource). Only capacity errors: the outcome carries
//            them (the request ends complete_with_error with the reason); any other error (a bad
//            image, a bad subnet): that error, so requestMachines fails with it. A CreateFleet
//            refused for good (validation, permissions, quota) deletes ohfp's launch template
//            before returning the error; IdempotentParameterMismatch (the token launched a fleet
//            already) adopts the request's fleet, found by tag.
//   Observe  the fleet (the recorded id, else found by tag), its instances (DescribeFleets for
//            `instant`, DescribeFleetInstances otherwise) united with every instance tagged with
//            the request, tagging those that lack the tag (a user's launch template does not tag).
//            `fulfilling`: a request/maintain fleet submitted, active or modifying whose fulfilled
//            capacity is below its target, or a recorded fleet EC2 does not list yet within
//            kEc2FleetVisibilityGrace of the request's creation (describe calls are eventually
//            consistent). Errors: one line per pool AWS could not fill, and why a fleet ended short
//            (failed, deleted by someone else, or gone). `running_capacity`: the weights of the
//            running instances, when the template weighs its vmTypes. FleetObservation is that
//            decision, pure.
//   Release  maintain: ModifyFleet first, with ExcessCapacityTerminationPolicy no-termination,
//            lowering the target to what the remaining instances hold plus what the fleet still
//            owes (never above the current target), then marks the released instances
//            (kTagReleasedFromFleet, so a Release repeated after a failed TerminateInstances lowers
//            nothing twice), then TerminateInstances of exactly the released ids (those EC2 still
//            knows). The fleet never picks a victim and never replaces a released instance; when
//            ModifyFleet fails, nothing is terminated. instant and request fleets (AWS modifies
//            only maintain fleets; neither replaces instances) and fleets already gone: only
//            TerminateInstances. Nothing but the given ids is ever terminated.
//   Shrink   maintain: ModifyFleet (no-termination) to the capacity of the `keep` instances the
//            request holds. request: DeleteFleets without terminating (it can't be modified; this
//            stops it, its instances keep running). instant: nothing to do. keep 0 (a
//            request/maintain fleet that got nothing): Cleanup at once, since the request ends
//            without a machine whose return would trigger it. A recorded fleet not listed yet
//            (within kEc2FleetVisibilityGrace): an error, so the service tries again.
//   Cleanup  DeleteFleets (request/maintain: terminate_instances false; instant: true, which AWS
//            requires, and only when none of its instances is alive, so nothing is terminated that
//            was not released), skipped for a fleet already deleted or absent; then
//            DeleteRequestLaunchTemplate (ohfp's only: a user's launchTemplateId survives).
//            Idempotent, like every method here.
//
// Weighted vmTypes: the weights are written on the fleet as tags (kTagWeights, "c5.large=1,
// c5.xlarge=2", split over "ohfp:weights", "ohfp:weights:2", ... at 256 characters) because the
// typed DescribeFleets does not read a fleet's launchTemplateConfigs back; Observe and Release
// read them from there. Targets are in capacity units; an instance of a type without a weight
// counts 1.
//
// moto (5.2.1) differs from AWS, and the tests (tests/integration/provider_ec2_fleet_test.cc) say
// so by name: it has no ModifyFleet (HTTP 500), so every maintain Release and Shrink there runs
// against an ohfp-chaos-proxy `respond` rule and is checked on the wire
// (...ViaProxyBecauseMotoLacksModifyFleet); it never changes a fleet's target or fulfilled capacity
// and launches request/maintain fleets in full at once, so partial fulfilment is described to the
// handler by proxy-answered DescribeFleets; it never fails a pool, so an instant fleet's errorSet
// comes from a proxy-answered CreateFleet; it ignores ClientToken (the proxy emulates it). Cleanup
// never sends DeleteFleets for a fleet DescribeFleets does not show, which also spares moto's HTTP
// 500 for an unknown fleet id. DeleteFleets with TerminateInstances true of an instant fleet none
// of whose instances is alive answers HTTP 400 InvalidParameterCombination "No instances
// specified" there (after marking the fleet deleted_terminating; AWS deletes it): Cleanup returns
// that error and the service logs a cleanup warning, though nothing is left behind. The AWS-only
// paths (request fleets refusing ModifyFleet, a DescribeFleetInstances that does not list instant
// fleets, a fleet not listed yet, a repeated Release) are unit-tested against an in-memory EC2
// (plugin/tests/provider/ec2_fleet_handler_test.cc).
//
// Thread-safety: used by one command at a time (stateless between calls).
//
// Example:
//   Ec2FleetHandler handler(client, clock);
//   Result<AwsLaunchOutcome> out = handler.Launch(spec);       // out->resource_id: "fleet-..."
//   Result<AwsObservation> seen = handler.Observe(request);    // every instance of the request
//   Status gone = handler.Release(request, {"i-0abc"});     // exactly that one
//   Status clean = handler.Cleanup(request);                // fleet and ohfp's launch template
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ec2/fleets.h"
#include "ohfp/resilience/clock.h"
#include "provider/handlers/api_handler.h"
#include "provider/handlers/ec2_fleet_request.h"
#include "provider/handlers/request_launch_template.h"

namespace ohfp::provider {

// On an instance a maintain fleet's target was lowered for by Release ("true"): a Release repeated
// after TerminateInstances failed does not lower the target for it again.
inline constexpr std::string_view kTagReleasedFromFleet = "ohfp:released";

// How long after a request's creation a recorded fleet that DescribeFleets does not list counts as
// not visible yet (EC2's describe calls are eventually consistent) rather than gone.
inline constexpr std::chrono::minutes kEc2FleetVisibilityGrace{2};

class Ec2FleetHandler final : public ResourceApiHandler {
 public:
  using ResourceApiHandler::ResourceApiHandler;

  OHFP_API_HANDLER_OPERATIONS;

 private:
  // The request's fleet: the recorded one, else the one tagged with the request (DescribeFleets
  // has no tag filter: every fleet is listed and matched here). nullopt: none (or gone).
  resilience::Result<std::optional<aws::ec2::Fleet>> FindFleet(const model::Request& request);
  // Every instance of the request, in any state: the fleet's members and every instance tagged
  // with the request. Members without the request's tag get the fleet's tags.
  resilience::Result<std::vector<aws::ec2::Instance>> InstancesOf(
      const model::Request& request, const std::optional<aws::ec2::Fleet>& fleet);
  // DeleteFleets of one fleet; a fleet AWS no longer has is deleted.
  resilience::Status DeleteFleet(const aws::ec2::Fleet& fleet, bool terminate_instances);
  // After CreateFleet's IdempotentParameterMismatch (`mismatch`: the token launched a fleet
  // already): that fleet, found by its tag, as CreateFleet would have answered; kTransient
  // "FleetNotVisibleYet" when EC2 does not list it yet.
  resilience::Result<aws::ec2::CreateFleetResult> AdoptLaunchedFleet(
      const AwsLaunchSpec& spec, const resilience::Error& mismatch);
  // An instant fleet that launched nothing: deleted at once with ohfp's launch template; the
  // pools' template problem as the error, else `out` with the reasons.
  resilience::Result<AwsLaunchOutcome> EndEmptyInstantFleet(
      const AwsLaunchSpec& spec, const aws::ec2::CreateFleetResult& created, AwsLaunchOutcome out);
};

// One line for a pool a fleet could not fill, as the request's message shows it:
// "InsufficientInstanceCapacity: We currently do not have ... (c5.large, subnet-0a1b, on-demand)".
std::string DescribeFleetError(const aws::ec2::FleetError& error);

// What Observe() reports for `request`, given its fleet as DescribeFleets shows it (nullopt: not
// listed) and every instance of the request; `now` is wall time, compared with the request's
// created_at. Pure. launch_template_id is the request's recorded one (Observe looks for ohfp's
// when nothing is recorded).
//   - fulfilling: see Observe above. An instant fleet never is (it launched all it ever will).
//   - errors: DescribeFleetError of each errorSet item; then, for a request/maintain fleet that is
//     failed or deleted short of its target, "EC2 Fleet <id> is <state> with <fulfilled> of
//     <target> units"; for a recorded fleet not listed after the grace, "EC2 Fleet <id> no longer
//     exists".
//   - running_capacity: with weights on the fleet (kTagWeights), the units of the running
//     instances (a type without a weight counts 1); absent otherwise.
AwsObservation FleetObservation(const model::Request& request,
                                const std::optional<aws::ec2::Fleet>& fleet,
                                std::vector<aws::ec2::Instance> instances, resilience::SysTime now);

}  // namespace ohfp::provider
