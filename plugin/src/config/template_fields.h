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
void ReadVmTypes(ObjectReader& r, const nlohmann::ordered_json* ordered, model::Template& t,
                 std::vector<ConfigProblem>& problems);
void ReadMaxSpotPrice(ObjectReader& r, model::Template& t);
void ReadInteger(ObjectReader& r, std::string_view key, int min, int max, std::optional<int>& out);

}  // namespace ohfp::config::internal
