// hostfactory/templates.h
//
// HostFactory templates: awsprov_templates.json in the configuration directory,
// {"templates": [ ... ]}, with the IBM AWS plugin's fields and the Open Host Factory Plugin's
// providerApi and fleetType:
//
//   templateId (required, <= 64 chars of [A-Za-z0-9_-], unique), maxNumber (-1: unlimited),
//   attributes ({"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"],
//               "nram": ["Numeric", "4096"], ...}),
//   imageId, subnetId (a string or a list), vmType or vmTypes ({"c5.large": 1, "c5.xlarge": 2}:
//   type -> weight), priceType (ondemand | spot | heterogeneous), maxSpotPrice, keyName,
//   securityGroupIds, instanceTags ("k=v;k2=v2"), instanceProfile, userDataScript (a file whose
//   content becomes the user data), rootDeviceVolumeSize, volumeType, fleetRole,
//   allocationStrategy, spotFleetRequestExpiry (minutes), percentOnDemand, launchTemplateId,
//   providerApi (RunInstances | EC2Fleet | SpotFleet | ASG), fleetType (instant | request |
//   maintain).
//
// Validation rejects every invalid value and combination, all at once, with a message naming the
// template and the field:
//   "templates[1] (OnDemand-C5).vmTypes: RunInstances launches one instance type; use vmType"
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   Result<TemplateSet> set = LoadTemplates(confdir / "awsprov_templates.json");
//   const Template* t = set->Find("OnDemand-C5");
//   nlohmann::json j = HostFactoryTemplateJson(*t, /*available=*/8);
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::hostfactory {

using resilience::ConfigProblem;

enum class ProviderApi { kRunInstances, kEc2Fleet, kSpotFleet, kAsg };
enum class PriceType { kOnDemand, kSpot, kHeterogeneous };
enum class FleetType { kInstant, kRequest, kMaintain };

std::string_view ProviderApiName(
    ProviderApi api) noexcept;  // "RunInstances", "EC2Fleet", "SpotFleet", "ASG"
std::string_view PriceTypeName(PriceType type) noexcept;  // "ondemand", "spot", "heterogeneous"
std::string_view FleetTypeName(FleetType type) noexcept;  // "instant", "request", "maintain"

// One HostFactory attribute: "ncpus": ["Numeric", "2"].
struct Attribute {
  std::string name{};
  std::string type{};  // "String" or "Numeric"
  std::string value{};
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Template {
  std::string template_id{};
  int max_number = -1;  // -1: unlimited
  std::vector<Attribute>
      attributes{};  // in file order; "type" defaults to String X86_64 when absent
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
  std::string allocation_strategy{};
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

// Reads {"templates": [...]}. Problems are appended with paths like "templates[2]
// (Spot-C5).fleetRole".
TemplateSet ReadTemplates(const nlohmann::json& value, std::vector<ConfigProblem>& problems);

// Reads and validates the file. A missing file is an error (HostFactory cannot work without
// templates).
[[nodiscard]] resilience::Result<TemplateSet> LoadTemplates(const std::filesystem::path& file);

// The template as getAvailableTemplates prints it: templateId, maxNumber, availableNumber,
// attributes, imageId, vmType, priceType (and the other fields HostFactory shows), with
// `attributes` as given.
nlohmann::ordered_json HostFactoryTemplateJson(const Template& t, int available_number);

}  // namespace ohfp::hostfactory
