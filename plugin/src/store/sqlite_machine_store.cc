// The machines, return machines, instance types, cached values, metrics, sweeps and history of
// SqliteRequestStore (the requests, attempts and the installation are in
// sqlite_request_store.cc).
#include <algorithm>

#include "store/request_rules.h"
#include "store/sqlite_request_store.h"
#include "store/sqlite_rows.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

using internal::ForEachIdSlice;
using internal::ForEachRow;
using internal::Placeholders;
using internal::SelectByIds;
using internal::SelectRows;
using internal::SelectRowsByIds;
using model::EpochMillis;
using resilience::Result;
using resilience::Status;

// Runs one prepared statement per item inside one transaction, binding each with `bind`.
template <class T, class Bind>
Status WriteAll(Database& db, std::string_view sql, const std::vector<T>& items, Bind&& bind) {
  if (items.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db.Prepare(sql);
  if (!q.ok()) return q.error();
  for (const T& item : items) {
    bind(*q, item);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

}  // namespace

Status SqliteRequestStore::SaveMachines(const std::vector<model::Machine>& machines) {
  return WriteAll(
      db_,
      "INSERT INTO machines (" + std::string(internal::kMachineColumns) +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE "
          "SET name = excluded.name, private_ip = excluded.private_ip, "
          "public_ip = excluded.public_ip, state = excluded.state, result = excluded.result, "
          "message = excluded.message, lifecycle = excluded.lifecycle, "
          "spot_request_id = excluded.spot_request_id, launch_time = excluded.launch_time, "
          "updated_at = excluded.updated_at",
      machines, internal::BindMachine);
}

Result<std::vector<model::Machine>> SqliteRequestStore::MachinesOfRequest(
    std::string_view request_id) {
  return SelectRows(db_,
                    "SELECT " + std::string(internal::kMachineColumns) +
                        " FROM machines WHERE request_id = ? ORDER BY created_at, instance_id",
                    internal::ReadMachine, request_id);
}

Result<std::vector<model::Machine>> SqliteRequestStore::MachinesByIds(
    const std::vector<std::string>& ids) {
  return SelectRowsByIds(
      db_,
      "SELECT " + std::string(internal::kMachineColumns) + " FROM machines WHERE instance_id IN ",
      ids, internal::ReadMachine);
}

Result<std::vector<model::Machine>> SqliteRequestStore::MachinesByNames(
    const std::vector<std::string>& names) {
  return SelectRowsByIds(
      db_, "SELECT " + std::string(internal::kMachineColumns) + " FROM machines WHERE name IN ",
      names, internal::ReadMachine, " ORDER BY created_at, instance_id");
}

Result<MachinePage> SqliteRequestStore::ListMachines(const MachineQuery& query) {
  internal::Filter filter;
  internal::AddFilters(filter, query);
  MachinePage page;
  Result<int> total = internal::CountAndPage(
      db_, "machines", internal::kMachineColumns, filter, "created_at DESC, instance_id DESC",
      query.limit, query.offset,
      [&](const Statement& row) { page.machines.push_back(internal::ReadMachine(row)); });
  if (!total.ok()) return total.error();
  page.total = *total;
  return page;
}

Result<std::vector<model::ReturnMachine>> SqliteRequestStore::MachinesOfReturn(
    std::string_view return_id) {
  return SelectRows(db_,
                    "SELECT " + std::string(internal::kReturnColumns) +
                        " FROM return_machines WHERE return_id = ? ORDER BY instance_id",
                    internal::ReadReturnMachine, return_id);
}

Status SqliteRequestStore::SaveReturnMachines(const std::vector<model::ReturnMachine>& machines) {
  return WriteAll(db_,
                  "UPDATE return_machines SET state = ?, result = ?, message = ?, updated_at = ? "
                  "WHERE return_id = ? AND instance_id = ?",
                  machines, [](Statement& q, const model::ReturnMachine& m) {
                    q.BindAll(model::InstanceStateName(m.state), model::MachineResultName(m.result),
                              m.message, EpochMillis(m.updated_at), m.return_id, m.instance_id);
                  });
}

Result<std::set<std::string>> SqliteRequestStore::ReturnedInstances(
    const std::vector<std::string>& instance_ids) {
  std::set<std::string> out;
  Status s = SelectByIds(
      db_, "SELECT DISTINCT instance_id FROM return_machines WHERE instance_id IN ", instance_ids,
      [&](const Statement& row) { out.insert(row.Column<std::string>(0)); });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<model::InstanceType>> SqliteRequestStore::InstanceTypes(
    const std::vector<std::string>& types) {
  std::vector<model::InstanceType> out;
  Status s = SelectByIds(
      db_,
      "SELECT instance_type, vcpus, cores, memory_mib FROM instance_types WHERE instance_type IN ",
      types, [&](const Statement& row) {
        out.push_back({row.Column<std::string>(0), static_cast<int>(row.Column<std::int64_t>(1)),
                       static_cast<int>(row.Column<std::int64_t>(2)), row.Column<std::int64_t>(3)});
      });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteRequestStore::SaveInstanceTypes(const std::vector<model::InstanceType>& types,
                                             model::Timestamp now) {
  return WriteAll(db_,
                  "INSERT OR REPLACE INTO instance_types (instance_type, vcpus, cores, memory_mib, "
                  "fetched_at) VALUES (?, ?, ?, ?, ?)",
                  types, [&](Statement& q, const model::InstanceType& t) {
                    q.BindAll(t.name, t.vcpus, t.cores, t.memory_mib, EpochMillis(now));
                  });
}

Result<std::vector<CachedValue>> SqliteRequestStore::CachedValues(
    std::string_view kind, const std::vector<std::string>& keys) {
  std::vector<CachedValue> out;
  Status s = ForEachIdSlice(keys, [&](const std::vector<std::string>& slice) -> Status {
    Result<Statement> q =
        db_.Prepare("SELECT key, value, fetched_at FROM cached_values WHERE kind = ? AND key IN (" +
                    Placeholders(slice.size()) + ")");
    if (!q.ok()) return q.error();
    q->Bind(1, kind);
    for (std::size_t i = 0; i < slice.size(); ++i) q->Bind(static_cast<int>(i + 2), slice[i]);
    return ForEachRow(*q, [&](const Statement& row) {
      out.push_back({row.Column<std::string>(0), row.Column<std::string>(1),
                     model::FromEpochMillis(row.Column<std::int64_t>(2))});
    });
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteRequestStore::SaveCachedValues(
    std::string_view kind, const std::vector<std::pair<std::string, std::string>>& values,
    model::Timestamp now) {
  return WriteAll(db_,
                  "INSERT OR REPLACE INTO cached_values (kind, key, value, fetched_at) "
                  "VALUES (?, ?, ?, ?)",
                  values, [&](Statement& q, const std::pair<std::string, std::string>& v) {
                    q.BindAll(kind, v.first, v.second, EpochMillis(now));
                  });
}

Status SqliteRequestStore::AddMetrics(const std::vector<MetricDelta>& deltas) {
  return WriteAll(db_,
                  "INSERT INTO metric_counters (name, labels, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value",
                  deltas,
                  [](Statement& q, const MetricDelta& d) { q.BindAll(d.name, d.labels, d.value); });
}

Result<std::vector<MetricDelta>> SqliteRequestStore::Metrics() {
  Result<Statement> q =
      db_.Prepare("SELECT name, labels, value FROM metric_counters ORDER BY name, labels");
  if (!q.ok()) return q.error();
  std::vector<MetricDelta> out;
  Status s = ForEachRow(*q, [&](const Statement& row) {
    out.push_back({row.Column<std::string>(0), row.Column<std::string>(1), row.Column<double>(2)});
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<bool> SqliteRequestStore::ClaimSweep(std::string_view name, model::Timestamp now,
                                            std::chrono::milliseconds interval) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare("SELECT last_at FROM sweeps WHERE name = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, name);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  const bool recent = *row && EpochMillis(now) - q->Column<std::int64_t>(0) < interval.count();
  q->Reset();
  if (recent) return false;
  Result<Statement> u = db_.Prepare("INSERT OR REPLACE INTO sweeps (name, last_at) VALUES (?, ?)");
  if (!u.ok()) return u.error();
  u->Bind(1, name);
  u->Bind(2, EpochMillis(now));
  if (Status s = u->Run(); !s.ok()) return s.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return true;
}

Result<int> SqliteRequestStore::PurgeFinished(model::Timestamp before, int limit) {
  limit = std::clamp(limit, 0, static_cast<int>(internal::kIdsPerStatement));
  if (limit == 0) return 0;
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  // requests_finished (migration 4) holds only finished requests, by age: the scan starts at the
  // oldest and stops at the limit, whatever the size of the history (without INDEXED BY, SQLite
  // would scan every request of each kind for the OR).
  Result<Statement> q = db_.Prepare(
      "SELECT id FROM requests r INDEXED BY requests_finished "
      "WHERE state != 'running' AND updated_at < ? AND ("
      " (kind = 'acquire' AND cleaned_up_at IS NOT NULL) OR"
      " (kind = 'return' AND NOT EXISTS (SELECT 1 FROM return_machines x"
      "   JOIN machines m ON m.instance_id = x.instance_id WHERE x.return_id = r.id"
      "   AND m.result != 'fail' AND m.state NOT IN ('terminated', 'shutting-down'))))"
      " ORDER BY updated_at LIMIT ?");
  if (!q.ok()) return q.error();
  q->Bind(1, EpochMillis(before));
  q->Bind(2, limit);
  std::vector<std::string> ids;
  if (Status s =
          ForEachRow(*q, [&](const Statement& row) { ids.push_back(row.Column<std::string>(0)); });
      !s.ok()) {
    return s.error();
  }
  if (ids.empty()) return 0;
  static constexpr std::string_view kDeletes[] = {
      "DELETE FROM attempts WHERE request_id IN ",
      "DELETE FROM machines WHERE request_id IN ",
      "DELETE FROM return_machines WHERE return_id IN ",
      "DELETE FROM requests WHERE id IN ",
  };
  for (std::string_view sql : kDeletes) {
    Result<Statement> d = db_.Prepare(std::string(sql) + "(" + Placeholders(ids.size()) + ")");
    if (!d.ok()) return d.error();
    for (std::size_t i = 0; i < ids.size(); ++i) d->Bind(static_cast<int>(i + 1), ids[i]);
    if (Status s = d->Run(); !s.ok()) return s.error();
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return static_cast<int>(ids.size());
}

}  // namespace ohfp::store
