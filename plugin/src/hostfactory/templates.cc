#include "hostfactory/templates.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "aws/untrusted_text.h"
#include "config/json_reader.h"
#include "config/plugin_config.h"

namespace ohfp::hostfactory {
namespace {

// A weight as the user wrote it: 2, 1.5, 0.25.
std::string FormatWeight(double weight) {
  std::ostringstream out;
  out << weight;
  return out.str();
}

using config::JsonTypeName;
using config::ObjectReader;
using nlohmann::json;
using nlohmann::ordered_json;
using resilience::Error;
using resilience::ErrorKind;

// ---- Limits (docs/configuration.md, "Templates", lists the same numbers) ----

constexpr std::size_t kMaxTemplateId = 64;
constexpr int kMaxNumberLimit = 10000;            // IBM's maximum for maxNumber
constexpr int kMaxRootVolumeGib = 16384;          // 16 TiB, EBS's maximum
constexpr int kMaxExpiryMinutes = 365 * 24 * 60;  // one year
constexpr std::size_t kMaxTagKey = 128;
constexpr std::size_t kMaxTagValue = 256;
constexpr std::size_t kMaxKeyName = 255;

// ---- Names ----

template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

constexpr std::array<Named<ProviderApi>, 4> kProviderApis = {
    {{ProviderApi::kRunInstances, "RunInstances"},
     {ProviderApi::kEc2Fleet, "EC2Fleet"},
     {ProviderApi::kSpotFleet, "SpotFleet"},
     {ProviderApi::kAsg, "ASG"}}};
constexpr std::array<Named<PriceType>, 3> kPriceTypes = {
    {{PriceType::kOnDemand, "ondemand"},
     {PriceType::kSpot, "spot"},
     {PriceType::kHeterogeneous, "heterogeneous"}}};
constexpr std::array<Named<FleetType>, 3> kFleetTypes = {{{FleetType::kInstant, "instant"},
                                                          {FleetType::kRequest, "request"},
                                                          {FleetType::kMaintain, "maintain"}}};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

// "a, b or c"
template <class Range>
std::string OneOf(const Range& names) {
  std::string out;
  std::size_t i = 0;
  const std::size_t n = std::size(names);
  for (std::string_view name : names) {
    if (i > 0) out += i + 1 == n ? " or " : ", ";
    out += name;
    ++i;
  }
  return out;
}

// Reads an enumerated name, case-sensitively; a near miss in case gets a "did you mean".
template <class Enum, std::size_t N>
std::optional<Enum> ReadEnum(ObjectReader& r, std::string_view key,
                             const std::array<Named<Enum>, N>& names) {
  std::optional<std::string> text;
  r.String(key, text);
  if (!text) return std::nullopt;
  std::vector<std::string_view> all;
  for (const Named<Enum>& n : names) {
    if (n.name == *text) return n.value;
    all.push_back(n.name);
  }
  std::string message = "must be " + OneOf(all) + ", got " + Quoted(*text);
  for (const Named<Enum>& n : names) {
    if (EqualsIgnoringCase(n.name, *text)) {
      message += " (names are case-sensitive: did you mean " + Quoted(n.name) + "?)";
    }
  }
  r.Problem(key, message);
  return std::nullopt;
}

// ---- Allocation strategies ----
//
// One spelling is stored: EC2 Fleet's and Auto Scaling's (kebab-case). Spot Fleet's API spells the
// same strategies in camelCase (and the IBM plugin's templates use those); they are accepted as
// aliases. What each API accepts:
//   spot capacity       EC2Fleet, SpotFleet: lowest-price, diversified, capacity-optimized,
//                                            capacity-optimized-prioritized,
//                                            price-capacity-optimized
//                       ASG: the same without diversified
//   on-demand capacity  EC2Fleet, SpotFleet, ASG: lowest-price, prioritized
//   RunInstances        none
struct Strategy {
  std::string_view name;   // EC2 Fleet / Auto Scaling spelling
  std::string_view camel;  // Spot Fleet spelling
  bool spot;               // a Spot allocation strategy
  bool on_demand;          // an On-Demand allocation strategy
  bool asg_spot;           // Auto Scaling accepts it for Spot
};
constexpr std::array<Strategy, 6> kStrategies = {{
    {"lowest-price", "lowestPrice", true, true, true},
    {"diversified", "diversified", true, false, false},
    {"capacity-optimized", "capacityOptimized", true, false, true},
    {"capacity-optimized-prioritized", "capacityOptimizedPrioritized", true, false, true},
    {"price-capacity-optimized", "priceCapacityOptimized", true, false, true},
    {"prioritized", "prioritized", false, true, false},
}};

// ---- Value checks ----

bool IsTemplateIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

bool IsValidTemplateId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxTemplateId &&
         std::all_of(id.begin(), id.end(), IsTemplateIdChar);
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// "subnet-0123abcd": the prefix and at least 8 lowercase hex digits (AWS uses 8 or 17).
bool IsResourceId(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  const std::string_view digits = s.substr(prefix.size());
  return digits.size() >= 8 && digits.size() <= 32 &&
         std::all_of(digits.begin(), digits.end(), IsLowerHex);
}

// "c5.large", "u-6tb1.metal": a family and a size.
bool IsInstanceType(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == s.size() || s.size() > 64)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "2", "-1", "0.5": what a Numeric attribute holds.
bool IsDecimal(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return IsDigits(s);
  return IsDigits(s.substr(0, dot)) && IsDigits(s.substr(dot + 1));
}

// A whole number above 0 written as digits ("2", "4096").
bool IsPositiveWholeNumber(std::string_view s) {
  return IsDigits(s) && s.find_first_not_of('0') != std::string_view::npos;
}

std::optional<std::string> TagProblem(std::string_view key, std::string_view value) {
  if (key.empty()) return "a tag key must not be empty";
  if (key.size() > kMaxTagKey)
    return "the tag key " + Quoted(key) + " is longer than 128 characters";
  std::string lower;
  for (char c : key.substr(0, 4))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "aws:")
    return "the tag key " + Quoted(key) + " starts with \"aws:\", which AWS reserves";
  if (value.size() > kMaxTagValue)
    return "the value of tag " + Quoted(key) + " is longer than 256 characters";
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

// "k=v;k2=v2" (spaces around keys and values are dropped; empty pairs, as after a trailing ';', are
// skipped).
std::vector<std::pair<std::string, std::string>> ParseInstanceTags(
    std::string_view text, std::vector<std::string>& problems) {
  std::vector<std::pair<std::string, std::string>> tags;
  std::set<std::string, std::less<>> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = Trim(text.substr(start, end - start));
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      problems.push_back(Quoted(pair) +
                         " is not a key=value pair (expected \"key=value;key2=value2\")");
      continue;
    }
    const std::string_view key = Trim(pair.substr(0, eq));
    const std::string_view value = Trim(pair.substr(eq + 1));
    if (std::optional<std::string> problem = TagProblem(key, value)) {
      problems.push_back(key.empty() ? Quoted(pair) + " has an empty key" : *problem);
      continue;
    }
    if (!seen.emplace(key).second) {
      problems.push_back("the tag key " + Quoted(key) + " appears twice");
      continue;
    }
    tags.emplace_back(std::string(key), std::string(value));
  }
  return tags;
}

std::optional<double> ParsePositiveDecimal(std::string_view s) {
  if (!IsDecimal(s) || s.starts_with('-')) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || !(value > 0) || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// The keys of object `value` in file order when the order-preserving parse is at hand, else in
// `value`'s order.
std::vector<std::string> KeyOrder(const json& value, const ordered_json* ordered) {
  std::vector<std::string> keys;
  if (ordered != nullptr && ordered->is_object() && ordered->size() == value.size()) {
    for (auto it = ordered->begin(); it != ordered->end(); ++it) {
      if (!value.contains(it.key())) {
        keys.clear();
        break;
      }
      keys.push_back(it.key());
    }
    if (keys.size() == value.size()) return keys;
  }
  keys.clear();
  for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(it.key());
  return keys;
}

const ordered_json* OrderedChild(const ordered_json* ordered, std::string_view key) {
  if (ordered == nullptr || !ordered->is_object()) return nullptr;
  auto it = ordered->find(key);
  return it == ordered->end() ? nullptr : &*it;
}

// ---- Fields with structure ----

void ReadAttributes(ObjectReader& r, const ordered_json* ordered, Template& t,
                    std::vector<ConfigProblem>& problems) {
  const json* v = r.Raw("attributes");
  if (v == nullptr) {
    // ohfp reads ncpus and nram from the instance type; ReadTemplate checks that it can.
    t.attributes.push_back(Attribute{"type", "String", "X86_64"});
    return;
  }
  if (!v->is_object()) return r.Problem("attributes", "must be an object, got " + JsonTypeName(*v));
  const std::string base = r.path() + ".attributes";
  for (const std::string& name : KeyOrder(*v, OrderedChild(ordered, "attributes"))) {
    const json& pair = v->at(name);
    const std::string path = base + "." + name;
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
      problems.push_back({path,
                          "must be a [type, value] pair such as [\"Numeric\", \"2\"] or "
                          "[\"String\", \"X86_64\"], got " +
                              pair.dump()});
      continue;
    }
    const std::string& type = pair[0].get_ref<const std::string&>();
    if (type != "String" && type != "Numeric") {
      problems.push_back({path, "the type must be \"String\" or \"Numeric\", got " + Quoted(type)});
      continue;
    }
    if (!pair[1].is_string()) {
      problems.push_back(
          {path, "the value must be a string (a Numeric one too, e.g. [\"Numeric\", \"2\"]), got " +
                     JsonTypeName(pair[1])});
      continue;
    }
    const std::string& value = pair[1].get_ref<const std::string&>();
    if (name == "type" && (type != "String" || value.empty())) {
      problems.push_back(
          {path,
           "must be a String attribute such as [\"String\", \"X86_64\"], got " + pair.dump()});
      continue;
    }
    if ((name == "ncpus" || name == "nram" || name == "ncores") &&
        (type != "Numeric" || !IsPositiveWholeNumber(value))) {
      problems.push_back(
          {path, "must be [\"Numeric\", \"N\"] with N a whole number above 0, got " + pair.dump()});
      continue;
    }
    if (type == "Numeric" && !IsDecimal(value)) {
      problems.push_back(
          {path, "a Numeric value must be a number written as a string, got " + Quoted(value)});
      continue;
    }
    t.attributes.push_back({name, type, value});
  }
  if (!v->contains("type"))
    t.attributes.insert(t.attributes.begin(), Attribute{"type", "String", "X86_64"});
}

// A string, or a non-empty list of strings, each a resource id with `prefix`.
std::vector<std::string> ReadIdList(ObjectReader& r, std::string_view key, std::string_view prefix,
                                    bool allow_single_string, bool allow_empty,
                                    std::vector<ConfigProblem>& problems) {
  std::vector<std::string> out;
  const json* v = r.Raw(key);
  if (v == nullptr) return out;
  const std::string path = r.path() + "." + std::string(key);
  const std::string example = std::string(prefix) + "0123456789abcdef0";
  auto check = [&](const json& item, const std::string& item_path) {
    if (!item.is_string()) {
      problems.push_back({item_path, "must be a string, got " + JsonTypeName(item)});
      return;
    }
    const std::string& id = item.get_ref<const std::string&>();
    if (!IsResourceId(id, prefix)) {
      problems.push_back({item_path, "must be an id such as " + example + ", got " + Quoted(id)});
      return;
    }
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      problems.push_back({item_path, Quoted(id) + " is listed twice"});
      return;
    }
    out.push_back(id);
  };
  if (allow_single_string && v->is_string()) {
    check(*v, path);
  } else if (v->is_array()) {
    if (v->empty() && !allow_empty) problems.push_back({path, "must list at least one id"});
    for (std::size_t i = 0; i < v->size(); ++i)
      check((*v)[i], path + "[" + std::to_string(i) + "]");
  } else {
    problems.push_back(
        {path, std::string(allow_single_string ? "must be a string or a list of strings"
                                               : "must be a list of strings") +
                   ", got " + JsonTypeName(*v)});
  }
  return out;
}

void ReadVmTypes(ObjectReader& r, const ordered_json* ordered, Template& t,
                 std::vector<ConfigProblem>& problems) {
  const json* v = r.Raw("vmTypes");
  if (v == nullptr) return;
  if (!v->is_object()) {
    return r.Problem("vmTypes",
                     "must be an object of instance type -> weight, e.g. {\"c5.large\": 1, "
                     "\"c5.xlarge\": 2}, got " +
                         JsonTypeName(*v));
  }
  if (v->empty()) return r.Problem("vmTypes", "must name at least one instance type");
  const std::string base = r.path() + ".vmTypes";
  for (const std::string& type : KeyOrder(*v, OrderedChild(ordered, "vmTypes"))) {
    const json& weight = v->at(type);
    const std::string path = base + "." + type;
    if (!IsInstanceType(type)) {
      problems.push_back({path, "is not an instance type name such as c5.large"});
      continue;
    }
    if (!weight.is_number() || !std::isfinite(weight.get<double>()) ||
        !(weight.get<double>() > 0)) {
      problems.push_back({path, "the weight must be a number above 0, got " + weight.dump()});
      continue;
    }
    t.vm_types.emplace_back(type, weight.get<double>());
  }
  if (!t.vm_types.empty()) t.vm_type = t.vm_types.front().first;
}

void ReadMaxSpotPrice(ObjectReader& r, Template& t) {
  const json* v = r.Raw("maxSpotPrice");
  if (v == nullptr) return;
  if (v->is_number()) {
    const double price = v->get<double>();
    if (!std::isfinite(price) || !(price > 0)) {
      return r.Problem("maxSpotPrice",
                       "must be a price above 0 (US dollars per hour), got " + v->dump());
    }
    t.max_spot_price = v->dump();
  } else if (v->is_string()) {
    const auto& text = v->get_ref<const std::string&>();
    if (!ParsePositiveDecimal(text)) {
      return r.Problem(
          "maxSpotPrice",
          "must be a price above 0 (US dollars per hour) such as \"0.05\", got " + Quoted(text));
    }
    t.max_spot_price = text;
  } else {
    r.Problem("maxSpotPrice", "must be a string or a number, got " + JsonTypeName(*v));
  }
}

void ReadInteger(ObjectReader& r, std::string_view key, int min, int max, std::optional<int>& out) {
  std::optional<int> n;
  r.Int(key, n);
  if (!n) return;
  if (*n < min || *n > max) {
    return r.Problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + std::to_string(*n));
  }
  out = n;
}

// ---- One template ----

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

Template ReadTemplate(const json& value, const ordered_json* ordered, std::size_t index,
                      std::vector<ConfigProblem>& problems) {
  Template t;
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

  // Scalars and structures, each checked on its own.
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
  ReadInteger(r, "maxNumber", -1, kMaxNumberLimit, max_number);
  if (max_number) t.max_number = *max_number;
  ReadAttributes(r, ordered, t, problems);

  std::optional<std::string> image_id;
  r.String("imageId", image_id);
  if (image_id) {
    if (IsResourceId(*image_id, "ami-")) {
      t.image_id = *image_id;
    } else {
      r.Problem(
          "imageId",
          "must be an AMI id such as ami-0123456789abcdef0, got " + Quoted(*image_id) +
              " (for an SSM parameter, use a launch template whose ImageId is resolve:ssm:...)");
    }
  }
  std::optional<std::string> launch_template_id;
  r.String("launchTemplateId", launch_template_id);
  if (launch_template_id) {
    if (IsResourceId(*launch_template_id, "lt-")) {
      t.launch_template_id = *launch_template_id;
    } else {
      r.Problem("launchTemplateId",
                "must be a launch template id such as lt-0123456789abcdef0, got " +
                    Quoted(*launch_template_id));
    }
  }
  t.subnet_ids = ReadIdList(r, "subnetId", "subnet-", /*allow_single_string=*/true,
                            /*allow_empty=*/false, problems);
  t.security_group_ids = ReadIdList(r, "securityGroupIds", "sg-", /*allow_single_string=*/false,
                                    /*allow_empty=*/true, problems);

  std::optional<std::string> vm_type;
  r.String("vmType", vm_type);
  if (vm_type) {
    if (IsInstanceType(*vm_type)) {
      t.vm_type = *vm_type;
    } else {
      r.Problem("vmType",
                "must be an instance type name such as c5.large, got " + Quoted(*vm_type));
    }
  }
  ReadVmTypes(r, ordered, t, problems);

  const std::optional<PriceType> price_type = ReadEnum(r, "priceType", kPriceTypes);
  if (price_type) t.price_type = *price_type;
  const std::optional<ProviderApi> api = ReadEnum(r, "providerApi", kProviderApis);
  if (api) t.provider_api = *api;
  const std::optional<FleetType> fleet_type = ReadEnum(r, "fleetType", kFleetTypes);
  if (fleet_type) t.fleet_type = *fleet_type;

  ReadMaxSpotPrice(r, t);
  std::optional<std::string> key_name;
  r.String("keyName", key_name);
  if (key_name) {
    if (key_name->empty() || key_name->size() > kMaxKeyName) {
      r.Problem("keyName", "must be 1 to 255 characters, got " + Quoted(*key_name));
    } else {
      t.key_name = *key_name;
    }
  }
  std::optional<std::string> tags;
  r.String("instanceTags", tags);
  if (tags) {
    std::vector<std::string> tag_problems;
    t.instance_tags = ParseInstanceTags(*tags, tag_problems);
    for (std::string& p : tag_problems) r.Problem("instanceTags", std::move(p));
  }
  std::optional<std::string> profile;
  r.String("instanceProfile", profile);
  if (profile) {
    const bool arn = profile->starts_with("arn:");
    const bool ok =
        arn ? profile->find(":instance-profile/") != std::string::npos
            : !profile->empty() && profile->size() <= 128 &&
                  std::all_of(profile->begin(), profile->end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                           std::string_view("+=,.@_-").find(c) != std::string_view::npos;
                  });
    if (ok) {
      t.instance_profile = *profile;
    } else {
      r.Problem("instanceProfile",
                "must be an instance profile name or ARN "
                "(arn:aws:iam::123456789012:instance-profile/NAME), got " +
                    Quoted(*profile));
    }
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
  ReadInteger(r, "rootDeviceVolumeSize", 1, kMaxRootVolumeGib, t.root_device_volume_size);
  std::optional<std::string> volume_type;
  r.String("volumeType", volume_type);
  if (volume_type) {
    if (*volume_type == "gp2" || *volume_type == "gp3" || *volume_type == "standard") {
      t.volume_type = *volume_type;
    } else if (*volume_type == "io1" || *volume_type == "io2") {
      r.Problem("volumeType",
                *volume_type +
                    " needs iops, which templates do not set; use gp3, or a launch template that "
                    "sets the volume");
    } else {
      r.Problem("volumeType", "must be gp2, gp3 or standard, got " + Quoted(*volume_type));
    }
  }
  std::optional<std::string> fleet_role;
  r.String("fleetRole", fleet_role);
  if (fleet_role) {
    if (fleet_role->starts_with("arn:") && fleet_role->find(":iam::") != std::string::npos &&
        fleet_role->find(":role/") != std::string::npos) {
      t.fleet_role = *fleet_role;
    } else {
      r.Problem("fleetRole",
                "must be an IAM role ARN such as "
                "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role, "
                "got " +
                    Quoted(*fleet_role));
    }
  }
  std::optional<std::string> strategy;
  r.String("allocationStrategy", strategy);
  ReadInteger(r, "spotFleetRequestExpiry", 1, kMaxExpiryMinutes, t.spot_fleet_request_expiry);
  ReadInteger(r, "percentOnDemand", 0, 100, t.percent_on_demand);

  for (const auto& [field, advice] : kUnsupportedFields) {
    if (!r.Has(field)) continue;
    (void)r.Raw(field);
    r.Problem(field,
              "is an IBM AWS plugin field that ohfp does not support: " + std::string(advice));
  }
  // HostFactory needs ncpus and nram. Without them in the file ohfp reads them from the instance
  // type, so a template that names no instance type (a launch template alone) must give them.
  if (t.vm_type.empty()) {
    for (std::string_view required : {"ncpus", "nram"}) {
      if (t.FindAttribute(required) == nullptr) {
        r.Problem("attributes",
                  "must give " + std::string(required) +
                      " (e.g. [\"Numeric\", \"2\"]) when the template names "
                      "no vmType: ohfp reads ncpus and nram from the instance type otherwise");
      }
    }
  }
  r.Finish();

  // Combinations. A field whose value was rejected above still counts as set; checks that depend on
  // providerApi or priceType run only when those were valid (or absent, hence their defaults).
  const bool api_known = api || !r.Has("providerApi");
  const bool price_known = price_type || !r.Has("priceType");
  const std::string_view api_name = ProviderApiName(t.provider_api);
  const std::string_view price_name = PriceTypeName(t.price_type);

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
  if (api_known) {
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
                "EC2Fleet, "
                "SpotFleet or ASG");
    }
    if (spot_fleet && !r.Has("fleetRole")) {
      r.Problem("fleetRole",
                "is required by SpotFleet: the ARN of the IAM role Spot Fleet launches and "
                "terminates instances with");
    }
    if (!spot_fleet && r.Has("fleetRole")) {
      r.Problem("fleetRole", "is used by SpotFleet only; " + std::string(api_name) +
                                 " does not take a fleet role");
    }
    if (!spot_fleet && r.Has("spotFleetRequestExpiry")) {
      r.Problem("spotFleetRequestExpiry",
                "applies to SpotFleet only, not " + std::string(api_name));
    }
    if (t.provider_api == ProviderApi::kAsg) {
      if (!r.Has("subnetId")) {
        r.Problem(
            "subnetId",
            "is required by ASG: an Auto Scaling group launches into the subnets listed here");
      }
      for (const auto& [type, weight] : t.vm_types) {
        if (weight != std::floor(weight) || weight < 1 || weight > 999) {
          r.Problem("vmTypes",
                    "ASG weights are whole numbers from 1 to 999 (Auto Scaling "
                    "WeightedCapacity); " +
                        type + " has " + FormatWeight(weight));
        }
      }
    }
    if (r.Has("fleetType")) {
      if (run_instances || t.provider_api == ProviderApi::kAsg) {
        r.Problem("fleetType", "applies to EC2Fleet and SpotFleet only; " + std::string(api_name) +
                                   " has no fleet type");
      } else if (spot_fleet && fleet_type == FleetType::kInstant) {
        r.Problem(
            "fleetType",
            "SpotFleet has no instant type; use request or maintain (or EC2Fleet for instant)");
      }
    }
    if (strategy) {
      std::optional<Strategy> found;
      for (const Strategy& s : kStrategies) {
        if (*strategy == s.name || *strategy == s.camel) found = s;
      }
      const bool on_demand = t.price_type == PriceType::kOnDemand;
      const bool asg = t.provider_api == ProviderApi::kAsg;
      auto allowed = [&](const Strategy& s) {
        if (on_demand) return s.on_demand;
        return s.spot && (!asg || s.asg_spot);
      };
      if (run_instances) {
        r.Problem("allocationStrategy",
                  "RunInstances has no allocation strategy; use EC2Fleet, SpotFleet or ASG");
      } else if (price_known) {
        if (found && allowed(*found)) {
          t.allocation_strategy = std::string(found->name);
        } else {
          std::vector<std::string_view> names;
          for (const Strategy& s : kStrategies) {
            if (allowed(s)) names.push_back(spot_fleet ? s.camel : s.name);
          }
          r.Problem("allocationStrategy", "with " + std::string(api_name) + " and priceType " +
                                              std::string(price_name) + " must be " + OneOf(names) +
                                              ", got " + Quoted(*strategy));
        }
      }
    }
  }
  if (price_known) {
    const bool heterogeneous = t.price_type == PriceType::kHeterogeneous;
    if (r.Has("percentOnDemand") && !heterogeneous) {
      r.Problem("percentOnDemand",
                "applies to priceType heterogeneous only; priceType is " + std::string(price_name));
    }
    if (heterogeneous && !r.Has("percentOnDemand") &&
        !(api_known && t.provider_api == ProviderApi::kRunInstances)) {
      r.Problem("percentOnDemand",
                "is required with priceType heterogeneous: the percentage (0 to 100) of the "
                "capacity to launch "
                "on-demand");
    }
    if (t.price_type == PriceType::kOnDemand && r.Has("maxSpotPrice")) {
      r.Problem("maxSpotPrice", "applies to spot capacity only; priceType is ondemand");
    }
  }
  return t;
}

TemplateSet ReadTemplateSet(const json& value, const ordered_json* ordered,
                            std::vector<ConfigProblem>& problems) {
  TemplateSet set;
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
  const ordered_json* ordered_list = OrderedChild(ordered, "templates");
  if (ordered_list != nullptr &&
      (!ordered_list->is_array() || ordered_list->size() != list->size())) {
    ordered_list = nullptr;
  }
  std::map<std::string, std::size_t, std::less<>> first_index;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const ordered_json* ordered_template = ordered_list != nullptr ? &(*ordered_list)[i] : nullptr;
    Template t = ReadTemplate((*list)[i], ordered_template, i, problems);
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

}  // namespace

std::string_view ProviderApiName(ProviderApi api) noexcept {
  switch (api) {
    case ProviderApi::kRunInstances:
      return "RunInstances";
    case ProviderApi::kEc2Fleet:
      return "EC2Fleet";
    case ProviderApi::kSpotFleet:
      return "SpotFleet";
    case ProviderApi::kAsg:
      return "ASG";
  }
  return "RunInstances";
}

std::string_view PriceTypeName(PriceType type) noexcept {
  switch (type) {
    case PriceType::kOnDemand:
      return "ondemand";
    case PriceType::kSpot:
      return "spot";
    case PriceType::kHeterogeneous:
      return "heterogeneous";
  }
  return "ondemand";
}

std::string_view FleetTypeName(FleetType type) noexcept {
  switch (type) {
    case FleetType::kInstant:
      return "instant";
    case FleetType::kRequest:
      return "request";
    case FleetType::kMaintain:
      return "maintain";
  }
  return "request";
}

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

TemplateSet ReadTemplates(const nlohmann::json& value, std::vector<ConfigProblem>& problems) {
  return ReadTemplateSet(value, nullptr, problems);
}

resilience::Result<TemplateSet> LoadTemplates(const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(file, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return Error(ErrorKind::kValidation, "missing_templates",
                 aws::ValidUtf8(file.string()) +
                     ": not found: HostFactory needs its templates (awsprov_templates.json in "
                     "HF_PROVIDER_CONFDIR)");
  }
  std::vector<ConfigProblem> problems;
  TemplateSet set;
  if (ec) {
    problems.push_back({"", "cannot read the file: " + ec.message()});
  } else if (std::filesystem::is_directory(status)) {
    problems.push_back({"", "is a directory, not a templates file"});
  } else {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) {
      problems.push_back({"", "cannot read the file"});
    } else {
      // Parsed twice: nlohmann::json for the reads, ordered_json for the order of attributes and
      // vmTypes (the order of vmTypes is the instance types' priority).
      const std::string content = text.str();
      resilience::Result<json> value = config::ParseJsonText(content);
      resilience::Result<ordered_json> ordered = config::ParseOrderedJsonText(content);
      if (value.ok() && ordered.ok()) {
        set = ReadTemplateSet(*value, &*ordered, problems);
      } else {
        problems.push_back(
            {"", std::string((value.ok() ? ordered.error() : value.error()).message())});
      }
    }
  }
  if (!problems.empty()) {
    std::string message = file.string() + ": " + std::to_string(problems.size()) + " problem(s):";
    for (const ConfigProblem& p : problems) {
      message += "\n  ";
      message += config::FormatProblems({p});
    }
    return Error(ErrorKind::kValidation, "invalid_templates", aws::ValidUtf8(message));
  }
  return set;
}

nlohmann::ordered_json HostFactoryTemplateJson(const Template& t, int available_number) {
  ordered_json j;
  j["templateId"] = t.template_id;
  j["maxNumber"] = t.max_number;
  j["availableNumber"] = available_number;
  ordered_json attributes = ordered_json::object();
  for (const Attribute& a : t.attributes)
    attributes[a.name] = ordered_json::array({a.type, a.value});
  j["attributes"] = std::move(attributes);
  if (!t.image_id.empty()) j["imageId"] = t.image_id;
  if (!t.launch_template_id.empty()) j["launchTemplateId"] = t.launch_template_id;
  if (!t.vm_types.empty()) {
    ordered_json types = ordered_json::object();
    for (const auto& [type, weight] : t.vm_types) types[type] = weight;
    j["vmTypes"] = std::move(types);
  } else if (!t.vm_type.empty()) {
    j["vmType"] = t.vm_type;
  }
  j["priceType"] = PriceTypeName(t.price_type);
  j["providerApi"] = ProviderApiName(t.provider_api);
  if (t.provider_api == ProviderApi::kEc2Fleet || t.provider_api == ProviderApi::kSpotFleet) {
    j["fleetType"] = FleetTypeName(t.fleet_type);
  }
  if (t.subnet_ids.size() == 1) {
    j["subnetId"] = t.subnet_ids.front();
  } else if (!t.subnet_ids.empty()) {
    j["subnetId"] = t.subnet_ids;
  }
  if (!t.security_group_ids.empty()) j["securityGroupIds"] = t.security_group_ids;
  if (!t.key_name.empty()) j["keyName"] = t.key_name;
  if (!t.instance_tags.empty()) {
    std::string tags;
    for (const auto& [k, v] : t.instance_tags) tags += (tags.empty() ? "" : ";") + k + "=" + v;
    j["instanceTags"] = tags;
  }
  if (!t.instance_profile.empty()) j["instanceProfile"] = t.instance_profile;
  if (!t.user_data_script.empty()) j["userDataScript"] = t.user_data_script;
  if (t.root_device_volume_size) j["rootDeviceVolumeSize"] = *t.root_device_volume_size;
  if (!t.volume_type.empty()) j["volumeType"] = t.volume_type;
  if (!t.max_spot_price.empty()) j["maxSpotPrice"] = t.max_spot_price;
  if (t.percent_on_demand) j["percentOnDemand"] = *t.percent_on_demand;
  if (!t.allocation_strategy.empty()) j["allocationStrategy"] = t.allocation_strategy;
  if (!t.fleet_role.empty()) j["fleetRole"] = t.fleet_role;
  if (t.spot_fleet_request_expiry) j["spotFleetRequestExpiry"] = *t.spot_fleet_request_expiry;
  return j;
}

}  // namespace ohfp::hostfactory
