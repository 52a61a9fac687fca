// model/template.h
//
// A HostFactory template: what a request for machines of `template_id` launches, and through which
// AWS API. Values are parsed and checked once, at the edge that reads the templates file
// (config/templates_file.h); everything past it reads these types, never the file's strings.
//
// Also the pure decisions about a template that do not depend on the cloud: which API IBM's
// plugin would use when the file names none (IbmDefaultApi), how much of a request is on-demand
// (OnDemandUnits), the priority order of its instance types (TypePriorities), and the Name tag of
// its instances (InstanceName).
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
// EC2's Placement.Tenancy.
enum class Tenancy { kDefault, kDedicated, kHost };
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
std::string_view TenancyName(Tenancy tenancy) noexcept;  // "default", "dedicated", "host"

std::optional<ProviderApi> ProviderApiFromName(std::string_view name) noexcept;
std::optional<PriceType> PriceTypeFromName(std::string_view name) noexcept;
std::optional<FleetType> FleetTypeFromName(std::string_view name) noexcept;
// Either spelling: "capacity-optimized" or "capacityOptimized".
std::optional<AllocationStrategy> AllocationStrategyFromName(std::string_view name) noexcept;
std::optional<Tenancy> TenancyFromName(std::string_view name) noexcept;

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
  std::string image_id{};  // "ami-..."; empty with image_parameter or a launch template alone
  // The SSM parameter that names the image ("/aws/service/ami-amazon-linux-latest/...", or any
  // parameter name; "name:version" or "name:label" select a version): resolved with GetParameter
  // when a request is made (the file's imageId "resolve:ssm:<name>", or a path "/...").
  std::string image_parameter{};
  std::vector<std::string> subnet_ids{};
  std::string vm_type{};                                   // vmType, or the first of vmTypes
  std::vector<std::pair<std::string, double>> vm_types{};  // vmTypes in file order: type -> weight
  PriceType price_type = PriceType::kOnDemand;
  std::string max_spot_price{};  // maxSpotPrice (or its alias spotPrice), as written
  std::string key_name{};
  std::vector<std::string> security_group_ids{};
  std::vector<std::pair<std::string, std::string>> instance_tags{};  // parsed from "k=v;k2=v2"
  std::string instance_profile{};
  std::string user_data_script{};                // a path; its content is read at launch
  std::string user_data{};                       // userData: the user data itself
  std::optional<int> root_device_volume_size{};  // GiB
  std::string volume_type{};
  std::optional<int> iops{};               // io1, io2, gp3
  std::optional<int> volume_throughput{};  // MiB/s, gp3
  std::optional<bool> ebs_optimized{};
  std::string placement_group{};  // placementGroupName (or pgrpName)
  std::optional<Tenancy> tenancy{};
  std::string fleet_role{};
  std::optional<AllocationStrategy> allocation_strategy{};
  // allocationStrategyOnDemand: the on-demand part's strategy (lowest-price or prioritized).
  std::optional<AllocationStrategy> on_demand_allocation_strategy{};
  std::optional<int> spot_fleet_request_expiry{};  // minutes
  std::optional<int> percent_on_demand{};
  std::optional<int> on_demand_base{};  // onDemandCapacity: the first units of a request on-demand
  std::optional<int> pools_count{};     // poolsCount: Spot pools (with lowest-price)
  // vmTypesOnDemand: the types the on-demand part prefers, in file order: type -> weight.
  std::vector<std::pair<std::string, double>> vm_types_on_demand{};
  // vmTypesPriority: type -> priority (lower first, as AWS's Priority).
  std::vector<std::pair<std::string, double>> vm_types_priority{};
  std::string launch_template_id{};
  std::string launch_template_version{};  // with launch_template_id; empty: "$Default"
  ProviderApi provider_api = ProviderApi::kRunInstances;
  // The file named no providerApi: the API is IBM's plugin's choice (IbmDefaultApi), and so are the
  // defaults of percentOnDemand and spotFleetRequestExpiry.
  bool ibm_defaults = false;
  FleetType fleet_type = FleetType::kRequest;

  // The attribute `name`, if present.
  const Attribute* FindAttribute(std::string_view name) const;
  // Whether a launch sets the root volume (size, type, IOPS or throughput): it then needs the
  // image's root device name.
  bool SetsRootVolume() const noexcept;
  // The launch template version to launch from: launch_template_version, else "$Default".
  std::string LaunchTemplateVersion() const;
  // imageId as the templates file writes it: image_id, or "resolve:ssm:<image_parameter>".
  std::string ImageSpelling() const;
};

// The API IBM's plugin uses for a price type: RunInstances for ondemand, a Spot Fleet for spot and
// heterogeneous (which is why IBM's Spot templates carry fleetRole).
ProviderApi IbmDefaultApi(PriceType price_type) noexcept;
// IBM's defaults for a template whose API was chosen for it: Spot Fleet requests expire after 30
// minutes.
inline constexpr int kIbmSpotFleetExpiryMinutes = 30;

// The strategy of the template's Spot capacity: allocationStrategy, unless priceType is ondemand.
std::optional<AllocationStrategy> SpotStrategyOf(const Template& t) noexcept;
// The strategy of its on-demand capacity: allocationStrategyOnDemand, else (priceType ondemand)
// allocationStrategy.
std::optional<AllocationStrategy> OnDemandStrategyOf(const Template& t) noexcept;

// The capacity units of a request of `count` units to launch on-demand: all of it for ondemand;
// for spot and heterogeneous, onDemandCapacity (at most `count`) plus percentOnDemand of the rest,
// rounded up (as Auto Scaling does).
int OnDemandUnits(const Template& t, int count) noexcept;

// One instance type a request may launch: its weight (nullopt: the template weighs none) and its
// priority (lower first; nullopt: the template asks for no priorities).
struct LaunchType {
  std::string type{};
  std::optional<double> weight{};
  std::optional<double> priority{};
  friend bool operator==(const LaunchType&, const LaunchType&) = default;
};

// Whether the template asks for instance type priorities: vmTypesPriority or vmTypesOnDemand is
// given, or a strategy uses priorities (capacity-optimized-prioritized, on-demand prioritized).
bool UsesPriorities(const Template& t) noexcept;

// The instance types a request launches: vmTypes, then the vmTypesOnDemand types vmTypes lacks, or
// vmType alone ("" with a launch template alone). With priorities (UsesPriorities), each has one
// and the list is in priority order: vmTypesPriority's value where it gives one; the others after
// those, the vmTypesOnDemand types first, then in file order. Without, file order.
std::vector<LaunchType> LaunchTypes(const Template& t);

// The Name tag of a request's instances from `pattern`: "{templateId}", "{requestId}" and
// "{provider}" are replaced; at most 256 characters. Empty pattern: no Name tag ("").
std::string InstanceName(std::string_view pattern, std::string_view template_id,
                         std::string_view request_id, std::string_view provider);

struct TemplateSet {
  std::vector<Template> templates{};
  const Template* Find(std::string_view template_id) const;
};

}  // namespace ohfp::model
