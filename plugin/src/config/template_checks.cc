// The rules that tie a template's fields together (config/template_fields.h, CheckCombinations).
// Each problem names the field to change and, where a choice is impossible, the key to add.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "base/strings.h"
#include "config/template_fields.h"

namespace ohfp::config::internal {
namespace {

using base::Quoted;
using model::AllocationStrategy;
using model::PriceType;
using model::ProviderApi;

constexpr int kAsgMaxWeight = 999;  // Auto Scaling WeightedCapacity
constexpr int kAsgMaxPools = 20;    // Auto Scaling SpotInstancePools

constexpr std::array<AllocationStrategy, 6> kStrategies = {
    AllocationStrategy::kLowestPrice,
    AllocationStrategy::kDiversified,
    AllocationStrategy::kCapacityOptimized,
    AllocationStrategy::kCapacityOptimizedPrioritized,
    AllocationStrategy::kPriceCapacityOptimized,
    AllocationStrategy::kPrioritized};

std::string ApiName(ProviderApi a) { return std::string(model::ProviderApiName(a)); }
std::string PriceName(PriceType p) { return std::string(model::PriceTypeName(p)); }

bool SpotCapacity(const model::Template& t) { return t.price_type != PriceType::kOnDemand; }

// Whether `s` suits the capacity allocationStrategy is for (the template's Spot capacity, or its
// on-demand capacity with priceType ondemand) and the API.
bool StrategyAllowed(AllocationStrategy s, const model::Template& t) {
  if (!SpotCapacity(t)) return model::IsOnDemandStrategy(s);
  return model::IsSpotStrategy(s) &&
         (t.provider_api != ProviderApi::kAsg || model::IsAsgSpotStrategy(s));
}

// The names `allowed` accepts, in the API's spelling.
std::string AllowedNames(const model::Template& t,
                         bool (*allowed)(AllocationStrategy, const model::Template&)) {
  std::vector<std::string_view> names;
  for (AllocationStrategy s : kStrategies) {
    if (!allowed(s, t)) continue;
    names.push_back(t.provider_api == ProviderApi::kSpotFleet
                        ? model::AllocationStrategyCamelName(s)
                        : model::AllocationStrategyName(s));
  }
  return base::OneOf(names);
}

bool OnDemandAllowed(AllocationStrategy s, const model::Template&) {
  return model::IsOnDemandStrategy(s);
}

// The fields RunInstances has no use for (it launches one instance type in one market).
void CheckRunInstances(ObjectReader& r, const model::Template& t) {
  if (r.Has("vmTypes")) {
    r.Problem("vmTypes", t.ibm_defaults
                             ? "RunInstances launches one instance type, and ohfp launches a "
                               "template with priceType ondemand and no providerApi with "
                               "RunInstances, as IBM's plugin does: use vmType, or add providerApi "
                               "(EC2Fleet, SpotFleet or ASG)"
                             : "RunInstances launches one instance type; use vmType (or EC2Fleet, "
                               "SpotFleet or ASG)");
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kFleetOnly = {{
      {"allocationStrategy", "has no allocation strategy"},
      {"allocationStrategyOnDemand", "has no allocation strategy"},
      {"vmTypesOnDemand", "launches one instance type"},
      {"vmTypesPriority", "launches one instance type, so there is nothing to prioritise"},
      {"poolsCount", "has no Spot pools to spread over"},
      {"percentOnDemand", "launches every instance of a request in one market"},
      {"onDemandCapacity", "launches every instance of a request in one market"},
  }};
  for (const auto& [key, why] : kFleetOnly) {
    if (r.Has(key)) {
      r.Problem(key, "RunInstances " + std::string(why) + "; use EC2Fleet, SpotFleet or ASG");
    }
  }
}

void CheckFleetRole(ObjectReader& r, const model::Template& t) {
  const bool spot_fleet = t.provider_api == ProviderApi::kSpotFleet;
  if (spot_fleet && !r.Has("fleetRole")) {
    r.Problem("fleetRole",
              t.ibm_defaults
                  ? "is required: ohfp requests a template with priceType " +
                        PriceName(t.price_type) +
                        " and no providerApi through a Spot Fleet, as IBM's plugin does, and a "
                        "Spot Fleet needs the ARN of its IAM role; add fleetRole, or add "
                        "providerApi (EC2Fleet or ASG; RunInstances for one-time Spot Instances)"
                  : "is required by SpotFleet: the ARN of the IAM role Spot Fleet launches and "
                    "terminates instances with");
  }
  if (!spot_fleet && r.Has("fleetRole")) {
    r.Problem("fleetRole", "is used by SpotFleet only; " + ApiName(t.provider_api) +
                               " does not take a fleet role");
  }
  if (!spot_fleet && r.Has("spotFleetRequestExpiry")) {
    r.Problem("spotFleetRequestExpiry",
              "applies to SpotFleet only, not " + ApiName(t.provider_api));
  }
}

void CheckAsg(ObjectReader& r, const model::Template& t) {
  if (!r.Has("subnetId")) {
    r.Problem("subnetId",
              "is required by ASG: an Auto Scaling group launches into the subnets listed here");
  }
  for (const auto* list : {&t.vm_types, &t.vm_types_on_demand}) {
    for (const auto& [type, weight] : *list) {
      if (weight != std::floor(weight) || weight < 1 || weight > kAsgMaxWeight) {
        r.Problem(list == &t.vm_types ? "vmTypes" : "vmTypesOnDemand",
                  "ASG weights are whole numbers from 1 to 999 (Auto Scaling WeightedCapacity); " +
                      type + " has " + base::FormatNumber(weight));
      }
    }
  }
  if (t.pools_count && *t.pools_count > kAsgMaxPools) {
    r.Problem("poolsCount",
              "Auto Scaling spreads over 1 to 20 Spot pools (SpotInstancePools), got " +
                  std::to_string(*t.pools_count));
  }
  if (t.tenancy == model::Tenancy::kHost) {
    r.Problem("tenancy",
              "host: Auto Scaling launches onto Dedicated Hosts only through a host resource group "
              "in a launch template; use launchTemplateId");
  }
}

void CheckFleetType(ObjectReader& r, const model::Template& t, const Choices& c) {
  if (!r.Has("fleetType")) return;
  if (t.provider_api == ProviderApi::kRunInstances || t.provider_api == ProviderApi::kAsg) {
    r.Problem("fleetType", "applies to EC2Fleet and SpotFleet only; " + ApiName(t.provider_api) +
                               " has no fleet type");
  } else if (t.provider_api == ProviderApi::kSpotFleet &&
             c.fleet_type == model::FleetType::kInstant) {
    r.Problem("fleetType",
              "SpotFleet has no instant type; use request or maintain (or EC2Fleet for instant)");
  }
}

// allocationStrategy, allocationStrategyOnDemand and poolsCount; the strategies a field implies
// when the file gives none.
void CheckStrategies(ObjectReader& r, model::Template& t, const Choices& c) {
  if (c.strategy) {
    const std::optional<AllocationStrategy> found = model::AllocationStrategyFromName(*c.strategy);
    if (found && StrategyAllowed(*found, t)) {
      t.allocation_strategy = found;
    } else {
      r.Problem("allocationStrategy", "with " + ApiName(t.provider_api) + " and priceType " +
                                          PriceName(t.price_type) + " must be " +
                                          AllowedNames(t, StrategyAllowed) + ", got " +
                                          Quoted(*c.strategy));
    }
  }
  if (c.on_demand_strategy) {
    const std::optional<AllocationStrategy> found =
        model::AllocationStrategyFromName(*c.on_demand_strategy);
    if (!found || !model::IsOnDemandStrategy(*found)) {
      r.Problem("allocationStrategyOnDemand", "must be " + AllowedNames(t, OnDemandAllowed) +
                                                  ", got " + Quoted(*c.on_demand_strategy));
    } else if (!SpotCapacity(t) && t.allocation_strategy && t.allocation_strategy != found) {
      r.Problem("allocationStrategyOnDemand",
                "with priceType ondemand, allocationStrategy is the on-demand strategy too, and "
                "it says " +
                    Quoted(*c.strategy) + "; set one of them");
    } else {
      t.on_demand_allocation_strategy = found;
    }
  }
  if (t.pools_count && SpotCapacity(t)) {
    if (!r.Has("allocationStrategy")) {
      t.allocation_strategy = AllocationStrategy::kLowestPrice;  // the only one pools apply to
    } else if (t.allocation_strategy && t.allocation_strategy != AllocationStrategy::kLowestPrice) {
      r.Problem("poolsCount",
                "applies with allocationStrategy lowestPrice only (AWS spreads lowest-price Spot "
                "capacity over that many pools); allocationStrategy is " +
                    Quoted(*c.strategy));
    }
  }
  if (!t.vm_types_on_demand.empty() && !r.Has("allocationStrategyOnDemand")) {
    t.on_demand_allocation_strategy = AllocationStrategy::kPrioritized;
  } else if (!t.vm_types_on_demand.empty() &&
             t.on_demand_allocation_strategy == AllocationStrategy::kLowestPrice) {
    r.Problem("allocationStrategyOnDemand",
              "lowestPrice ignores vmTypesOnDemand: the on-demand types are preferred through the "
              "prioritized strategy; use prioritized, or leave it out");
  }
  // vmTypesPriority without a strategy: the prioritized ones, so that the priorities count.
  if (!t.vm_types_priority.empty() && !r.Has("allocationStrategy")) {
    if (!SpotCapacity(t)) {
      t.allocation_strategy = AllocationStrategy::kPrioritized;
    } else if (!t.pools_count) {
      t.allocation_strategy = AllocationStrategy::kCapacityOptimizedPrioritized;
    }
  }
  if (!t.vm_types_priority.empty() && SpotCapacity(t) && !r.Has("allocationStrategyOnDemand") &&
      !t.on_demand_allocation_strategy) {
    t.on_demand_allocation_strategy = AllocationStrategy::kPrioritized;
  }
}

// The combinations that depend on priceType (valid, or absent hence ondemand).
// RunInstances' own refusals (CheckRunInstances) are not repeated here.
void CheckPrice(ObjectReader& r, const model::Template& t) {
  const bool spot = SpotCapacity(t);
  const bool run_instances = t.provider_api == ProviderApi::kRunInstances;
  const std::string price = PriceName(t.price_type);
  for (std::string_view key : {"percentOnDemand", "onDemandCapacity"}) {
    if (r.Has(key) && !spot && !run_instances) {
      r.Problem(key,
                "applies to priceType spot or heterogeneous (the on-demand share of a "
                "request); priceType is ondemand");
    }
  }
  if (t.price_type == PriceType::kHeterogeneous && !t.ibm_defaults &&
      t.provider_api != ProviderApi::kRunInstances && !r.Has("percentOnDemand") &&
      !r.Has("onDemandCapacity")) {
    r.Problem("percentOnDemand",
              "is required with priceType heterogeneous: the percentage (0 to 100) of the "
              "capacity to launch on-demand (or give onDemandCapacity)");
  }
  for (std::string_view key : {"maxSpotPrice", "spotPrice"}) {
    if (!spot && r.Has(key)) {
      r.Problem(key, "applies to spot capacity only; priceType is ondemand");
    }
  }
  if (!spot && !run_instances && r.Has("poolsCount")) {
    r.Problem("poolsCount", "spreads Spot capacity over pools; priceType is ondemand");
  }
  if (!spot && !run_instances && r.Has("vmTypesOnDemand")) {
    r.Problem("vmTypesOnDemand",
              "names the types of the on-demand part of a spot or heterogeneous template; with "
              "priceType ondemand every type is on-demand: use vmTypes");
  }
  if (spot && t.tenancy == model::Tenancy::kHost) {
    r.Problem("tenancy",
              "host: Spot Instances cannot run on Dedicated Hosts (priceType is " + price + ")");
  }
}

void CheckImageAndTypes(ObjectReader& r, const model::Template& t) {
  if (!r.Has("imageId") && !r.Has("launchTemplateId")) {
    r.Problem("imageId",
              "is required unless launchTemplateId is set: neither says which image to launch");
  }
  if (r.Has("launchTemplateVersion") && !r.Has("launchTemplateId")) {
    r.Problem("launchTemplateVersion", "is the version of launchTemplateId, which is not set");
  }
  if (!r.Has("imageId") && r.Has("launchTemplateId")) {  // an SSM parameter counts as an image
    for (std::string_view key :
         {"rootDeviceVolumeSize", "volumeType", "iops", "volumeThroughput"}) {
      if (r.Has(key)) {
        r.Problem(key,
                  "needs imageId: ohfp sets the root volume on the image's own root device, "
                  "which it reads from the image; give imageId, or set the volume in the "
                  "launch template");
      }
    }
  }
  if (r.Has("vmType") && r.Has("vmTypes")) {
    r.Problem("vmTypes", "set vmType or vmTypes, not both");
  } else if (!r.Has("vmType") && !r.Has("vmTypes") && !r.Has("launchTemplateId")) {
    r.Problem(
        "vmType",
        "is required (or vmTypes, or a launchTemplateId whose template sets the instance type)");
  }
  std::vector<std::string> unknown;
  const std::vector<model::LaunchType> types = model::LaunchTypes(t);
  for (const auto& [type, priority] : t.vm_types_priority) {
    if (std::none_of(types.begin(), types.end(),
                     [&](const model::LaunchType& l) { return l.type == type; })) {
      unknown.push_back(type);
    }
  }
  if (!unknown.empty()) {
    r.Problem("vmTypesPriority", "names " + base::Join(unknown, ", ") +
                                     ", which neither vmType, vmTypes nor vmTypesOnDemand names");
  }
}

void CheckVolume(ObjectReader& r, const model::Template& t) {
  const std::string& type = t.volume_type;
  const bool provisioned = type == "io1" || type == "io2";
  if (provisioned && !r.Has("iops")) {
    r.Problem("iops", "is required with volumeType " + type + ": the IOPS to provision (100 to " +
                          (type == "io1" ? "64000" : "256000") + ")");
  }
  if (r.Has("iops") && !provisioned && type != "gp3" && r.Has("volumeType") && !type.empty()) {
    r.Problem("iops", "applies to volumeType io1, io2 or gp3; volumeType is " + type);
  } else if (r.Has("iops") && !r.Has("volumeType")) {
    r.Problem("iops",
              "needs volumeType io1, io2 or gp3 (without volumeType the volume keeps the "
              "image's type)");
  }
  if (t.iops) {
    const int max = type == "io1" ? 64000 : type == "io2" ? 256000 : 16000;
    const int min = type == "gp3" ? 3000 : 100;
    if ((provisioned || type == "gp3") && (*t.iops < min || *t.iops > max)) {
      r.Problem("iops", "with volumeType " + type + " must be between " + std::to_string(min) +
                            " and " + std::to_string(max) + ", got " + std::to_string(*t.iops));
    }
  }
  if (r.Has("volumeThroughput") && type != "gp3") {
    r.Problem("volumeThroughput", "applies to volumeType gp3 only" +
                                      (type.empty() ? std::string() : "; volumeType is " + type));
  }
}

}  // namespace

// A field whose value was rejected still counts as set; checks that depend on providerApi or
// priceType run only when those were valid (or absent, hence their defaults).
void CheckCombinations(ObjectReader& r, model::Template& t, const Choices& c) {
  const bool price_known = c.price_type || !r.Has("priceType");
  const bool api_known = c.api || (!r.Has("providerApi") && price_known);
  CheckImageAndTypes(r, t);
  CheckVolume(r, t);
  if (api_known) {
    if (t.provider_api == ProviderApi::kRunInstances) {
      CheckRunInstances(r, t);
      if (price_known && t.price_type == PriceType::kHeterogeneous) {
        r.Problem("priceType",
                  "heterogeneous mixes on-demand and spot capacity, which RunInstances cannot; "
                  "use EC2Fleet, SpotFleet or ASG");
      }
    }
    CheckFleetRole(r, t);
    if (t.provider_api == ProviderApi::kAsg) CheckAsg(r, t);
    CheckFleetType(r, t, c);
    if (price_known && t.provider_api != ProviderApi::kRunInstances) CheckStrategies(r, t, c);
  }
  if (price_known) CheckPrice(r, t);
  if (t.ibm_defaults && t.provider_api == ProviderApi::kSpotFleet) {
    if (!r.Has("spotFleetRequestExpiry")) {
      t.spot_fleet_request_expiry = model::kIbmSpotFleetExpiryMinutes;
    }
    if (t.price_type == PriceType::kHeterogeneous && !r.Has("percentOnDemand") &&
        !r.Has("onDemandCapacity")) {
      t.percent_on_demand = 0;  // IBM's default: the Spot Fleet asks for Spot capacity alone
    }
  }
}

}  // namespace ohfp::config::internal
