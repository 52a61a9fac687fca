// The template fields that say what each instance is launched with, and how a fleet or group
// shares its capacity (config/template_fields.h, ReadLaunchSettings and ReadFleetSettings).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "base/strings.h"
#include "config/template_fields.h"

namespace ohfp::config::internal {
namespace {

using base::Quoted;
using nlohmann::json;

constexpr std::size_t kMaxUserDataBytes = 16 * 1024;  // EC2's limit, before base64
constexpr std::size_t kMaxPlacementGroup = 255;
constexpr int kMaxIops = 256000;          // io2's maximum (EBS)
constexpr int kMinThroughput = 125;       // gp3, MiB/s
constexpr int kMaxThroughput = 1000;      // gp3, MiB/s
constexpr int kMaxOnDemandBase = 100000;  // at most a request's machine count anyway
constexpr int kMaxPools = 1000;

constexpr std::array<std::string_view, 5> kVolumeTypes = {"gp2", "gp3", "io1", "io2", "standard"};

// maxSpotPrice, or spotPrice (the name IBM's LSF templates use for the same thing).
void ReadPrices(ObjectReader& r, model::Template& t) {
  const std::optional<std::string> max = ReadPrice(r, "maxSpotPrice");
  const std::optional<std::string> alias = ReadPrice(r, "spotPrice");
  if (max && alias && ParsePositiveDecimal(*max) != ParsePositiveDecimal(*alias)) {
    r.Problem("spotPrice",
              "is another name for maxSpotPrice, which says " + Quoted(*max) + "; set one of them");
    return;
  }
  if (max) {
    t.max_spot_price = *max;
  } else if (alias) {
    t.max_spot_price = *alias;
  }
}

void ReadUserData(ObjectReader& r, model::Template& t) {
  std::optional<std::string> script;
  r.String("userDataScript", script);
  if (script) {
    if (script->empty()) {
      r.Problem("userDataScript",
                "must be a path to a script (absolute, or relative to the configuration "
                "directory), got an empty string");
    } else {
      t.user_data_script = *script;
    }
  }
  std::optional<std::string> data;
  r.String("userData", data);
  if (data) {
    if (data->empty()) {
      r.Problem("userData", "must not be empty (leave it out for no user data)");
    } else if (data->size() > kMaxUserDataBytes) {
      r.Problem("userData", "is " + std::to_string(data->size()) +
                                " bytes; EC2 takes at most 16384 bytes of user data");
    } else {
      t.user_data = *data;
    }
  }
  if (r.Has("userData") && r.Has("userDataScript")) {
    r.Problem("userData",
              "set userData (the data itself) or userDataScript (a file holding it), not both");
  }
}

void ReadVolume(ObjectReader& r, model::Template& t) {
  ReadInteger(r, "rootDeviceVolumeSize", 1, kMaxRootVolumeGib, t.root_device_volume_size);
  std::optional<std::string> volume_type;
  r.String("volumeType", volume_type);
  if (volume_type) {
    if (std::find(kVolumeTypes.begin(), kVolumeTypes.end(), *volume_type) != kVolumeTypes.end()) {
      t.volume_type = *volume_type;
    } else {
      r.Problem("volumeType",
                "must be gp2, gp3, io1, io2 or standard, got " + Quoted(*volume_type));
    }
  }
  // Ranges per volume type: CheckCombinations.
  ReadInteger(r, "iops", 100, kMaxIops, t.iops);
  ReadInteger(r, "volumeThroughput", kMinThroughput, kMaxThroughput, t.volume_throughput);
}

void ReadPlacementGroup(ObjectReader& r, model::Template& t) {
  std::optional<std::string> name;
  std::optional<std::string> alias;
  r.String("placementGroupName", name);
  r.String("pgrpName", alias);
  for (const auto& [key, value] : {std::pair{"placementGroupName", &name}, {"pgrpName", &alias}}) {
    if (*value && ((*value)->empty() || (*value)->size() > kMaxPlacementGroup)) {
      r.Problem(key,
                "must be a placement group name of 1 to 255 characters, got " + Quoted(**value));
      value->reset();
    }
  }
  if (name && alias && *name != *alias) {
    r.Problem("pgrpName", "is another name for placementGroupName, which says " + Quoted(*name) +
                              "; set one of them");
    return;
  }
  t.placement_group = name ? *name : alias.value_or("");
}

void ReadTenancy(ObjectReader& r, model::Template& t) {
  std::optional<std::string> tenancy;
  r.String("tenancy", tenancy);
  if (!tenancy) return;
  if (std::optional<model::Tenancy> found = model::TenancyFromName(*tenancy)) {
    t.tenancy = found;
    return;
  }
  std::string message = "must be default, dedicated or host, got " + Quoted(*tenancy);
  for (std::string_view name : {"default", "dedicated", "host"}) {
    if (base::EqualsIgnoringCase(name, *tenancy)) {
      message += " (names are case-sensitive: did you mean " + Quoted(name) + "?)";
    }
  }
  r.Problem("tenancy", message);
}

// "$Default", "$Latest" or a version number (a string of digits, or an integer).
void ReadLaunchTemplateVersion(ObjectReader& r, model::Template& t) {
  const json* v = r.Raw("launchTemplateVersion");
  if (v == nullptr) return;
  std::string text;
  if (v->is_number_integer() && v->get<std::int64_t>() > 0) {
    text = v->dump();
  } else if (v->is_string()) {
    text = v->get<std::string>();
  }
  const bool number = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
                      text.find_first_not_of('0') != std::string::npos;
  if (text == "$Default" || text == "$Latest" || number) {
    t.launch_template_version = text;
    return;
  }
  r.Problem("launchTemplateVersion",
            "must be \"$Default\", \"$Latest\" or a version number such as 3, got " + v->dump());
}

}  // namespace

void ReadLaunchSettings(ObjectReader& r, model::Template& t) {
  ReadPrices(r, t);
  std::optional<std::string> tags;
  r.String("instanceTags", tags);
  if (tags) {
    std::vector<std::string> tag_problems;
    t.instance_tags = ParseInstanceTags(*tags, tag_problems);
    for (std::string& p : tag_problems) r.Problem("instanceTags", std::move(p));
  }
  ReadUserData(r, t);
  ReadVolume(r, t);
  t.ebs_optimized = ReadFlag(r, "ebsOptimized");
  ReadPlacementGroup(r, t);
  ReadTenancy(r, t);
  ReadLaunchTemplateVersion(r, t);
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
  ReadInteger(r, "spotFleetRequestExpiry", 1, kMaxExpiryMinutes, t.spot_fleet_request_expiry);
  ReadInteger(r, "percentOnDemand", 0, 100, t.percent_on_demand);
  ReadInteger(r, "onDemandCapacity", 0, kMaxOnDemandBase, t.on_demand_base);
  ReadInteger(r, "poolsCount", 1, kMaxPools, t.pools_count);
}

}  // namespace ohfp::config::internal
