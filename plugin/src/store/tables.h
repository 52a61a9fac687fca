// store/tables.h
//
// The store's tables and their columns, the same on every backend (SQLite, PostgreSQL): one place
// for the column lists the backends select and insert, and for the list of tables
// `ohfp store migrate` copies from one backend to the other, in an order that respects their
// references. Values are stored alike on both: times as epoch milliseconds (launch times as epoch
// seconds, breaker times as epoch nanoseconds), states by the names model/ gives them, flags as
// 0/1, unsigned 64-bit counters as the signed 64-bit integer with the same bits.
//
// Thread-safety: constexpr data.
//
// Example:
//   "SELECT " + std::string(kRequestColumns) + " FROM requests WHERE id = ?"
#pragma once

#include <array>
#include <string_view>

namespace ohfp::store {

inline constexpr std::string_view kRequestColumns =
    "id, kind, template_id, machine_count, provider_api, state, message, created_at, updated_at, "
    "polled_at, owner_pid, owner_start, resource_id, launch_template_id, abandoned, cleaned_up_at, "
    "image_id, owner_host";
inline constexpr std::string_view kAttemptColumns =
    "request_id, number, client_token, state, error, created_at, updated_at";
inline constexpr std::string_view kMachineColumns =
    "instance_id, request_id, template_id, name, private_ip, public_ip, state, result, message, "
    "lifecycle, spot_request_id, launch_time, created_at, updated_at";
inline constexpr std::string_view kReturnColumns =
    "return_id, instance_id, name, acquire_request_id, state, result, message, updated_at";
inline constexpr std::string_view kBreakerColumns =
    "state, override_mode, failure_count, half_open_probes, generation, last_failure_ns, "
    "last_success_ns, state_changed_ns, failure_window, version";

inline constexpr std::string_view kLimiterColumns =
    "tokens, updated_ns, fill_rate, last_max_rate, last_throttle_ns, measured_rate, "
    "measure_start_ns, measure_count, version";

struct TableColumns {
  std::string_view table;
  std::string_view columns;  // comma-separated, every column
  std::string_view key;      // the primary key's columns, for a stable order
};

// The request store's tables, parents before children.
inline constexpr std::array<TableColumns, 9> kRequestTables = {{
    {"installation", "singleton, id, created_at", "singleton"},
    {"requests", kRequestColumns, "id"},
    {"attempts", kAttemptColumns, "request_id, number"},
    {"machines", kMachineColumns, "instance_id"},
    {"return_machines", kReturnColumns, "return_id, instance_id"},
    {"instance_types", "instance_type, vcpus, cores, memory_mib, fetched_at", "instance_type"},
    {"cached_values", "kind, key, value, fetched_at", "kind, key"},
    {"metric_counters", "name, labels, value", "name, labels"},
    {"sweeps", "name, last_at", "name"},
}};

// The resilience state store's tables (breakers, retry quotas, rate-limiter buckets). A new record
// type adds its table here (and a migration on each backend).
inline constexpr std::array<TableColumns, 3> kResilienceTables = {{
    {"resilience_breakers",
     "service, state, override_mode, failure_count, half_open_probes, generation, "
     "last_failure_ns, last_success_ns, state_changed_ns, failure_window, version",
     "service"},
    {"resilience_quotas", "service, tokens, version", "service"},
    {"resilience_limiters",
     "key, tokens, updated_ns, fill_rate, last_max_rate, last_throttle_ns, measured_rate, "
     "measure_start_ns, measure_count, version",
     "key"},
}};

}  // namespace ohfp::store
