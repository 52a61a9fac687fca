// src/json_validator.h (internal to the chaos proxy library)
//
// JsonValidator walks a JSON document and collects every problem, with its JSON path, instead of
// stopping at the first: the rules document (rules.cc) and its throttling section
// (throttling_config.cc) are validated with it, so both report errors in one style
// ("$.rules[1].probability: must be between 0 and 1, got 1.5").
//
// Thread-safety: one validator per document, used from one thread.
//
// Example:
//   std::vector<ConfigError> errors;
//   JsonValidator v(errors);
//   v.CheckKeys(object, "$.throttling", {"model", "scale"});
//   std::optional<double> scale = v.Number(object, "scale", "$.throttling", 0, 1000, "...");
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/chaos_proxy/rules.h"

namespace ohfp::chaos_proxy::internal {

inline std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

inline std::string JoinNames(const auto& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

inline bool Contains(const auto& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class JsonValidator {
 public:
  using json = nlohmann::json;

  explicit JsonValidator(std::vector<ConfigError>& errors) : errors_(errors) {}

  void Report(std::string path, std::string message) {
    errors_.push_back(ConfigError{std::move(path), std::move(message)});
  }
  std::size_t error_count() const noexcept { return errors_.size(); }

  // number_float stands for "any number".
  bool ExpectType(const json& value, json::value_t type, const std::string& path,
                  std::string_view what) {
    const bool ok = type == json::value_t::number_float ? value.is_number() : value.type() == type;
    if (!ok) Report(path, "must be " + std::string(what) + ", got " + value.type_name());
    return ok;
  }

  // Reports every key of `object` that is not in `allowed`.
  void CheckKeys(const json& object, const std::string& path,
                 const std::vector<std::string_view>& allowed) {
    for (const auto& [key, value] : object.items()) {
      if (!Contains(allowed, key)) {
        Report(path + "." + key, "unknown key (allowed: " + JoinNames(allowed) + ")");
      }
    }
  }

  std::optional<std::string> String(const json& object, std::string_view key,
                                    const std::string& path, bool required, bool non_empty) {
    const auto it = object.find(key);
    const std::string key_path = path + "." + std::string(key);
    if (it == object.end()) {
      if (required) Report(key_path, "is required");
      return std::nullopt;
    }
    if (!ExpectType(*it, json::value_t::string, key_path, "a string")) return std::nullopt;
    auto value = it->get<std::string>();
    if (non_empty && value.empty()) {
      Report(key_path, "must not be empty");
      return std::nullopt;
    }
    return value;
  }

  // An optional number in [min, max]; `range_text` completes "must be ...".
  std::optional<double> Number(const json& object, std::string_view key, const std::string& path,
                               double min, double max, std::string_view range_text) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    const std::string key_path = path + "." + std::string(key);
    if (!ExpectType(*it, json::value_t::number_float, key_path, "a number")) return std::nullopt;
    const double value = it->get<double>();
    if (!std::isfinite(value) || value < min || value > max) {
      Report(key_path, "must be " + std::string(range_text) + ", got " + it->dump());
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> Integer(const json& object, std::string_view key,
                                      const std::string& path, bool required, std::int64_t min,
                                      std::int64_t max) {
    const auto it = object.find(key);
    const std::string key_path = path + "." + std::string(key);
    if (it == object.end()) {
      if (required) Report(key_path, "is required");
      return std::nullopt;
    }
    if (!it->is_number_integer()) {
      Report(key_path,
             std::string("must be an integer, got ") +
                 (it->is_number() ? "a fractional number " + it->dump() : it->type_name()));
      return std::nullopt;
    }
    const bool in_range = it->is_number_unsigned()
                              ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                                    static_cast<std::int64_t>(it->get<std::uint64_t>()) >= min
                              : it->get<std::int64_t>() >= min && it->get<std::int64_t>() <= max;
    if (!in_range) {
      const std::string range =
          max == std::numeric_limits<std::int64_t>::max()
              ? "an integer >= " + std::to_string(min)
              : "between " + std::to_string(min) + " and " + std::to_string(max);
      Report(key_path, "must be " + range + ", got " + it->dump());
      return std::nullopt;
    }
    return it->get<std::int64_t>();
  }

 private:
  std::vector<ConfigError>& errors_;
};

}  // namespace ohfp::chaos_proxy::internal
