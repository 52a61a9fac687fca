// provider/handlers/ec2_fleet_request.h
//
// What Ec2FleetHandler (ec2_fleet_handler.h) sends to EC2, as pure functions: the CreateFleet
// request for a launch spec, the weights written on a fleet as tags and read back, and the target a
// maintain fleet is lowered to when instances leave it. No I/O.
//
// Thread-safety: pure functions over their arguments.
//
// Example:
//   aws::ec2::CreateFleetRequest r = CreateFleetRequestFor(spec, launch_template);
//   WeightMap weights = WeightsFromTags(fleet.tags);               // {"c5.large": 1, ...}
//   aws::ec2::TargetCapacity t = LoweredTarget(fleet, remaining, weights, Undelivered::kKeep);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/ec2/fleets.h"
#include "provider/handlers/api_handler.h"
#include "provider/handlers/request_launch_template.h"

namespace ohfp::provider {

// The fleet tag(s) holding the template's vmTypes weights ("c5.large=1,c5.xlarge=2"); further
// chunks are "ohfp:weights:2", "ohfp:weights:3", ...
inline constexpr std::string_view kTagWeights = "ohfp:weights";

// Instance type -> weight (WeightedCapacity).
using WeightMap = std::map<std::string, double, std::less<>>;

// Whether `key` is one of the kTagWeights tags.
bool IsWeightTag(std::string_view key);

// The weight of `instance_type` in `weights`; 1 for a type without one.
double WeightOf(const WeightMap& weights, std::string_view instance_type);

// The CreateFleet request for a launch spec and its launch template: what Launch() sends, exposed
// for tests.
//   - Type from fleetType; TotalTargetCapacity = spec.count (capacity units with vmTypes weights).
//   - priceType ondemand: all on-demand, DefaultTargetCapacityType on-demand; spot: all spot,
//     default spot; heterogeneous: OnDemandCapacityFor(count, percentOnDemand) on-demand, the rest
//     spot, default spot.
//   - Overrides: each instance type (vmTypes in file order with WeightedCapacity, or vmType; none
//     when the launch template sets it) x each subnet (none: the template's or the default VPC's),
//     MaxPrice = maxSpotPrice (per unit hour with weights) unless priceType is ondemand; with a
//     "prioritized" strategy each override's Priority is its type's position in vmTypes.
//   - allocationStrategy: the on-demand strategy for priceType ondemand, the spot strategy
//     otherwise (capacity-optimized-prioritized also makes the on-demand part "prioritized").
//   - ClientToken = spec.client_token. Tags: the fleet gets spec.tags (plus kTagWeights with
//     weights); an instant fleet's instances get spec.tags.
//   - maintain: ExcessCapacityTerminationPolicy no-termination (AWS honours it for maintain fleets
//     only; the others are never modified). ReplaceUnhealthyInstances is left off (AWS's default).
aws::ec2::CreateFleetRequest CreateFleetRequestFor(const AwsLaunchSpec& spec,
                                                   const RequestLaunchTemplate& lt);

// The on-demand part of `total` for priceType heterogeneous: percent_on_demand % of it, rounded up
// (as Auto Scaling rounds its OnDemandPercentageAboveBaseCapacity in favour of on-demand): 3 at
// 50 % gives 2 on-demand and 1 spot. Clamped to [0, total].
int OnDemandCapacityFor(int total, int percent_on_demand);

// The kTagWeights tags for `vm_types` (empty when there are none), and the weights read back from a
// fleet's tags (empty when it has none).
std::vector<aws::ec2::Tag> WeightTags(const std::vector<std::pair<std::string, double>>& vm_types);
WeightMap WeightsFromTags(const std::vector<aws::ec2::Tag>& tags);

// Whether what the fleet's target keeps includes the capacity it has not delivered yet.
enum class Undelivered { kKeep, kDrop };

// The target a maintain fleet is lowered to so that it holds exactly `remaining` (the live
// instances that stay; pending and running count, weighted by `weights`), plus, with kKeep, the
// capacity it still owes (target - fulfilled). Never above the fleet's current target; whole units,
// rounded down. The on-demand/spot split follows the remaining instances' lifecycles when the
// fleet's target has one.
aws::ec2::TargetCapacity LoweredTarget(const aws::ec2::Fleet& fleet,
                                       const std::vector<aws::ec2::Instance>& remaining,
                                       const WeightMap& weights, Undelivered undelivered);

}  // namespace ohfp::provider
