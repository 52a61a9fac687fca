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
using internal::Choices;
using internal::IsResourceId;
using internal::IsValidTemplateId;
using internal::ReadInteger;
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

std::string_view ApiName(ProviderApi a) { return model::ProviderApiName(a); }
std::string_view PriceName(PriceType p) { return model::PriceTypeName(p); }
std::string_view FleetName(FleetType f) { return model::FleetTypeName(f); }

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

// An AMI id, or an SSM parameter that names one: "resolve:ssm:<name>" (AWS's launch template
// spelling) or a parameter path "/..." (the Open Host Factory Plugin's).
void ReadImage(ObjectReader& r, model::Template& t) {
  std::optional<std::string> text;
  r.String("imageId", text);
  if (!text) return;
  constexpr std::string_view kResolve = "resolve:ssm:";
  if (text->starts_with(kResolve) || text->starts_with("/")) {
    const std::string name =
        text->starts_with(kResolve) ? text->substr(kResolve.size()) : std::string(*text);
    if (internal::IsParameterName(name)) {
      t.image_parameter = name;
      return;
    }
    r.Problem("imageId",
              "must name an SSM parameter of 1 to 2048 characters of A-Z, a-z, 0-9 and _ . - / "
              "(with :version or :label), got " +
                  Quoted(*text));
    return;
  }
  if (IsResourceId(*text, "ami-")) {
    t.image_id = *text;
    return;
  }
  r.Problem("imageId",
            "must be an AMI id such as ami-0123456789abcdef0, or an SSM parameter that names one "
            "(resolve:ssm:NAME, or a path such as "
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64), got " +
                Quoted(*text));
}

void ReadPlacement(ObjectReader& r, model::Template& t, std::vector<ConfigProblem>& problems) {
  ReadImage(r, t);
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

// priceType, else what interruptible or spotPrice (IBM LSF's fields) imply; interruptible must
// agree with priceType.
void ReadPriceType(ObjectReader& r, model::Template& t, Choices& c) {
  c.price_type = ReadEnum(r, "priceType", kPriceTypes, PriceName);
  const std::optional<bool> interruptible = internal::ReadFlag(r, "interruptible");
  if (c.price_type) {
    t.price_type = *c.price_type;
    if (interruptible && *interruptible != (t.price_type != PriceType::kOnDemand)) {
      r.Problem("interruptible", std::string(*interruptible ? "true" : "false") +
                                     " contradicts priceType " +
                                     std::string(PriceName(t.price_type)) + "; set one of them");
    }
  } else if (!r.Has("priceType") && (interruptible || r.Has("spotPrice"))) {
    t.price_type = interruptible.value_or(true) ? PriceType::kSpot : PriceType::kOnDemand;
    c.price_type = t.price_type;
    c.price_implied = true;
  }
}

// providerApi, or the one IBM's plugin uses for the price type when the file names none.
Choices ReadChoices(ObjectReader& r, model::Template& t) {
  Choices c;
  ReadPriceType(r, t, c);
  c.api = ReadEnum(r, "providerApi", kApis, ApiName);
  if (c.api) {
    t.provider_api = *c.api;
  } else if (!r.Has("providerApi")) {
    t.provider_api = model::IbmDefaultApi(t.price_type);
    t.ibm_defaults = true;
  }
  c.fleet_type = ReadEnum(r, "fleetType", kFleetTypes, FleetName);
  if (c.fleet_type) t.fleet_type = *c.fleet_type;
  r.String("allocationStrategy", c.strategy);
  r.String("allocationStrategyOnDemand", c.on_demand_strategy);
  return c;
}

// The Python plugin's awshandler: providerApi and fleetType say the same, in one spelling.
void RefuseAwsHandler(ObjectReader& r) {
  if (!r.Has("awshandler")) return;
  (void)r.Raw("awshandler");
  r.Problem("awshandler", "is the Python plugin's field; use providerApi (and fleetType)");
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
  internal::ReadLaunchSettings(r, t);
  internal::ReadFleetSettings(r, t);
  RefuseAwsHandler(r);
  RequireCpuAndMemory(r, t);
  r.Finish();
  internal::CheckCombinations(r, t, choices);
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
                     ": not found: HostFactory needs its templates (<provider>prov_templates.json, "
                     "else awsprov_templates.json, in HF_PROVIDER_CONFDIR)");
  }
  model::TemplateSet set;
  if (f) set = ReadTemplates(f->value, problems, &f->ordered);
  if (!problems.empty()) return ProblemsError(file, problems, "invalid_templates");
  return set;
}

}  // namespace ohfp::config
