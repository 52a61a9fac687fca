// store/rows.h
//
// The values of the store's rows, read the same way on both backends: a row of a table
// (store/tables.h gives the column lists and their order) becomes a model type or a resilience
// record here, once. Each backend reads its results through a small row view with four methods,
// `String(column)`, `Int(column)` (0 for NULL), `OptionalInt(column)` (nullopt for NULL) and
// `Double(column)`: SqliteRow (store/sqlite_rows.h) over a Statement's current row, PgRow
// (store/pg_rows.h) over a row of a PgResult. Columns are 0-based; the record readers start at
// column `first` so that a key column may come before them. Private to the store.
//
// A value no version of ohfp writes is treated as the models do: an unknown request, attempt or
// machine state falls back to its default, while a resilience record that cannot be read exactly
// is an error (`bad(problem)` makes it, naming the backend's location): a breaker must never be
// overwritten on a guess.
//
// Thread-safety: stateless functions.
//
// Example:
//   for (int i = 0; i < r->rows(); ++i) out.push_back(RequestFromRow(PgRow{*r, i}));
//   Result<BreakerRecord> b = BreakerFromRow(SqliteRow{q}, 0, [&](std::string_view problem) {
//     return BadRecord(file, "breaker", service, problem);
//   });
#pragma once

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "model/machine.h"
#include "model/request.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::store::internal {

template <class Row>
concept RowView = requires(const Row& row, int column) {
  { row.String(column) } -> std::convertible_to<std::string>;
  { row.Int(column) } -> std::same_as<std::int64_t>;
  { row.OptionalInt(column) } -> std::same_as<std::optional<std::int64_t>>;
  { row.Double(column) } -> std::same_as<double>;
};

// --- the request store's tables ---

// kRequestColumns, from column 0.
template <RowView Row>
model::Request RequestFromRow(const Row& q) {
  model::Request r;
  r.id = q.String(0);
  r.kind = model::RequestKindFromName(q.String(1)).value_or(model::RequestKind::kAcquire);
  r.template_id = q.String(2);
  r.machine_count = static_cast<int>(q.Int(3));
  r.provider_api =
      model::ProviderApiFromName(q.String(4)).value_or(model::ProviderApi::kRunInstances);
  r.state = model::RequestStateFromName(q.String(5)).value_or(model::RequestState::kRunning);
  r.message = q.String(6);
  r.created_at = model::FromEpochMillis(q.Int(7));
  r.updated_at = model::FromEpochMillis(q.Int(8));
  if (auto polled = q.OptionalInt(9)) r.polled_at = model::FromEpochMillis(*polled);
  r.owner.pid = q.Int(10);
  r.owner.start = q.String(11);
  r.created.resource_id = q.String(12);
  r.created.launch_template_id = q.String(13);
  r.abandoned = q.Int(14) != 0;
  if (auto cleaned = q.OptionalInt(15)) r.cleaned_up_at = model::FromEpochMillis(*cleaned);
  r.image_id = q.String(16);
  r.owner.host = q.String(17);
  return r;
}

// kAttemptColumns, from column 0.
template <RowView Row>
model::Attempt AttemptFromRow(const Row& q) {
  return {q.String(0),
          static_cast<int>(q.Int(1)),
          q.String(2),
          model::AttemptStateFromName(q.String(3)).value_or(model::AttemptState::kPrepared),
          q.String(4),
          model::FromEpochMillis(q.Int(5)),
          model::FromEpochMillis(q.Int(6))};
}

// kMachineColumns, from column 0. A launch time of 0 is none.
template <RowView Row>
model::Machine MachineFromRow(const Row& q) {
  model::Machine m;
  m.instance_id = q.String(0);
  m.request_id = q.String(1);
  m.template_id = q.String(2);
  m.name = q.String(3);
  m.private_ip = q.String(4);
  m.public_ip = q.String(5);
  m.state = model::InstanceStateFromName(q.String(6));
  m.result = model::MachineResultFromName(q.String(7)).value_or(model::MachineResult::kExecuting);
  m.message = q.String(8);
  m.lifecycle = q.String(9) == "spot" ? model::Lifecycle::kSpot : model::Lifecycle::kOnDemand;
  m.spot_request_id = q.String(10);
  if (const std::int64_t launched = q.Int(11); launched != 0) {
    m.launch_time = model::EpochSeconds(std::chrono::seconds(launched));
  }
  m.created_at = model::FromEpochMillis(q.Int(12));
  m.updated_at = model::FromEpochMillis(q.Int(13));
  return m;
}

// kReturnColumns, from column 0 (model::ReturnMachine's members, in order).
template <RowView Row>
model::ReturnMachine ReturnMachineFromRow(const Row& q) {
  return {q.String(0),
          q.String(1),
          q.String(2),
          q.String(3),
          model::InstanceStateFromName(q.String(4)),
          model::MachineResultFromName(q.String(5)).value_or(model::MachineResult::kExecuting),
          q.String(6),
          model::FromEpochMillis(q.Int(7))};
}

// --- the resilience state store's tables ---

// Times are nanoseconds since the Unix epoch; uint64 counters are stored as the int64 with the
// same bits (both backends' integers are signed), so every value round-trips exactly.
inline std::int64_t ToStored(std::uint64_t value) { return static_cast<std::int64_t>(value); }
inline std::uint64_t FromStored(std::int64_t value) { return static_cast<std::uint64_t>(value); }
inline std::int64_t ToStored(resilience::SysTime time) { return time.time_since_epoch().count(); }
inline std::optional<std::int64_t> ToStored(const std::optional<resilience::SysTime>& time) {
  if (!time.has_value()) return std::nullopt;
  return ToStored(*time);
}
inline resilience::SysTime TimeFromStored(std::int64_t ns) {
  return resilience::SysTime(resilience::Duration(ns));
}
template <RowView Row>
std::optional<resilience::SysTime> OptionalTimeFromRow(const Row& q, int column) {
  if (auto ns = q.OptionalInt(column)) return TimeFromStored(*ns);
  return std::nullopt;
}

template <RowView Row, class Bad>
resilience::Result<std::uint32_t> Uint32FromRow(const Row& q, int column, std::string_view name,
                                                const Bad& bad) {
  const std::int64_t value = q.Int(column);
  if (value < 0 || value > std::numeric_limits<std::uint32_t>::max()) {
    return bad(std::string(name) + " " + std::to_string(value) + " is out of range");
  }
  return static_cast<std::uint32_t>(value);
}

// A breaker record: kBreakerColumns, from column `first`.
template <RowView Row, class Bad>
resilience::Result<resilience::BreakerRecord> BreakerFromRow(const Row& q, int first,
                                                             const Bad& bad) {
  resilience::BreakerRecord b;
  const std::string state = q.String(first);
  const std::optional<resilience::CircuitState> parsed_state =
      resilience::CircuitStateFromName(state);
  if (!parsed_state) return bad("unknown state '" + state + "'");
  b.state = *parsed_state;
  const std::string mode = q.String(first + 1);
  const std::optional<resilience::CircuitOverride> parsed_mode =
      resilience::CircuitOverrideFromName(mode);
  if (!parsed_mode) return bad("unknown override '" + mode + "'");
  b.override_mode = *parsed_mode;
  resilience::Result<std::uint32_t> failures = Uint32FromRow(q, first + 2, "failure_count", bad);
  if (!failures.ok()) return failures.error();
  b.failure_count = *failures;
  resilience::Result<std::uint32_t> probes = Uint32FromRow(q, first + 3, "half_open_probes", bad);
  if (!probes.ok()) return probes.error();
  b.half_open_probes = *probes;
  b.generation = FromStored(q.Int(first + 4));
  b.last_failure_time = OptionalTimeFromRow(q, first + 5);
  b.last_success_time = OptionalTimeFromRow(q, first + 6);
  b.state_changed_time = TimeFromStored(q.Int(first + 7));
  b.window = q.String(first + 8);
  b.version = FromStored(q.Int(first + 9));
  return b;
}

// A retry quota record: "tokens, version", from column `first`.
template <RowView Row, class Bad>
resilience::Result<resilience::QuotaRecord> QuotaFromRow(const Row& q, int first, const Bad& bad) {
  resilience::QuotaRecord r;
  if (auto tokens = q.OptionalInt(first)) {
    if (*tokens < std::numeric_limits<std::int32_t>::min() ||
        *tokens > std::numeric_limits<std::int32_t>::max()) {
      return bad("tokens " + std::to_string(*tokens) + " is out of range");
    }
    r.tokens = static_cast<std::int32_t>(*tokens);
  }
  r.version = FromStored(q.Int(first + 1));
  return r;
}

// A rate limiter's bucket: kLimiterColumns, from column `first`.
template <RowView Row, class Bad>
resilience::Result<resilience::LimiterRecord> LimiterFromRow(const Row& q, int first,
                                                             const Bad& bad) {
  resilience::LimiterRecord l;
  l.tokens = q.Double(first);
  l.updated = OptionalTimeFromRow(q, first + 1);
  l.fill_rate = q.Double(first + 2);
  l.last_max_rate = q.Double(first + 3);
  l.last_throttle = OptionalTimeFromRow(q, first + 4);
  l.measured_rate = q.Double(first + 5);
  l.measure_start = OptionalTimeFromRow(q, first + 6);
  l.measure_count = q.Double(first + 7);
  l.version = FromStored(q.Int(first + 8));
  if (!std::isfinite(l.tokens) || !std::isfinite(l.fill_rate) || !std::isfinite(l.measured_rate)) {
    return bad("holds a number that is not finite");
  }
  return l;
}

}  // namespace ohfp::store::internal
