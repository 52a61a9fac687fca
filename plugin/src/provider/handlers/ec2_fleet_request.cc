#include "provider/handlers/ec2_fleet_request.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "base/strings.h"
#include "provider/handlers/instance_ops.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;

// An EC2 tag value holds at most 256 characters.
constexpr std::size_t kMaxTagValue = 256;
// Capacity sums of fractional weights, before rounding down to whole units.
constexpr double kUnitEpsilon = 1e-9;

ec2::FleetType ToFleetType(model::FleetType type) {
  switch (type) {
    case model::FleetType::kInstant:
      return ec2::FleetType::kInstant;
    case model::FleetType::kRequest:
      return ec2::FleetType::kRequest;
    case model::FleetType::kMaintain:
      return ec2::FleetType::kMaintain;
  }
  return ec2::FleetType::kRequest;
}

std::optional<ec2::SpotAllocationStrategy> SpotStrategy(model::AllocationStrategy s) {
  using model::AllocationStrategy;
  switch (s) {
    case AllocationStrategy::kLowestPrice:
      return ec2::SpotAllocationStrategy::kLowestPrice;
    case AllocationStrategy::kDiversified:
      return ec2::SpotAllocationStrategy::kDiversified;
    case AllocationStrategy::kCapacityOptimized:
      return ec2::SpotAllocationStrategy::kCapacityOptimized;
    case AllocationStrategy::kCapacityOptimizedPrioritized:
      return ec2::SpotAllocationStrategy::kCapacityOptimizedPrioritized;
    case AllocationStrategy::kPriceCapacityOptimized:
      return ec2::SpotAllocationStrategy::kPriceCapacityOptimized;
    case AllocationStrategy::kPrioritized:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ec2::OnDemandAllocationStrategy> OnDemandStrategy(model::AllocationStrategy s) {
  if (s == model::AllocationStrategy::kLowestPrice) {
    return ec2::OnDemandAllocationStrategy::kLowestPrice;
  }
  if (s == model::AllocationStrategy::kPrioritized) {
    return ec2::OnDemandAllocationStrategy::kPrioritized;
  }
  return std::nullopt;
}

bool IsSpot(const ec2::Instance& i) { return i.lifecycle == "spot"; }

int WholeUnits(double units) {
  return std::max(0, static_cast<int>(std::floor(units + kUnitEpsilon)));
}

}  // namespace

bool IsWeightTag(std::string_view key) {
  if (key == kTagWeights) return true;
  return key.size() > kTagWeights.size() && key.starts_with(kTagWeights) &&
         key[kTagWeights.size()] == ':';
}

double WeightOf(const WeightMap& weights, std::string_view instance_type) {
  auto it = weights.find(instance_type);
  return it == weights.end() ? 1.0 : it->second;
}

int OnDemandCapacityFor(int total, int percent_on_demand) {
  if (total <= 0) return 0;
  const long long percent = std::clamp(percent_on_demand, 0, 100);
  const long long on_demand = (static_cast<long long>(total) * percent + 99) / 100;
  return static_cast<int>(std::min<long long>(on_demand, total));
}

std::vector<ec2::Tag> WeightTags(const std::vector<std::pair<std::string, double>>& vm_types) {
  std::vector<ec2::Tag> tags;
  std::string value;
  auto flush = [&] {
    if (value.empty()) return;
    const std::string key = tags.empty()
                                ? std::string(kTagWeights)
                                : std::string(kTagWeights) + ":" + std::to_string(tags.size() + 1);
    tags.push_back({key, value});
    value.clear();
  };
  for (const auto& [type, weight] : vm_types) {
    const std::string entry = type + "=" + base::FormatNumber(weight);
    if (!value.empty() && value.size() + 1 + entry.size() > kMaxTagValue) flush();
    value += (value.empty() ? "" : ",") + entry;
  }
  flush();
  return tags;
}

WeightMap WeightsFromTags(const std::vector<ec2::Tag>& tags) {
  WeightMap weights;
  for (const ec2::Tag& tag : tags) {
    if (!IsWeightTag(tag.key)) continue;
    std::string_view rest = tag.value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view entry = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const std::size_t eq = entry.rfind('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      double weight = 0;
      const std::string_view number = entry.substr(eq + 1);
      const std::from_chars_result r =
          std::from_chars(number.data(), number.data() + number.size(), weight);
      if (r.ec != std::errc() || r.ptr != number.data() + number.size() || !(weight > 0)) continue;
      weights[std::string(entry.substr(0, eq))] = weight;
    }
  }
  return weights;
}

ec2::CreateFleetRequest CreateFleetRequestFor(const AwsLaunchSpec& spec,
                                              const RequestLaunchTemplate& lt) {
  const model::Template& t = *spec.tmpl;
  ec2::CreateFleetRequest r;
  r.client_token = spec.client_token;
  r.type = ToFleetType(t.fleet_type);

  // On-demand: all of it for ondemand; for spot and heterogeneous, onDemandCapacity plus
  // percentOnDemand of the rest (model::OnDemandUnits), the remainder Spot.
  const bool on_demand_only = t.price_type == model::PriceType::kOnDemand;
  const int on_demand = model::OnDemandUnits(t, spec.count);
  r.target_capacity.total = spec.count;
  r.target_capacity.on_demand = on_demand;
  r.target_capacity.spot = spec.count - on_demand;
  r.target_capacity.default_type =
      on_demand_only ? ec2::CapacityType::kOnDemand : ec2::CapacityType::kSpot;

  if (std::optional<model::AllocationStrategy> s = model::SpotStrategyOf(t)) {
    r.spot_allocation_strategy = SpotStrategy(*s);
  }
  if (std::optional<model::AllocationStrategy> s = model::OnDemandStrategyOf(t)) {
    r.on_demand_allocation_strategy = OnDemandStrategy(*s);
  } else if (r.spot_allocation_strategy ==
             ec2::SpotAllocationStrategy::kCapacityOptimizedPrioritized) {
    r.on_demand_allocation_strategy = ec2::OnDemandAllocationStrategy::kPrioritized;
  }
  if (!on_demand_only) r.spot_instance_pools_to_use_count = t.pools_count;

  // Each instance type (in priority order, with its priority when the template asks for them) x
  // each subnet. No type: the launch template's; no subnet: the template's (or the default VPC's).
  const std::vector<std::string> subnets =
      t.subnet_ids.empty() ? std::vector<std::string>{""} : t.subnet_ids;
  const std::string max_price = on_demand_only ? std::string() : t.max_spot_price;
  ec2::FleetLaunchTemplateConfig config;
  config.launch_template = {lt.id, "", lt.version};
  std::vector<std::pair<std::string, double>> weights;
  for (const model::LaunchType& type : model::LaunchTypes(t)) {
    if (type.weight) weights.emplace_back(type.type, *type.weight);
    for (const std::string& subnet : subnets) {
      ec2::FleetOverride o;
      o.instance_type = type.type;
      o.subnet_id = subnet;
      o.weighted_capacity = type.weight;
      o.priority = type.priority;
      o.max_price = max_price;
      const bool empty = o.instance_type.empty() && o.subnet_id.empty() && o.max_price.empty();
      if (!empty) config.overrides.push_back(std::move(o));
    }
  }
  r.launch_template_configs.push_back(std::move(config));

  if (r.type == ec2::FleetType::kMaintain) {
    r.excess_capacity_termination_policy = ec2::ExcessCapacityTerminationPolicy::kNoTermination;
  }
  r.tags = spec.tags;
  for (ec2::Tag& w : WeightTags(weights)) r.tags.push_back(std::move(w));
  if (r.type == ec2::FleetType::kInstant) r.instance_tags = spec.tags;
  return r;
}

ec2::TargetCapacity LoweredTarget(const ec2::Fleet& fleet,
                                  const std::vector<ec2::Instance>& remaining,
                                  const WeightMap& weights, Undelivered undelivered) {
  const ec2::TargetCapacity& now = fleet.target_capacity;
  double on_demand_units = 0;
  double spot_units = 0;
  for (const ec2::Instance& i : remaining) {
    if (!IsLive(i.state)) continue;
    (IsSpot(i) ? spot_units : on_demand_units) += WeightOf(weights, i.instance_type);
  }
  // What the fleet still owes: its target minus what it has delivered.
  double owed = 0;
  double owed_on_demand = 0;
  if (undelivered == Undelivered::kKeep) {
    owed = std::max(0.0, static_cast<double>(now.total) - fleet.fulfilled_capacity);
    if (now.on_demand) {
      owed_on_demand = std::min(owed, std::max(0.0, static_cast<double>(*now.on_demand) -
                                                        fleet.fulfilled_on_demand_capacity));
    }
  }
  ec2::TargetCapacity lowered;
  lowered.total = std::min(now.total, WholeUnits(on_demand_units + spot_units + owed));
  if (now.on_demand) {
    const int on_demand =
        std::min({*now.on_demand, WholeUnits(on_demand_units + owed_on_demand), lowered.total});
    lowered.on_demand = on_demand;
    lowered.spot = lowered.total - on_demand;
  } else if (now.spot) {
    const double owed_spot = std::max(0.0, owed - owed_on_demand);
    lowered.spot = std::min({*now.spot, WholeUnits(spot_units + owed_spot), lowered.total});
  }
  return lowered;
}

}  // namespace ohfp::provider
