// config/value_checks.h
//
// The checks config.json's readers and the IBM keys' setters share (config/plugin_config.cc,
// config/ibm_keys.cc): ranges, regions, endpoint URLs, proxies, tags, CloudWatch namespaces, log
// levels, integers as JSON or text. Each check returns the problem's message, or nullopt when the
// value is fine. Private to the config layer.
//
// Thread-safety: constants and stateless functions.
//
// Example:
//   if (std::optional<std::string> p = RegionProblem("us-east")) r.Problem("region", *p);
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/json_reader.h"
#include "config/plugin_config.h"

namespace ohfp::config::internal {

// ---- Ranges (docs/configuration.md lists the same numbers) ----
inline constexpr std::int64_t kMaxConnectionTimeoutMs = 2147483647;  // the IBM plugin's maximum
inline constexpr std::int64_t kMaxPendingTimeoutSec = 86400;         // one day
inline constexpr std::int64_t kMaxFleetTimeoutSec = 7 * 86400;       // one week
inline constexpr std::int64_t kMaxBusyTimeoutMs = 3600 * 1000;       // one hour
inline constexpr std::uint64_t kMinLogBytes = 1024;
inline constexpr std::uint64_t kMaxLogBytes = std::uint64_t{1} << 40;  // 1 TiB
inline constexpr int kMaxLogFiles = 1000;

// The services a per-service endpoint may name (aws/endpoints.h's signing names).
inline constexpr std::array<std::string_view, 4> kEndpointServices = {"autoscaling", "ec2",
                                                                      "monitoring", "ssm"};
// The per-service endpoint variables ResolveEndpoint reads; validated with the configuration so a
// bad one is reported with the rest.
inline constexpr std::array<std::string_view, 4> kEndpointVariables = {
    "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_AUTO_SCALING", "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ENDPOINT_URL_SSM"};

// A JSON string literal for messages; bytes that are not UTF-8 (environment values may hold any)
// become U+FFFD.
std::string Quoted(std::string_view s);
// Whether nlohmann::json can write `s` (strict UTF-8).
bool IsValidUtf8(std::string_view s);

// The canonical name of a log level (plain names and HostFactory's LOG_* names, any case); the
// same list as logging::ParseLogLevel (plugin_config_test.cc checks every name).
std::optional<std::string_view> CanonicalLogLevel(std::string_view name);
// Stores the canonical level of `text`, or returns the problem.
std::optional<std::string> SetLogLevel(LoggingConfig& logging, const std::string& text);

std::optional<std::string> RangeProblem(std::int64_t value, std::int64_t min, std::int64_t max);
std::optional<std::string> RegionProblem(std::string_view region);
std::optional<std::string> UrlProblem(std::string_view url);
std::optional<std::string> ProxyHostProblem(std::string_view host);
std::optional<std::string> TagProblem(std::string_view key, std::string_view value);
std::optional<std::string> NamespaceProblem(std::string_view ns);

// A whole decimal number (an environment value, or an IBM key written as a string).
std::optional<std::int64_t> ParseInteger(std::string_view text);
// A JSON integer within [min, max], or `problem` says why not.
std::optional<std::int64_t> IntegerFromJson(const nlohmann::json& v, std::int64_t min,
                                            std::int64_t max, std::string& problem);
// Integer `key` of `r` within [min, max]; nullopt when absent or bad (the problem is reported).
std::optional<std::int64_t> ReadInteger(ObjectReader& r, std::string_view key, std::int64_t min,
                                        std::int64_t max);
// A string key that must hold a non-empty value when present.
void ReadNonEmptyString(ObjectReader& r, std::string_view key, std::string& out);

}  // namespace ohfp::config::internal
