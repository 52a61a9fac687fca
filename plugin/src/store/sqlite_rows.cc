#include "store/sqlite_rows.h"

#include <algorithm>

#include "store/transaction.h"

namespace ohfp::store::internal {
namespace {

constexpr Migration kMigrations[] = {
    {1, "requests, attempts, machines, returns, instance types, metrics, sweeps", R"sql(
CREATE TABLE requests (
  id                 TEXT PRIMARY KEY,
  kind               TEXT NOT NULL CHECK (kind IN ('acquire', 'return')),
  template_id        TEXT NOT NULL DEFAULT '',
  machine_count      INTEGER NOT NULL,
  provider_api       TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL CHECK (state IN ('running', 'complete', 'complete_with_error')),
  message            TEXT NOT NULL DEFAULT '',
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  polled_at          INTEGER,
  owner_pid          INTEGER NOT NULL,
  owner_start        TEXT NOT NULL,
  resource_id        TEXT NOT NULL DEFAULT '',
  launch_template_id TEXT NOT NULL DEFAULT '',
  abandoned          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX requests_by_state ON requests (kind, state);
CREATE INDEX requests_by_template ON requests (template_id, kind, state);
CREATE TABLE attempts (
  request_id   TEXT NOT NULL REFERENCES requests (id),
  number       INTEGER NOT NULL,
  client_token TEXT NOT NULL UNIQUE,
  state        TEXT NOT NULL CHECK (state IN ('prepared', 'succeeded', 'failed')),
  error        TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (request_id, number)
);
CREATE TABLE machines (
  instance_id     TEXT PRIMARY KEY,
  request_id      TEXT NOT NULL REFERENCES requests (id),
  template_id     TEXT NOT NULL,
  name            TEXT NOT NULL DEFAULT '',
  private_ip      TEXT NOT NULL DEFAULT '',
  public_ip       TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT '',
  result          TEXT NOT NULL CHECK (result IN ('executing', 'succeed', 'fail')),
  message         TEXT NOT NULL DEFAULT '',
  lifecycle       TEXT NOT NULL DEFAULT '',
  spot_request_id TEXT NOT NULL DEFAULT '',
  launch_time     INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX machines_by_request ON machines (request_id);
CREATE INDEX machines_by_template ON machines (template_id, result);
CREATE TABLE return_machines (
  return_id          TEXT NOT NULL REFERENCES requests (id),
  instance_id        TEXT NOT NULL,
  name               TEXT NOT NULL DEFAULT '',
  acquire_request_id TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL DEFAULT '',
  result             TEXT NOT NULL CHECK (result IN ('executing', 'succeed', 'fail')),
  message            TEXT NOT NULL DEFAULT '',
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (return_id, instance_id)
);
CREATE INDEX return_machines_by_instance ON return_machines (instance_id);
CREATE TABLE instance_types (
  instance_type TEXT PRIMARY KEY,
  vcpus         INTEGER NOT NULL,
  cores         INTEGER NOT NULL,
  memory_mib    INTEGER NOT NULL,
  fetched_at    INTEGER NOT NULL
);
CREATE TABLE metric_counters (
  name   TEXT NOT NULL,
  labels TEXT NOT NULL,
  value  REAL NOT NULL,
  PRIMARY KEY (name, labels)
);
CREATE TABLE sweeps (
  name    TEXT PRIMARY KEY,
  last_at INTEGER NOT NULL
);
)sql"},
    {2, "requests remember when what was created for them was deleted", R"sql(
ALTER TABLE requests ADD COLUMN cleaned_up_at INTEGER;
CREATE INDEX requests_to_clean_up ON requests (kind, state) WHERE cleaned_up_at IS NULL;
)sql"},
    {3, "the installation's identity", R"sql(
CREATE TABLE installation (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  id         TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)sql"},
    {4, "the image a request launches; cached lookups (images' root devices, SSM parameters)",
     R"sql(
ALTER TABLE requests ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
CREATE TABLE cached_values (
  kind       TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql"},
    {5, "the creator's host; indexes that keep history out of the way", R"sql(
ALTER TABLE requests ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_finished ON requests (updated_at) WHERE state != 'running';
CREATE INDEX machines_live ON machines (template_id)
  WHERE result != 'fail' AND state NOT IN ('terminated', 'shutting-down');
DROP INDEX machines_by_template;
)sql"},
};

}  // namespace

std::span<const Migration> RequestMigrations() { return kMigrations; }

void BindMachine(Statement& q, const model::Machine& m) {
  q.BindAll(m.instance_id, m.request_id, m.template_id, m.name, m.private_ip, m.public_ip,
            model::InstanceStateName(m.state), model::MachineResultName(m.result), m.message,
            std::string_view(m.lifecycle == model::Lifecycle::kSpot ? "spot" : ""),
            m.spot_request_id,
            m.launch_time ? m.launch_time->time_since_epoch().count() : std::int64_t{0},
            model::EpochMillis(m.created_at), model::EpochMillis(m.updated_at));
}

void BindReturnMachine(Statement& q, const model::ReturnMachine& r) {
  q.BindAll(r.return_id, r.instance_id, r.name, r.acquire_request_id,
            model::InstanceStateName(r.state), model::MachineResultName(r.result), r.message,
            model::EpochMillis(r.updated_at));
}

resilience::Result<int> CountAndPage(Database& db, std::string_view table, std::string_view columns,
                                     const Filter& filter, std::string_view order, int limit,
                                     int offset, const std::function<void(const Statement&)>& row) {
  // Deferred: a read snapshot (WAL), never the write lock; rolled back (nothing to commit) on
  // return.
  resilience::Result<Transaction> txn = Transaction::Begin(db, TransactionMode::kDeferred);
  if (!txn.ok()) return txn.error();
  resilience::Result<Statement> count =
      db.Prepare("SELECT COUNT(*) FROM " + std::string(table) + filter.where());
  if (!count.ok()) return count.error();
  filter.BindAll(*count);
  resilience::Result<bool> counted = count->Step();
  if (!counted.ok()) return counted.error();
  const int total = static_cast<int>(count->Column<std::int64_t>(0));
  if (limit > 0) {
    resilience::Result<Statement> q = db.Prepare(
        "SELECT " + std::string(columns) + " FROM " + std::string(table) + filter.where() +
        " ORDER BY " + std::string(order) + " LIMIT :limit OFFSET :offset");
    if (!q.ok()) return q.error();
    filter.BindAll(*q);
    q->Bind(":limit", limit);
    q->Bind(":offset", std::max(offset, 0));
    if (resilience::Status s = ForEachRow(*q, row); !s.ok()) return s.error();
  }
  return total;
}

resilience::Result<std::optional<std::string>> ReadInstallationId(Database& db) {
  resilience::Result<Statement> q = db.Prepare("SELECT id FROM installation WHERE singleton = 1");
  if (!q.ok()) return q.error();
  resilience::Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(q->Column<std::string>(0));
}

std::string Placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

}  // namespace ohfp::store::internal
