#include "model/template.h"

#include "model/names.h"

namespace ohfp::model {
namespace {

using internal::NameOf;
using internal::NameTable;
using internal::ValueOf;

constexpr NameTable<ProviderApi, 4> kProviderApis = {{{ProviderApi::kRunInstances, "RunInstances"},
                                                      {ProviderApi::kEc2Fleet, "EC2Fleet"},
                                                      {ProviderApi::kSpotFleet, "SpotFleet"},
                                                      {ProviderApi::kAsg, "ASG"}}};
constexpr NameTable<PriceType, 3> kPriceTypes = {{{PriceType::kOnDemand, "ondemand"},
                                                  {PriceType::kSpot, "spot"},
                                                  {PriceType::kHeterogeneous, "heterogeneous"}}};
constexpr NameTable<FleetType, 3> kFleetTypes = {{{FleetType::kInstant, "instant"},
                                                  {FleetType::kRequest, "request"},
                                                  {FleetType::kMaintain, "maintain"}}};

// What each API accepts:
//   spot capacity       EC2 Fleet, Spot Fleet: every strategy but prioritized;
//                       Auto Scaling: the same without diversified
//   on-demand capacity  lowest-price, prioritized
struct StrategyInfo {
  AllocationStrategy value;
  std::string_view name;   // EC2 Fleet / Auto Scaling spelling
  std::string_view camel;  // Spot Fleet spelling
  bool spot;
  bool on_demand;
  bool asg_spot;
};
constexpr std::array<StrategyInfo, 6> kStrategies = {{
    {AllocationStrategy::kLowestPrice, "lowest-price", "lowestPrice", true, true, true},
    {AllocationStrategy::kDiversified, "diversified", "diversified", true, false, false},
    {AllocationStrategy::kCapacityOptimized, "capacity-optimized", "capacityOptimized", true, false,
     true},
    {AllocationStrategy::kCapacityOptimizedPrioritized, "capacity-optimized-prioritized",
     "capacityOptimizedPrioritized", true, false, true},
    {AllocationStrategy::kPriceCapacityOptimized, "price-capacity-optimized",
     "priceCapacityOptimized", true, false, true},
    {AllocationStrategy::kPrioritized, "prioritized", "prioritized", false, true, false},
}};

const StrategyInfo& Info(AllocationStrategy s) noexcept {
  for (const StrategyInfo& i : kStrategies) {
    if (i.value == s) return i;
  }
  return kStrategies.front();
}

}  // namespace

std::string_view ProviderApiName(ProviderApi api) noexcept {
  return NameOf(kProviderApis, api, "RunInstances");
}
std::string_view PriceTypeName(PriceType type) noexcept {
  return NameOf(kPriceTypes, type, "ondemand");
}
std::string_view FleetTypeName(FleetType type) noexcept {
  return NameOf(kFleetTypes, type, "request");
}
std::string_view AllocationStrategyName(AllocationStrategy s) noexcept { return Info(s).name; }
std::string_view AllocationStrategyCamelName(AllocationStrategy s) noexcept {
  return Info(s).camel;
}

std::optional<ProviderApi> ProviderApiFromName(std::string_view name) noexcept {
  return ValueOf(kProviderApis, name);
}

std::optional<PriceType> PriceTypeFromName(std::string_view name) noexcept {
  return ValueOf(kPriceTypes, name);
}

std::optional<FleetType> FleetTypeFromName(std::string_view name) noexcept {
  return ValueOf(kFleetTypes, name);
}

std::optional<AllocationStrategy> AllocationStrategyFromName(std::string_view name) noexcept {
  for (const StrategyInfo& i : kStrategies) {
    if (i.name == name || i.camel == name) return i.value;
  }
  return std::nullopt;
}

bool IsSpotStrategy(AllocationStrategy s) noexcept { return Info(s).spot; }
bool IsOnDemandStrategy(AllocationStrategy s) noexcept { return Info(s).on_demand; }
bool IsAsgSpotStrategy(AllocationStrategy s) noexcept { return Info(s).asg_spot; }

const Attribute* Template::FindAttribute(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Template* TemplateSet::Find(std::string_view template_id) const {
  for (const Template& t : templates) {
    if (t.template_id == template_id) return &t;
  }
  return nullptr;
}

}  // namespace ohfp::model
