#include "config/templates_file.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "base/strings.h"
#include "config/json_file.h"
#include "config/json_reader.h"
#include "config/template_fields.h"

namespace ohfp::config {
namespace {

using base::Quoted;
using internal::IsResourceId;
using internal::IsValidTemplateId;
using internal::ReadInteger;
using model::AllocationStrategy;
using model::FleetType;
using model::PriceType;
using model::ProviderApi;
using nlohmann::json;
using nlohmann::ordered_json;
using resilience::Error;
using resilience::ErrorKind;

// Reads an enumerated name, case-sensitively; a near miss in case gets a "did you mean".
template <class Enum, std::size_t N>
std::optional<Enum> ReadEnum(ObjectReader& r, std::string_view key,
                             const std::array<Enum, N>& values, std::string_view (*name)(Enum)) {
  std::optional<std::string> text;
  r.String(key, text);
  if (!text) return std::nullopt;
  std::vector<std::string_view> all;
  for (Enum v : values) {
    if (name(v) == *text) return v;
    all.push_back(name(v));
  }
  std::string message = "must be " + base::OneOf(all) + ", got " + Quoted(*text);
  for (std::string_view n : all) {
    if (base::EqualsIgnoringCase(n, *text)) {
      message += " (names are case-sensitive: did you mean " + Quoted(n) + "?)";
    }
  }
  r.Problem(key, message);
  return std::nullopt;
}

constexpr std::array<ProviderApi, 4> kApis = {ProviderApi::kRunInstances, ProviderApi::kEc2Fleet,
                                              ProviderApi::kSpotFleet, ProviderApi::kAsg};
constexpr std::array<PriceType, 3> kPriceTypes = {PriceType::kOnDemand, PriceType::kSpot,
                                                  PriceType::kHeterogeneous};
constexpr std::array<FleetType, 3> kFleetTypes = {FleetType::kInstant, FleetType::kRequest,
                                                  FleetType::kMaintain};
constexpr std::array<AllocationStrategy, 6> kStrategies = {
    AllocationStrategy::kLowestPrice,
    AllocationStrategy::kDiversified,
    AllocationStrategy::kCapacityOptimized,
    AllocationStrategy::kCapacityOptimizedPrioritized,
    AllocationStrategy::kPriceCapacityOptimized,
    AllocationStrategy::kPrioritized};

std::string_view ApiName(ProviderApi a) { return model::ProviderApiName(a); }
std::string_view PriceName(PriceType p) { return model::PriceTypeName(p); }
std::string_view FleetName(FleetType f) { return model::FleetTypeName(f); }

// Fields of the IBM plugin's templates that ohfp does not support: errors, with a message that says
// so.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kUnsupportedFields = {{
    {"vmTypesOnDemand", "put the on-demand types in vmTypes"},
    {"vmTypesPriority", "the order of vmTypes is the priority"},
    {"iops", "use gp3, or a launch template that sets the volume"},
    {"poolsCount", "use allocationStrategy price-capacity-optimized or capacity-optimized"},
    {"allocationStrategyOnDemand",
     "with priceType ondemand, allocationStrategy is the on-demand strategy"},
    {"awshandler", "use providerApi (and fleetType)"},
}};

// What was read of the enumerated fields: nullopt when absent or invalid (r.Has() tells which).
struct Choices {
  std::optional<PriceType> price_type;
  std::optional<ProviderApi> api;
  std::optional<FleetType> fleet_type;
  std::optional<std::string> strategy;
};

void ReadIdentity(ObjectReader& r, model::Template& t) {
  if (const json* id = r.Raw("templateId"); id == nullptr) {
    r.Problem("templateId", "is required");
  } else if (!id->is_string()) {
    r.Problem("templateId", "must be a string, got " + JsonTypeName(*id));
  } else if (!IsValidTemplateId(id->get_ref<const std::string&>())) {
    r.Problem("templateId",
              "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_', got " + id->dump());
  } else {
    t.template_id = id->get<std::string>();
  }
  std::optional<int> max_number;
  ReadInteger(r, "maxNumber", -1, internal::kMaxNumberLimit, max_number);
  if (max_number) t.max_number = *max_number;
}

// A string field that must be a resource id with `prefix`.
void ReadResourceId(ObjectReader& r, std::string_view key, std::string_view prefix,
                    std::string_view what, std::string& out, std::string_view hint = {}) {
  std::optional<std::string> text;
  r.String(key, text);
  if (!text) return;
  if (IsResourceId(*text, prefix)) {
    out = *text;
    return;
  }
  r.Problem(key, "must be " + std::string(what) + " such as " + std::string(prefix) +
                     "0123456789abcdef0, got " + Quoted(*text) + std::string(hint));
}

void ReadInstanceProfile(ObjectReader& r, model::Template& t) {
  std::optional<std::string> profile;
  r.String("instanceProfile", profile);
  if (!profile) return;
  const bool arn = profile->starts_with("arn:");
  const bool ok = arn ? profile->find(":instance-profile/") != std::string::npos
                      : !profile->empty() && profile->size() <= 128 &&
                            std::all_of(profile->begin(), profile->end(), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                                     std::string_view("+=,.@_-").find(c) != std::string_view::npos;
                            });
  if (ok) {
    t.instance_profile = *profile;
    return;
  }
  r.Problem("instanceProfile",
            "must be an instance profile name or ARN "
            "(arn:aws:iam::123456789012:instance-profile/NAME), got " +
                Quoted(*profile));
}

void ReadPlacement(ObjectReader& r, model::Template& t, std::vector<ConfigProblem>& problems) {
  ReadResourceId(r, "imageId", "ami-", "an AMI id", t.image_id,
                 " (for an SSM parameter, use a launch template whose ImageId is resolve:ssm:...)");
  ReadResourceId(r, "launchTemplateId", "lt-", "a launch template id", t.launch_template_id);
  t.subnet_ids = internal::ReadIdList(r, "subnetId", "subnet-", /*allow_single_string=*/true,
                                      /*allow_empty=*/false, problems);
  t.security_group_ids = internal::ReadIdList(r, "securityGroupIds", "sg-",
                                              /*allow_single_string=*/false,
                                              /*allow_empty=*/true, problems);
  std::optional<std::string> key_name;
  r.String("keyName", key_name);
  if (key_name) {
    if (key_name->empty() || key_name->size() > internal::kMaxKeyName) {
      r.Problem("keyName", "must be 1 to 255 characters, got " + Quoted(*key_name));
    } else {
      t.key_name = *key_name;
    }
  }
  ReadInstanceProfile(r, t);
}

void ReadInstanceTypes(ObjectReader& r, const ordered_json* ordered, model::Template& t,
                       std::vector<ConfigProblem>& problems) {
  std::optional<std::string> vm_type;
  r.String("vmType", vm_type);
  if (vm_type) {
    if (internal::IsInstanceType(*vm_type)) {
      t.vm_type = *vm_type;
    } else {
      r.Problem("vmType",
                "must be an instance type name such as c5.large, got " + Quoted(*vm_type));
    }
  }
  internal::ReadVmTypes(r, ordered, t, problems);
}

Choices ReadChoices(ObjectReader& r, model::Template& t) {
  Choices c;
  c.price_type = ReadEnum(r, "priceType", kPriceTypes, PriceName);
  if (c.price_type) t.price_type = *c.price_type;
  c.api = ReadEnum(r, "providerApi", kApis, ApiName);
  if (c.api) t.provider_api = *c.api;
  c.fleet_type = ReadEnum(r, "fleetType", kFleetTypes, FleetName);
  if (c.fleet_type) t.fleet_type = *c.fleet_type;
  r.String("allocationStrategy", c.strategy);
  return c;
}

void ReadVolume(ObjectReader& r, model::Template& t) {
  ReadInteger(r, "rootDeviceVolumeSize", 1, internal::kMaxRootVolumeGib, t.root_device_volume_size);
  std::optional<std::string> volume_type;
  r.String("volumeType", volume_type);
  if (!volume_type) return;
  if (*volume_type == "gp2" || *volume_type == "gp3" || *volume_type == "standard") {
    t.volume_type = *volume_type;
  } else if (*volume_type == "io1" || *volume_type == "io2") {
    r.Problem("volumeType", *volume_type +
                                " needs iops, which templates do not set; use gp3, or a launch "
                                "template that sets the volume");
  } else {
    r.Problem("volumeType", "must be gp2, gp3 or standard, got " + Quoted(*volume_type));
  }
}

void ReadLaunchSettings(ObjectReader& r, model::Template& t) {
  internal::ReadMaxSpotPrice(r, t);
  std::optional<std::string> tags;
  r.String("instanceTags", tags);
  if (tags) {
    std::vector<std::string> tag_problems;
    t.instance_tags = internal::ParseInstanceTags(*tags, tag_problems);
    for (std::string& p : tag_problems) r.Problem("instanceTags", std::move(p));
  }
  std::optional<std::string> user_data;
  r.String("userDataScript", user_data);
  if (user_data) {
    if (user_data->empty()) {
      r.Problem("userDataScript",
                "must be a path to a script (absolute, or relative to the configuration "
                "directory), got an empty string");
    } else {
      t.user_data_script = *user_data;
    }
  }
  ReadVolume(r, t);
}

void ReadFleetSettings(ObjectReader& r, model::Template& t) {
  std::optional<std::string> fleet_role;
  r.String("fleetRole", fleet_role);
  if (fleet_role) {
    if (fleet_role->starts_with("arn:") && fleet_role->find(":iam::") != std::string::npos &&
        fleet_role->find(":role/") != std::string::npos) {
      t.fleet_role = *fleet_role;
    } else {
      r.Problem("fleetRole",
                "must be an IAM role ARN such as "
                "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role, got " +
                    Quoted(*fleet_role));
    }
  }
  ReadInteger(r, "spotFleetRequestExpiry", 1, internal::kMaxExpiryMinutes,
              t.spot_fleet_request_expiry);
  ReadInteger(r, "percentOnDemand", 0, 100, t.percent_on_demand);
}

void RefuseUnsupported(ObjectReader& r) {
  for (const auto& [field, advice] : kUnsupportedFields) {
    if (!r.Has(field)) continue;
    (void)r.Raw(field);
    r.Problem(field,
              "is an IBM AWS plugin field that ohfp does not support: " + std::string(advice));
  }
}

// HostFactory needs ncpus and nram. Without them in the file ohfp reads them from the instance
// type, so a template that names no instance type (a launch template alone) must give them.
void RequireCpuAndMemory(ObjectReader& r, const model::Template& t) {
  if (!t.vm_type.empty()) return;
  for (std::string_view required : {"ncpus", "nram"}) {
    if (t.FindAttribute(required) == nullptr) {
      r.Problem("attributes", "must give " + std::string(required) +
                                  " (e.g. [\"Numeric\", \"2\"]) when the template names no "
                                  "vmType: ohfp reads ncpus and nram from the instance type "
                                  "otherwise");
    }
  }
}

// Whether the strategy suits the price type and the API.
bool StrategyAllowed(AllocationStrategy s, const model::Template& t) {
  if (t.price_type == PriceType::kOnDemand) return model::IsOnDemandStrategy(s);
  return model::IsSpotStrategy(s) &&
         (t.provider_api != ProviderApi::kAsg || model::IsAsgSpotStrategy(s));
}

void CheckStrategy(ObjectReader& r, model::Template& t, const Choices& c, bool price_known) {
  if (!c.strategy) return;
  if (t.provider_api == ProviderApi::kRunInstances) {
    r.Problem("allocationStrategy",
              "RunInstances has no allocation strategy; use EC2Fleet, SpotFleet or ASG");
    return;
  }
  if (!price_known) return;
  const std::optional<AllocationStrategy> found = model::AllocationStrategyFromName(*c.strategy);
  if (found && StrategyAllowed(*found, t)) {
    t.allocation_strategy = found;
    return;
  }
  const bool spot_fleet = t.provider_api == ProviderApi::kSpotFleet;
  std::vector<std::string_view> names;
  for (AllocationStrategy s : kStrategies) {
    if (StrategyAllowed(s, t)) {
      names.push_back(spot_fleet ? model::AllocationStrategyCamelName(s)
                                 : model::AllocationStrategyName(s));
    }
  }
  r.Problem("allocationStrategy", "with " + std::string(ApiName(t.provider_api)) +
                                      " and priceType " + std::string(PriceName(t.price_type)) +
                                      " must be " + base::OneOf(names) + ", got " +
                                      Quoted(*c.strategy));
}

void CheckAsg(ObjectReader& r, const model::Template& t) {
  if (!r.Has("subnetId")) {
    r.Problem("subnetId",
              "is required by ASG: an Auto Scaling group launches into the subnets listed here");
  }
  for (const auto& [type, weight] : t.vm_types) {
    if (weight != std::floor(weight) || weight < 1 || weight > 999) {
      r.Problem("vmTypes",
                "ASG weights are whole numbers from 1 to 999 (Auto Scaling WeightedCapacity); " +
                    type + " has " + base::FormatNumber(weight));
    }
  }
}

void CheckFleetType(ObjectReader& r, const model::Template& t, const Choices& c) {
  if (!r.Has("fleetType")) return;
  if (t.provider_api == ProviderApi::kRunInstances || t.provider_api == ProviderApi::kAsg) {
    r.Problem("fleetType", "applies to EC2Fleet and SpotFleet only; " +
                               std::string(ApiName(t.provider_api)) + " has no fleet type");
  } else if (t.provider_api == ProviderApi::kSpotFleet && c.fleet_type == FleetType::kInstant) {
    r.Problem("fleetType",
              "SpotFleet has no instant type; use request or maintain (or EC2Fleet for instant)");
  }
}

void CheckApiCombinations(ObjectReader& r, model::Template& t, const Choices& c, bool price_known) {
  const std::string api_name(ApiName(t.provider_api));
  const bool run_instances = t.provider_api == ProviderApi::kRunInstances;
  const bool spot_fleet = t.provider_api == ProviderApi::kSpotFleet;
  if (run_instances && r.Has("vmTypes")) {
    r.Problem(
        "vmTypes",
        "RunInstances launches one instance type; use vmType (or EC2Fleet, SpotFleet or ASG)");
  }
  if (run_instances && price_known && t.price_type == PriceType::kHeterogeneous) {
    r.Problem("priceType",
              "heterogeneous mixes on-demand and spot capacity, which RunInstances cannot; use "
              "EC2Fleet, SpotFleet or ASG");
  }
  if (spot_fleet && !r.Has("fleetRole")) {
    r.Problem("fleetRole",
              "is required by SpotFleet: the ARN of the IAM role Spot Fleet launches and "
              "terminates instances with");
  }
  if (!spot_fleet && r.Has("fleetRole")) {
    r.Problem("fleetRole",
              "is used by SpotFleet only; " + api_name + " does not take a fleet role");
  }
  if (!spot_fleet && r.Has("spotFleetRequestExpiry")) {
    r.Problem("spotFleetRequestExpiry", "applies to SpotFleet only, not " + api_name);
  }
  if (t.provider_api == ProviderApi::kAsg) CheckAsg(r, t);
  CheckFleetType(r, t, c);
  CheckStrategy(r, t, c, price_known);
}

void CheckPriceCombinations(ObjectReader& r, const model::Template& t, bool api_known) {
  const bool heterogeneous = t.price_type == PriceType::kHeterogeneous;
  if (r.Has("percentOnDemand") && !heterogeneous) {
    r.Problem("percentOnDemand", "applies to priceType heterogeneous only; priceType is " +
                                     std::string(PriceName(t.price_type)));
  }
  if (heterogeneous && !r.Has("percentOnDemand") &&
      !(api_known && t.provider_api == ProviderApi::kRunInstances)) {
    r.Problem("percentOnDemand",
              "is required with priceType heterogeneous: the percentage (0 to 100) of the "
              "capacity to launch on-demand");
  }
  if (t.price_type == PriceType::kOnDemand && r.Has("maxSpotPrice")) {
    r.Problem("maxSpotPrice", "applies to spot capacity only; priceType is ondemand");
  }
}

// A field whose value was rejected still counts as set; checks that depend on providerApi or
// priceType run only when those were valid (or absent, hence their defaults).
void CheckCombinations(ObjectReader& r, model::Template& t, const Choices& c) {
  const bool api_known = c.api || !r.Has("providerApi");
  const bool price_known = c.price_type || !r.Has("priceType");
  if (!r.Has("imageId") && !r.Has("launchTemplateId")) {
    r.Problem("imageId",
              "is required unless launchTemplateId is set: neither says which image to launch");
  }
  if (r.Has("vmType") && r.Has("vmTypes")) {
    r.Problem("vmTypes", "set vmType or vmTypes, not both");
  } else if (!r.Has("vmType") && !r.Has("vmTypes") && !r.Has("launchTemplateId")) {
    r.Problem(
        "vmType",
        "is required (or vmTypes, or a launchTemplateId whose template sets the instance type)");
  }
  if (api_known) CheckApiCombinations(r, t, c, price_known);
  if (price_known) CheckPriceCombinations(r, t, api_known);
}

model::Template ReadTemplate(const json& value, const ordered_json* ordered, std::size_t index,
                             std::vector<ConfigProblem>& problems) {
  model::Template t;
  std::string label = "templates[" + std::to_string(index) + "]";
  if (!value.is_object()) {
    problems.push_back({label, "must be an object, got " + JsonTypeName(value)});
    return t;
  }
  if (auto it = value.find("templateId"); it != value.end() && it->is_string() &&
                                          IsValidTemplateId(it->get_ref<const std::string&>())) {
    label += " (" + it->get<std::string>() + ")";
  }
  ObjectReader r(value, label, problems);
  ReadIdentity(r, t);
  internal::ReadAttributes(r, ordered, t, problems);
  ReadPlacement(r, t, problems);
  ReadInstanceTypes(r, ordered, t, problems);
  const Choices choices = ReadChoices(r, t);
  ReadLaunchSettings(r, t);
  ReadFleetSettings(r, t);
  RefuseUnsupported(r);
  RequireCpuAndMemory(r, t);
  r.Finish();
  CheckCombinations(r, t, choices);
  return t;
}

}  // namespace

model::TemplateSet ReadTemplates(const json& value, std::vector<ConfigProblem>& problems,
                                 const ordered_json* ordered) {
  model::TemplateSet set;
  if (!value.is_object()) {
    problems.push_back(
        {"", "the templates file must be a JSON object {\"templates\": [...]}, got " +
                 JsonTypeName(value)});
    return set;
  }
  ObjectReader root(value, "", problems);
  const json* list = root.Raw("templates");
  root.Finish();
  if (list == nullptr) {
    problems.push_back({"templates", "is required: {\"templates\": [ ... ]}"});
    return set;
  }
  if (!list->is_array()) {
    problems.push_back({"templates", "must be an array, got " + JsonTypeName(*list)});
    return set;
  }
  const ordered_json* ordered_list = internal::OrderedChild(ordered, "templates");
  if (ordered_list != nullptr &&
      (!ordered_list->is_array() || ordered_list->size() != list->size())) {
    ordered_list = nullptr;
  }
  std::map<std::string, std::size_t, std::less<>> first_index;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const ordered_json* ordered_template = ordered_list != nullptr ? &(*ordered_list)[i] : nullptr;
    model::Template t = ReadTemplate((*list)[i], ordered_template, i, problems);
    if (!t.template_id.empty()) {
      auto [it, inserted] = first_index.emplace(t.template_id, i);
      if (!inserted) {
        problems.push_back(
            {"templates[" + std::to_string(i) + "] (" + t.template_id + ").templateId",
             "duplicates templates[" + std::to_string(it->second) +
                 "]: template ids must be unique"});
      }
    }
    set.templates.push_back(std::move(t));
  }
  return set;
}

resilience::Result<model::TemplateSet> LoadTemplates(const std::filesystem::path& file) {
  std::vector<ConfigProblem> problems;
  std::optional<JsonFile> f = ReadJsonFile(file, problems);
  if (!f && problems.empty()) {
    return Error(ErrorKind::kValidation, "missing_templates",
                 file.string() +
                     ": not found: HostFactory needs its templates (awsprov_templates.json in "
                     "HF_PROVIDER_CONFDIR)");
  }
  model::TemplateSet set;
  if (f) set = ReadTemplates(f->value, problems, &f->ordered);
  if (!problems.empty()) return ProblemsError(file, problems, "invalid_templates");
  return set;
}

}  // namespace ohfp::config
