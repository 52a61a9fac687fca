// The machines, return machines, instance types, cached values, metrics, sweeps and history of
// PgRequestStore (the requests, attempts and the installation are in pg_request_store.cc; the
// operators' listings in pg_listing.cc).
#include <algorithm>
#include <map>

#include "store/pg_request_store.h"
#include "store/pg_rows.h"
#include "store/tables.h"

namespace ohfp::store {
namespace {

using model::EpochMillis;
using resilience::Deadline;
using resilience::Result;
using resilience::Status;

// The last of several items with the same key: one statement may not change a row twice.
template <class T, class Key>
std::vector<T> LastByKey(const std::vector<T>& items, Key key) {
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < items.size(); ++i) last[key(items[i])] = i;
  std::vector<std::size_t> keep;
  keep.reserve(last.size());
  for (const auto& [k, i] : last) keep.push_back(i);
  std::sort(keep.begin(), keep.end());
  std::vector<T> out;
  out.reserve(keep.size());
  for (std::size_t i : keep) out.push_back(items[i]);
  return out;
}

template <class T, class Read>
Result<std::vector<T>> Rows(Result<PgResult> r, Read read) {
  if (!r.ok()) return r.error();
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read(*r, i));
  return out;
}

// Machines matching `where_and_order` (with `params`), in one statement.
Result<std::vector<model::Machine>> SelectMachines(PgPool& pool, std::string_view where_and_order,
                                                   const PgParams& params) {
  return pool.Run([&](PgConnection& c, Deadline d) {
    return Rows<model::Machine>(c.Exec("SELECT " + std::string(kMachineColumns) +
                                           " FROM machines WHERE " + std::string(where_and_order),
                                       params, d),
                                internal::ReadPgMachine);
  });
}

}  // namespace

Status PgRequestStore::SaveMachines(const std::vector<model::Machine>& input) {
  if (input.empty()) return resilience::OkStatus();
  const std::vector<model::Machine> machines =
      LastByKey(input, [](const model::Machine& m) { return m.instance_id; });
  std::vector<std::string> text[11];
  std::vector<std::int64_t> launch, created, updated;
  for (const model::Machine& m : machines) {
    const std::string values[11] = {m.instance_id,
                                    m.request_id,
                                    m.template_id,
                                    m.name,
                                    m.private_ip,
                                    m.public_ip,
                                    std::string(model::InstanceStateName(m.state)),
                                    std::string(model::MachineResultName(m.result)),
                                    m.message,
                                    m.lifecycle == model::Lifecycle::kSpot ? "spot" : "",
                                    m.spot_request_id};
    for (int i = 0; i < 11; ++i) text[i].push_back(values[i]);
    launch.push_back(m.launch_time ? m.launch_time->time_since_epoch().count() : 0);
    created.push_back(EpochMillis(m.created_at));
    updated.push_back(EpochMillis(m.updated_at));
  }
  PgParams params;
  for (const std::vector<std::string>& column : text) params.AddTextArray(column);
  params.AddIntArray(launch).AddIntArray(created).AddIntArray(updated);
  return Write(
      "INSERT INTO machines (" + std::string(kMachineColumns) +
          ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
          "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
          "$12::bigint[], $13::bigint[], $14::bigint[]) "
          "ON CONFLICT (instance_id) DO UPDATE SET name = excluded.name, "
          "private_ip = excluded.private_ip, public_ip = excluded.public_ip, "
          "state = excluded.state, result = excluded.result, message = excluded.message, "
          "lifecycle = excluded.lifecycle, spot_request_id = excluded.spot_request_id, "
          "launch_time = excluded.launch_time, updated_at = excluded.updated_at",
      params);
}

Result<std::vector<model::Machine>> PgRequestStore::MachinesOfRequest(std::string_view request_id) {
  return SelectMachines(*pool_, "request_id = $1 ORDER BY created_at, instance_id",
                        PgParams().Add(request_id));
}

Result<std::vector<model::Machine>> PgRequestStore::MachinesByIds(
    const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<model::Machine>();
  return SelectMachines(*pool_, "instance_id = ANY($1::text[])", PgParams().AddTextArray(ids));
}

Result<std::vector<model::Machine>> PgRequestStore::MachinesByNames(
    const std::vector<std::string>& names) {
  if (names.empty()) return std::vector<model::Machine>();
  return SelectMachines(*pool_,
                        "name = ANY($1::text[]) ORDER BY created_at, instance_id COLLATE \"C\"",
                        PgParams().AddTextArray(names));
}

Result<std::vector<model::ReturnMachine>> PgRequestStore::MachinesOfReturn(
    std::string_view return_id) {
  return pool_->Run([&](PgConnection& c, Deadline d) {
    return Rows<model::ReturnMachine>(
        c.Exec("SELECT " + std::string(kReturnColumns) +
                   " FROM return_machines WHERE return_id = $1 ORDER BY instance_id",
               PgParams().Add(return_id), d),
        internal::ReadPgReturnMachine);
  });
}

Status PgRequestStore::SaveReturnMachines(const std::vector<model::ReturnMachine>& input) {
  if (input.empty()) return resilience::OkStatus();
  const std::vector<model::ReturnMachine> machines = LastByKey(
      input, [](const model::ReturnMachine& m) { return m.return_id + "\n" + m.instance_id; });
  std::vector<std::string> state, result, message, return_id, instance_id;
  std::vector<std::int64_t> updated;
  for (const model::ReturnMachine& m : machines) {
    state.push_back(std::string(model::InstanceStateName(m.state)));
    result.push_back(std::string(model::MachineResultName(m.result)));
    message.push_back(m.message);
    updated.push_back(EpochMillis(m.updated_at));
    return_id.push_back(m.return_id);
    instance_id.push_back(m.instance_id);
  }
  return Write(
      "UPDATE return_machines x SET state = t.s, result = t.r, message = t.m, updated_at = t.u "
      "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) "
      "AS t (s, r, m, u, rid, iid) WHERE x.return_id = t.rid AND x.instance_id = t.iid",
      PgParams()
          .AddTextArray(state)
          .AddTextArray(result)
          .AddTextArray(message)
          .AddIntArray(updated)
          .AddTextArray(return_id)
          .AddTextArray(instance_id));
}

Result<std::set<std::string>> PgRequestStore::ReturnedInstances(
    const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) return std::set<std::string>();
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<std::set<std::string>> {
    Result<PgResult> r = c.Exec(
        "SELECT DISTINCT instance_id FROM return_machines WHERE instance_id = ANY($1::text[])",
        PgParams().AddTextArray(instance_ids), d);
    if (!r.ok()) return r.error();
    std::set<std::string> out;
    for (int i = 0; i < r->rows(); ++i) out.insert(r->String(i, 0));
    return out;
  });
}

Result<std::vector<model::InstanceType>> PgRequestStore::InstanceTypes(
    const std::vector<std::string>& types) {
  if (types.empty()) return std::vector<model::InstanceType>();
  return pool_->Run([&](PgConnection& c, Deadline d) {
    return Rows<model::InstanceType>(
        c.Exec("SELECT instance_type, vcpus, cores, memory_mib FROM instance_types "
               "WHERE instance_type = ANY($1::text[])",
               PgParams().AddTextArray(types), d),
        [](const PgResult& r, int i) {
          return model::InstanceType{r.String(i, 0), static_cast<int>(r.Int(i, 1)),
                                     static_cast<int>(r.Int(i, 2)), r.Int(i, 3)};
        });
  });
}

Status PgRequestStore::SaveInstanceTypes(const std::vector<model::InstanceType>& input,
                                         model::Timestamp now) {
  if (input.empty()) return resilience::OkStatus();
  const std::vector<model::InstanceType> types =
      LastByKey(input, [](const model::InstanceType& t) { return t.name; });
  std::vector<std::string> names;
  std::vector<std::int64_t> vcpus, cores, memory;
  for (const model::InstanceType& t : types) {
    names.push_back(t.name);
    vcpus.push_back(t.vcpus);
    cores.push_back(t.cores);
    memory.push_back(t.memory_mib);
  }
  return Write(
      "INSERT INTO instance_types (instance_type, vcpus, cores, memory_mib, fetched_at) "
      "SELECT t, v, c, m, $5 FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) "
      "AS u (t, v, c, m) ON CONFLICT (instance_type) DO UPDATE SET vcpus = excluded.vcpus, "
      "cores = excluded.cores, memory_mib = excluded.memory_mib, fetched_at = excluded.fetched_at",
      PgParams().AddTextArray(names).AddIntArray(vcpus).AddIntArray(cores).AddIntArray(memory).Add(
          EpochMillis(now)));
}

Result<std::vector<CachedValue>> PgRequestStore::CachedValues(
    std::string_view kind, const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<CachedValue>();
  return pool_->Run([&](PgConnection& c, Deadline d) {
    return Rows<CachedValue>(
        c.Exec("SELECT key, value, fetched_at FROM cached_values "
               "WHERE kind = $1 AND key = ANY($2::text[]) ORDER BY key COLLATE \"C\"",
               PgParams().Add(kind).AddTextArray(keys), d),
        [](const PgResult& r, int i) {
          return CachedValue{r.String(i, 0), r.String(i, 1), model::FromEpochMillis(r.Int(i, 2))};
        });
  });
}

Status PgRequestStore::SaveCachedValues(
    std::string_view kind, const std::vector<std::pair<std::string, std::string>>& input,
    model::Timestamp now) {
  if (input.empty()) return resilience::OkStatus();
  const std::vector<std::pair<std::string, std::string>> values =
      LastByKey(input, [](const std::pair<std::string, std::string>& v) { return v.first; });
  std::vector<std::string> keys, texts;
  for (const auto& [key, text] : values) {
    keys.push_back(key);
    texts.push_back(text);
  }
  return Write(
      "INSERT INTO cached_values (kind, key, value, fetched_at) "
      "SELECT $1, k, v, $4 FROM unnest($2::text[], $3::text[]) AS u (k, v) "
      "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, "
      "fetched_at = excluded.fetched_at",
      PgParams().Add(kind).AddTextArray(keys).AddTextArray(texts).Add(EpochMillis(now)));
}

Status PgRequestStore::AddMetrics(const std::vector<MetricDelta>& deltas) {
  if (deltas.empty()) return resilience::OkStatus();
  std::map<std::pair<std::string, std::string>, double> sums;  // one row per counter
  for (const MetricDelta& m : deltas) sums[{m.name, m.labels}] += m.value;
  std::vector<std::string> names, labels, values;
  for (const auto& [key, value] : sums) {
    names.push_back(key.first);
    labels.push_back(key.second);
    values.push_back(PgDoubleText(value));
  }
  return Write(
      "INSERT INTO metric_counters (name, labels, value) "
      "SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) "
      "ON CONFLICT (name, labels) DO UPDATE SET value = metric_counters.value + excluded.value",
      PgParams().AddTextArray(names).AddTextArray(labels).AddTextArray(values));
}

Result<std::vector<MetricDelta>> PgRequestStore::Metrics() {
  return pool_->Run([&](PgConnection& c, Deadline d) {
    return Rows<MetricDelta>(
        c.Exec("SELECT name, labels, value FROM metric_counters ORDER BY name, labels", d),
        [](const PgResult& r, int i) {
          return MetricDelta{r.String(i, 0), r.String(i, 1), r.Double(i, 2)};
        });
  });
}

Result<bool> PgRequestStore::ClaimSweep(std::string_view name, model::Timestamp now,
                                        std::chrono::milliseconds interval) {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<bool> {
    // One statement: of several processes claiming at once, the server lets one write; the
    // others re-check the condition against what it wrote and find it recent.
    Result<PgResult> r = c.Exec(
        "INSERT INTO sweeps (name, last_at) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE "
        "SET last_at = excluded.last_at WHERE sweeps.last_at <= $3 RETURNING 1",
        PgParams().Add(name).Add(EpochMillis(now)).Add(EpochMillis(now) - interval.count()), d);
    if (!r.ok()) return r.error();
    return r->rows() == 1;
  });
}

Result<int> PgRequestStore::PurgeFinished(model::Timestamp before, int limit) {
  if (limit <= 0) return 0;
  return pool_->Transact([&](PgConnection& c, Deadline d) -> Result<int> {
    // requests_finished holds only finished requests, by age.
    Result<PgResult> found = c.Exec(
        "SELECT id FROM requests r WHERE state <> 'running' AND updated_at < $1 AND ("
        " (kind = 'acquire' AND cleaned_up_at IS NOT NULL) OR"
        " (kind = 'return' AND NOT EXISTS (SELECT 1 FROM return_machines x"
        "   JOIN machines m ON m.instance_id = x.instance_id WHERE x.return_id = r.id"
        "   AND m.result <> 'fail' AND m.state NOT IN ('terminated', 'shutting-down'))))"
        " ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        PgParams().Add(EpochMillis(before)).Add(limit), d);
    if (!found.ok()) return found.error();
    std::vector<std::string> ids;
    for (int i = 0; i < found->rows(); ++i) ids.push_back(found->String(i, 0));
    if (ids.empty()) return 0;
    static constexpr std::string_view kDeletes[] = {
        "DELETE FROM attempts WHERE request_id = ANY($1::text[])",
        "DELETE FROM machines WHERE request_id = ANY($1::text[])",
        "DELETE FROM return_machines WHERE return_id = ANY($1::text[])",
        "DELETE FROM requests WHERE id = ANY($1::text[])",
    };
    const PgParams params = PgParams().AddTextArray(ids);
    for (std::string_view sql : kDeletes) {
      if (Result<PgResult> r = c.Exec(sql, params, d); !r.ok()) return r.error();
    }
    return static_cast<int>(ids.size());
  });
}

}  // namespace ohfp::store
