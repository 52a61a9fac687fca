// config/template_fields.h
//
// The field readers and value checks behind config/templates_file.h: identifiers (template ids,
// AWS resource ids, instance types), numbers as HostFactory writes them, instance tags, and the
// structured fields (attributes, id lists, vmTypes, maxSpotPrice). Each reports its problems with
// the field's JSON path and stores only valid values. Private to the config layer.
//
// Thread-safety: stateless functions.
//
// Example:
//   ReadAttributes(reader, ordered, t, problems);
//   t.subnet_ids = ReadIdList(reader, "subnetId", "subnet-", true, false, problems);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/json_reader.h"
#include "model/template.h"

namespace ohfp::config::internal {

inline constexpr std::size_t kMaxTemplateId = 64;
inline constexpr int kMaxNumberLimit = 10000;            // IBM's maximum for maxNumber
inline constexpr int kMaxRootVolumeGib = 16384;          // 16 TiB, EBS's maximum
inline constexpr int kMaxExpiryMinutes = 365 * 24 * 60;  // one year
inline constexpr std::size_t kMaxTagKey = 128;
inline constexpr std::size_t kMaxTagValue = 256;
inline constexpr std::size_t kMaxKeyName = 255;

bool IsValidTemplateId(std::string_view id);
// "subnet-0123abcd": the prefix and at least 8 lowercase hex digits (AWS uses 8 or 17).
bool IsResourceId(std::string_view s, std::string_view prefix);
// "c5.large", "u-6tb1.metal": a family and a size.
bool IsInstanceType(std::string_view s);
// An SSM parameter name (or path), optionally with ":version" or ":label": 1 to 2048 characters of
// A-Z a-z 0-9 _ . - / and one ':' before a version or label.
bool IsParameterName(std::string_view s);
// "2", "-1", "0.5": what a Numeric attribute holds.
bool IsDecimal(std::string_view s);
// A whole number above 0 written as digits ("2", "4096").
bool IsPositiveWholeNumber(std::string_view s);
std::optional<double> ParsePositiveDecimal(std::string_view s);
// "k=v;k2=v2" (spaces around keys and values are dropped; empty pairs are skipped).
std::vector<std::pair<std::string, std::string>> ParseInstanceTags(
    std::string_view text, std::vector<std::string>& problems);

// The keys of object `value` in file order when `ordered` (the same object, order kept) is given.
std::vector<std::string> KeyOrder(const nlohmann::json& value,
                                  const nlohmann::ordered_json* ordered);
const nlohmann::ordered_json* OrderedChild(const nlohmann::ordered_json* ordered,
                                           std::string_view key);

void ReadAttributes(ObjectReader& r, const nlohmann::ordered_json* ordered, model::Template& t,
                    std::vector<ConfigProblem>& problems);
// A string, or a non-empty list of strings, each a resource id with `prefix`.
std::vector<std::string> ReadIdList(ObjectReader& r, std::string_view key, std::string_view prefix,
                                    bool allow_single_string, bool allow_empty,
                                    std::vector<ConfigProblem>& problems);
// An object of instance type -> number in file order: weights (above 0) or, with `allow_zero`,
// priorities (0 or more).
std::vector<std::pair<std::string, double>> ReadTypeNumbers(ObjectReader& r, std::string_view key,
                                                            const nlohmann::ordered_json* ordered,
                                                            bool allow_zero,
                                                            std::vector<ConfigProblem>& problems);
// vmTypes (vm_type is its first), vmTypesOnDemand and vmTypesPriority.
void ReadVmTypes(ObjectReader& r, const nlohmann::ordered_json* ordered, model::Template& t,
                 std::vector<ConfigProblem>& problems);
// A price above 0, a string or a number, as written; nullopt when absent or bad (reported).
std::optional<std::string> ReadPrice(ObjectReader& r, std::string_view key);
// true/false, or the strings "true"/"false" (any case) as IBM's files write them.
std::optional<bool> ReadFlag(ObjectReader& r, std::string_view key);
void ReadInteger(ObjectReader& r, std::string_view key, int min, int max, std::optional<int>& out);

// ---- the parts of one template (templates_file.cc reads them in this order) ----

// What was read of the enumerated fields: nullopt when absent or invalid (r.Has() tells which).
struct Choices {
  std::optional<model::PriceType> price_type;
  std::optional<model::ProviderApi> api;
  std::optional<model::FleetType> fleet_type;
  std::optional<std::string> strategy;            // allocationStrategy as written
  std::optional<std::string> on_demand_strategy;  // allocationStrategyOnDemand as written
  bool price_implied = false;  // priceType absent, implied by interruptible or spotPrice
};

// template_launch.cc: what each instance is launched with — prices (maxSpotPrice, spotPrice),
// instanceTags, user data (userDataScript, userData), the root volume (rootDeviceVolumeSize,
// volumeType, iops, volumeThroughput), ebsOptimized, placement (placementGroupName, pgrpName,
// tenancy) and launchTemplateVersion.
void ReadLaunchSettings(ObjectReader& r, model::Template& t);
// template_launch.cc: how a fleet or group shares capacity — fleetRole, spotFleetRequestExpiry,
// percentOnDemand, onDemandCapacity, poolsCount.
void ReadFleetSettings(ObjectReader& r, model::Template& t);
// template_checks.cc: every rule that ties fields together (configuration.md, "Combinations"),
// after every field was read. Sets the strategies and IBM's defaults.
void CheckCombinations(ObjectReader& r, model::Template& t, const Choices& c);

}  // namespace ohfp::config::internal
