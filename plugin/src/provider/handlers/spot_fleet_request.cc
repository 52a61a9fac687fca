#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "provider/handlers/spot_fleet_handler.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using ec2::SpotFleetAllocationStrategy;
using ec2::SpotFleetOnDemandAllocationStrategy;
using ec2::SpotFleetType;
using model::FleetType;
using model::PriceType;
using resilience::SysTime;

// AllocationStrategy when the template gives none: AWS's recommendation for Spot Fleet.
constexpr SpotFleetAllocationStrategy kDefaultStrategy =
    SpotFleetAllocationStrategy::kPriceCapacityOptimized;

std::optional<SpotFleetAllocationStrategy> SpotStrategy(model::AllocationStrategy s) {
  using model::AllocationStrategy;
  switch (s) {
    case AllocationStrategy::kLowestPrice:
      return SpotFleetAllocationStrategy::kLowestPrice;
    case AllocationStrategy::kDiversified:
      return SpotFleetAllocationStrategy::kDiversified;
    case AllocationStrategy::kCapacityOptimized:
      return SpotFleetAllocationStrategy::kCapacityOptimized;
    case AllocationStrategy::kCapacityOptimizedPrioritized:
      return SpotFleetAllocationStrategy::kCapacityOptimizedPrioritized;
    case AllocationStrategy::kPriceCapacityOptimized:
      return SpotFleetAllocationStrategy::kPriceCapacityOptimized;
    case AllocationStrategy::kPrioritized:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<SpotFleetOnDemandAllocationStrategy> OnDemandStrategy(model::AllocationStrategy s) {
  if (s == model::AllocationStrategy::kLowestPrice) {
    return SpotFleetOnDemandAllocationStrategy::kLowestPrice;
  }
  if (s == model::AllocationStrategy::kPrioritized) {
    return SpotFleetOnDemandAllocationStrategy::kPrioritized;
  }
  return std::nullopt;
}

}  // namespace

ec2::RequestSpotFleetRequest SpotFleetRequestFor(const AwsLaunchSpec& spec,
                                                 const RequestLaunchTemplate& launch_template,
                                                 SysTime now) {
  const model::Template& t = *spec.tmpl;
  ec2::RequestSpotFleetRequest r;
  r.client_token = spec.client_token;
  r.iam_fleet_role = t.fleet_role;
  r.target_capacity = spec.count;
  // All of it for ondemand; onDemandCapacity plus percentOnDemand of the rest otherwise.
  if (const int on_demand = model::OnDemandUnits(t, spec.count);
      t.price_type == PriceType::kOnDemand || on_demand > 0 || t.percent_on_demand ||
      t.on_demand_base) {
    r.on_demand_target_capacity = on_demand;
  }

  r.allocation_strategy = kDefaultStrategy;
  if (std::optional<model::AllocationStrategy> s = model::SpotStrategyOf(t)) {
    if (std::optional<SpotFleetAllocationStrategy> spot = SpotStrategy(*s)) {
      r.allocation_strategy = *spot;
    }
  }
  if (std::optional<model::AllocationStrategy> s = model::OnDemandStrategyOf(t)) {
    r.on_demand_allocation_strategy = OnDemandStrategy(*s);
  }
  if (t.price_type != PriceType::kOnDemand) r.instance_pools_to_use_count = t.pools_count;

  const bool maintain = t.fleet_type == FleetType::kMaintain;
  r.type = maintain ? SpotFleetType::kMaintain : SpotFleetType::kRequest;
  if (maintain) {
    r.excess_capacity_termination_policy =
        ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination;
  }
  if (t.spot_fleet_request_expiry) {
    r.valid_until = std::chrono::floor<std::chrono::seconds>(now) +
                    std::chrono::minutes(*t.spot_fleet_request_expiry);
    r.terminate_instances_with_expiration = false;
  }

  // Overrides: each instance type (priority order, with its priority when the template asks for
  // them) x each subnet.
  const std::vector<model::LaunchType> types = model::LaunchTypes(t);
  const bool weighted = std::any_of(types.begin(), types.end(), [](const model::LaunchType& l) {
    return l.weight && *l.weight != 1.0;
  });
  std::vector<std::string> subnets = t.subnet_ids;
  if (subnets.empty()) subnets.emplace_back();
  const std::string spot_price =
      t.price_type == PriceType::kOnDemand ? std::string() : t.max_spot_price;
  ec2::SpotFleetLaunchTemplateConfig config;
  config.launch_template = {launch_template.id, "", launch_template.version};
  for (const std::string& subnet : subnets) {
    for (const model::LaunchType& type : types) {
      ec2::SpotFleetLaunchTemplateOverrides o;
      o.instance_type = type.type;
      o.subnet_id = subnet;
      o.weighted_capacity = type.weight;
      o.spot_price = spot_price;
      o.priority = type.priority;
      if (o.instance_type.empty() && o.subnet_id.empty() && !o.weighted_capacity &&
          o.spot_price.empty() && !o.priority) {
        continue;  // nothing to override
      }
      config.overrides.push_back(std::move(o));
    }
  }
  r.launch_template_configs.push_back(std::move(config));

  r.tags = spec.tags;
  if (weighted) {
    for (const model::LaunchType& type : types) {
      r.tags.push_back({std::string(kTagWeightPrefix) + type.type,
                        base::FormatNumber(type.weight.value_or(1.0))});
    }
  }
  return r;
}

}  // namespace ohfp::provider
