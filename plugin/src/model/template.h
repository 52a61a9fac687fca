// model/template.h
//
// A HostFactory template: what a request for machines of `template_id` launches, and through which
// AWS API. Values are parsed and checked once, at the edge that reads the templates file
// (config/templates_file.h); everything past it reads these types, never the file's strings.
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   const Template* t = templates.Find("OnDemand-C5");
//   if (t->provider_api == ProviderApi::kSpotFleet) { ... }
//   std::string_view name = ProviderApiName(t->provider_api);   // "SpotFleet"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ohfp::model {

enum class ProviderApi { kRunInstances, kEc2Fleet, kSpotFleet, kAsg };
enum class PriceType { kOnDemand, kSpot, kHeterogeneous };
enum class FleetType { kInstant, kRequest, kMaintain };
// EC2 Fleet's, Spot Fleet's and Auto Scaling's allocation strategies (the APIs spell them
// differently; the handlers write each API's spelling).
enum class AllocationStrategy {
  kLowestPrice,
  kDiversified,
  kCapacityOptimized,
  kCapacityOptimizedPrioritized,
  kPriceCapacityOptimized,
  kPrioritized,
};

// The templates file's spellings: "RunInstances", "EC2Fleet", "SpotFleet", "ASG"; "ondemand",
// "spot", "heterogeneous"; "instant", "request", "maintain"; "lowest-price", ... ("prioritized").
std::string_view ProviderApiName(ProviderApi api) noexcept;
std::string_view PriceTypeName(PriceType type) noexcept;
std::string_view FleetTypeName(FleetType type) noexcept;
std::string_view AllocationStrategyName(AllocationStrategy strategy) noexcept;       // kebab-case
std::string_view AllocationStrategyCamelName(AllocationStrategy strategy) noexcept;  // Spot Fleet's

std::optional<ProviderApi> ProviderApiFromName(std::string_view name) noexcept;
std::optional<PriceType> PriceTypeFromName(std::string_view name) noexcept;
std::optional<FleetType> FleetTypeFromName(std::string_view name) noexcept;
// Either spelling: "capacity-optimized" or "capacityOptimized".
std::optional<AllocationStrategy> AllocationStrategyFromName(std::string_view name) noexcept;

// Whether a strategy is one for Spot capacity, for On-Demand capacity, and one Auto Scaling
// accepts for Spot capacity.
bool IsSpotStrategy(AllocationStrategy s) noexcept;
bool IsOnDemandStrategy(AllocationStrategy s) noexcept;
bool IsAsgSpotStrategy(AllocationStrategy s) noexcept;

// One HostFactory attribute: "ncpus": ["Numeric", "2"].
struct Attribute {
  std::string name{};
  std::string type{};  // "String" or "Numeric"
  std::string value{};
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Template {
  std::string template_id{};
  int max_number = -1;                  // -1: unlimited
  std::vector<Attribute> attributes{};  // in file order; "type" defaults to String X86_64
  std::string image_id{};
  std::vector<std::string> subnet_ids{};
  std::string vm_type{};                                   // vmType, or the first of vmTypes
  std::vector<std::pair<std::string, double>> vm_types{};  // vmTypes in file order: type -> weight
  PriceType price_type = PriceType::kOnDemand;
  std::string max_spot_price{};
  std::string key_name{};
  std::vector<std::string> security_group_ids{};
  std::vector<std::pair<std::string, std::string>> instance_tags{};  // parsed from "k=v;k2=v2"
  std::string instance_profile{};
  std::string user_data_script{};                // a path; its content is read at launch
  std::optional<int> root_device_volume_size{};  // GiB
  std::string volume_type{};
  std::string fleet_role{};
  std::optional<AllocationStrategy> allocation_strategy{};
  std::optional<int> spot_fleet_request_expiry{};  // minutes
  std::optional<int> percent_on_demand{};
  std::string launch_template_id{};
  ProviderApi provider_api = ProviderApi::kRunInstances;
  FleetType fleet_type = FleetType::kRequest;

  // The attribute `name`, if present.
  const Attribute* FindAttribute(std::string_view name) const;
};

struct TemplateSet {
  std::vector<Template> templates{};
  const Template* Find(std::string_view template_id) const;
};

}  // namespace ohfp::model
