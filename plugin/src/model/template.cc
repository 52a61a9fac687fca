#include "model/template.h"

#include <algorithm>
#include <map>

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
constexpr NameTable<Tenancy, 3> kTenancies = {
    {{Tenancy::kDefault, "default"}, {Tenancy::kDedicated, "dedicated"}, {Tenancy::kHost, "host"}}};

// At most this many characters in a tag value (EC2's limit).
constexpr std::size_t kMaxTagValue = 256;

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

std::string_view TenancyName(Tenancy tenancy) noexcept {
  return NameOf(kTenancies, tenancy, "default");
}

std::optional<Tenancy> TenancyFromName(std::string_view name) noexcept {
  return ValueOf(kTenancies, name);
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

bool Template::SetsRootVolume() const noexcept {
  return root_device_volume_size.has_value() || !volume_type.empty() || iops.has_value() ||
         volume_throughput.has_value();
}

std::string Template::LaunchTemplateVersion() const {
  return launch_template_version.empty() ? std::string("$Default") : launch_template_version;
}

std::string Template::ImageSpelling() const {
  return image_parameter.empty() ? image_id : "resolve:ssm:" + image_parameter;
}

ProviderApi IbmDefaultApi(PriceType price_type) noexcept {
  return price_type == PriceType::kOnDemand ? ProviderApi::kRunInstances : ProviderApi::kSpotFleet;
}

int OnDemandUnits(const Template& t, int count) noexcept {
  if (count <= 0) return 0;
  if (t.price_type == PriceType::kOnDemand) return count;
  const int base = std::clamp(t.on_demand_base.value_or(0), 0, count);
  const int percent = std::clamp(t.percent_on_demand.value_or(0), 0, 100);
  const int rest = count - base;
  return base + std::clamp((rest * percent + 99) / 100, 0, rest);
}

std::optional<AllocationStrategy> SpotStrategyOf(const Template& t) noexcept {
  if (t.price_type == PriceType::kOnDemand) return std::nullopt;
  return t.allocation_strategy;
}

std::optional<AllocationStrategy> OnDemandStrategyOf(const Template& t) noexcept {
  if (t.on_demand_allocation_strategy) return t.on_demand_allocation_strategy;
  if (t.price_type == PriceType::kOnDemand) return t.allocation_strategy;
  return std::nullopt;
}

bool UsesPriorities(const Template& t) noexcept {
  return !t.vm_types_priority.empty() || !t.vm_types_on_demand.empty() ||
         OnDemandStrategyOf(t) == AllocationStrategy::kPrioritized ||
         SpotStrategyOf(t) == AllocationStrategy::kCapacityOptimizedPrioritized;
}

std::vector<LaunchType> LaunchTypes(const Template& t) {
  std::vector<LaunchType> types;
  for (const auto& [type, weight] : t.vm_types) types.push_back({type, weight, std::nullopt});
  if (types.empty() && !t.vm_type.empty()) types.push_back({t.vm_type, std::nullopt, std::nullopt});
  for (const auto& [type, weight] : t.vm_types_on_demand) {
    const bool known = std::any_of(types.begin(), types.end(),
                                   [&](const LaunchType& l) { return l.type == type; });
    if (!known) types.push_back({type, weight, std::nullopt});
  }
  if (types.empty()) types.push_back({"", std::nullopt, std::nullopt});  // the launch template's
  if (!UsesPriorities(t)) return types;
  // Rank: vmTypesPriority's value first; then the vmTypesOnDemand types, then the rest, in order.
  std::map<std::string, double, std::less<>> given(t.vm_types_priority.begin(),
                                                   t.vm_types_priority.end());
  double after = 0;
  for (const auto& [type, priority] : t.vm_types_priority) after = std::max(after, priority + 1);
  auto on_demand = [&](const std::string& type) {
    return std::any_of(t.vm_types_on_demand.begin(), t.vm_types_on_demand.end(),
                       [&](const auto& p) { return p.first == type; });
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (LaunchType& l : types) {
      if (auto it = given.find(l.type); it != given.end()) {
        l.priority = it->second;
      } else if (!l.priority && on_demand(l.type) == (pass == 0)) {
        l.priority = after++;
      }
    }
  }
  std::stable_sort(types.begin(), types.end(), [](const LaunchType& a, const LaunchType& b) {
    return *a.priority < *b.priority;
  });
  return types;
}

std::string InstanceName(std::string_view pattern, std::string_view template_id,
                         std::string_view request_id, std::string_view provider) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const std::size_t open = pattern.find('{', i);
    out.append(pattern.substr(i, open == std::string_view::npos ? open : open - i));
    if (open == std::string_view::npos) break;
    const std::size_t close = pattern.find('}', open);
    const std::string_view name = close == std::string_view::npos
                                      ? std::string_view()
                                      : pattern.substr(open + 1, close - open - 1);
    if (name == "templateId") {
      out.append(template_id);
    } else if (name == "requestId") {
      out.append(request_id);
    } else if (name == "provider") {
      out.append(provider);
    } else {
      out.push_back('{');  // not a placeholder: kept as written
      i = open + 1;
      continue;
    }
    i = close + 1;
  }
  if (out.size() > kMaxTagValue) {
    out.resize(kMaxTagValue);
    // Never in the middle of a UTF-8 sequence: a last multi-byte character goes whole.
    std::size_t end = out.size();
    while (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0xC0) == 0x80) --end;
    if (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0x80) != 0) --end;
    out.resize(end);
  }
  return out;
}

const Template* TemplateSet::Find(std::string_view template_id) const {
  for (const Template& t : templates) {
    if (t.template_id == template_id) return &t;
  }
  return nullptr;
}

}  // namespace ohfp::model
