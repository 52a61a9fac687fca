// config/ibm_keys.h
//
// The keys of IBM's AWS provider configuration (<provider>prov_config.json, IBM Spectrum Symphony
// 7.3.2's "awsprov_config.json reference"), each honoured or mapped onto ohfp's setting, or — the
// one ohfp cannot honour, AWS_KEY_FILE — a warning that names it:
//
//   AWS_REGION, AWS_CREDENTIAL_FILE, AWS_ENDPOINT_URL,  provider.region, .credential_file,
//   AWS_PROXY_HOST, AWS_PROXY_PORT,                     .endpoint_url, .proxy_host, .proxy_port,
//   AWS_CONNECTION_TIMEOUT_MS,                          .connection_timeout_ms,
//   AWS_INSTANCE_PENDING_TIMEOUT_SEC                    .instance_pending_timeout_sec
//   AWS_REQUEST_RETRY_ATTEMPTS N                        resilience.retry.default_max_attempts
//                                                       = (N + 1) x 4
//   AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS N               the describe operations' max_attempts
//                                                       = (N + 1) x 4
//   AWS_DESCRIBE_REQUEST_INTERVAL ms                    the describe operations' base_delay
//   ACCEPT_PROPAGATED_LOG_SETTING                       logging.accept_propagated
//   AWS_KEY_FILE                                        a warning: ohfp never connects to instances
//
// (N + 1) x 4: IBM's plugin retries a failed request N times, each time through the AWS SDK for
// Java, which makes up to 4 attempts of its own (its default of 3 retries); ohfp's pipeline is the
// only retrier. The describe operations are those that read instance status:
// kIbmDescribeOperations.
//
// The same table serves IBM's own file, the top level of config.json (where a key that the
// sections of the same file also set, differently, is a conflict) and the environment. In files,
// numbers may be integers or strings of digits, flags true/false or "true"/"false", and "" means
// unset (IBM's samples write "AWS_PROXY_HOST": ""). Private to the config layer.
//
// Thread-safety: constants and stateless functions.
//
// Example:
//   ReadIbmFile(document, config, sources, sources.File(path), problems);
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/environment.h"
#include "config/config_sources.h"
#include "config/json_reader.h"
#include "config/plugin_config.h"

namespace ohfp::config::internal {

// The operations AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS and AWS_DESCRIBE_REQUEST_INTERVAL apply to:
// those that read what a request holds.
inline constexpr std::array<std::string_view, 7> kIbmDescribeOperations = {
    "autoscaling_describe_groups",  "ec2_describe_fleet_instances",        "ec2_describe_fleets",
    "ec2_describe_instances",       "ec2_describe_spot_instance_requests", "spot_fleet_describe",
    "spot_fleet_describe_instances"};

// Every key of IBM's reference, in its order.
std::vector<std::string_view> IbmKeyNames();
bool IsIbmKey(std::string_view name);

// IBM's <provider>prov_config.json: every key applied to `config` with origin "<file> KEY"; a key
// that is not IBM's is a problem; AWS_KEY_FILE a warning.
void ReadIbmFile(const nlohmann::json& document, PluginConfig& config, ConfigSources& sources,
                 const std::string& file, std::vector<ConfigProblem>& problems);

// The IBM keys at the top level of config.json (`root` marks them known). A key whose settings the
// sections of the same file set too, to another value, is a problem ("conflicts with ...").
void ReadIbmTopLevelKeys(ObjectReader& root, PluginConfig& config, ConfigSources& sources,
                         const std::string& file);

// The IBM keys set in the environment (AWS_REGION excepted: aws::ResolveRegion reads it, with
// AWS_DEFAULT_REGION), with origin "env NAME". A bad value is a problem "env NAME".
void ApplyIbmEnvironment(PluginConfig& config, const aws::Environment& env, ConfigSources& sources,
                         std::vector<ConfigProblem>& problems);

}  // namespace ohfp::config::internal
