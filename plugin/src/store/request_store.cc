#include "store/request_store.h"

#include <array>

#include "store/migrations.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

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
};

constexpr std::string_view kRequestColumns =
    "id, kind, template_id, machine_count, provider_api, state, message, created_at, updated_at, "
    "polled_at, "
    "owner_pid, owner_start, resource_id, launch_template_id, abandoned, cleaned_up_at";
constexpr std::string_view kMachineColumns =
    "instance_id, request_id, template_id, name, private_ip, public_ip, state, result, message, "
    "lifecycle, "
    "spot_request_id, launch_time, created_at, updated_at";
constexpr std::string_view kReturnColumns =
    "return_id, instance_id, name, acquire_request_id, state, result, message, updated_at";

RequestState ParseState(std::string_view s) {
  if (s == "complete") return RequestState::kComplete;
  if (s == "complete_with_error") return RequestState::kCompleteWithError;
  return RequestState::kRunning;
}

AttemptState ParseAttemptState(std::string_view s) {
  if (s == "succeeded") return AttemptState::kSucceeded;
  if (s == "failed") return AttemptState::kFailed;
  return AttemptState::kPrepared;
}

RequestRecord ReadRequest(const Statement& q) {
  RequestRecord r;
  r.id = q.Column<std::string>(0);
  r.kind = q.Column<std::string>(1) == "return" ? RequestKind::kReturn : RequestKind::kAcquire;
  r.template_id = q.Column<std::string>(2);
  r.machine_count = static_cast<int>(q.Column<std::int64_t>(3));
  r.provider_api = q.Column<std::string>(4);
  r.state = ParseState(q.Column<std::string>(5));
  r.message = q.Column<std::string>(6);
  r.created_at = q.Column<std::int64_t>(7);
  r.updated_at = q.Column<std::int64_t>(8);
  r.polled_at = q.Column<std::optional<std::int64_t>>(9);
  r.owner.pid = q.Column<std::int64_t>(10);
  r.owner.start = q.Column<std::string>(11);
  r.resource_id = q.Column<std::string>(12);
  r.launch_template_id = q.Column<std::string>(13);
  r.abandoned = q.Column<std::int64_t>(14) != 0;
  r.cleaned_up_at = q.Column<std::optional<std::int64_t>>(15);
  return r;
}

MachineRecord ReadMachine(const Statement& q) {
  MachineRecord m;
  m.instance_id = q.Column<std::string>(0);
  m.request_id = q.Column<std::string>(1);
  m.template_id = q.Column<std::string>(2);
  m.name = q.Column<std::string>(3);
  m.private_ip = q.Column<std::string>(4);
  m.public_ip = q.Column<std::string>(5);
  m.state = q.Column<std::string>(6);
  m.result = q.Column<std::string>(7);
  m.message = q.Column<std::string>(8);
  m.lifecycle = q.Column<std::string>(9);
  m.spot_request_id = q.Column<std::string>(10);
  m.launch_time = q.Column<std::int64_t>(11);
  m.created_at = q.Column<std::int64_t>(12);
  m.updated_at = q.Column<std::int64_t>(13);
  return m;
}

ReturnMachineRecord ReadReturnMachine(const Statement& q) {
  ReturnMachineRecord r;
  r.return_id = q.Column<std::string>(0);
  r.instance_id = q.Column<std::string>(1);
  r.name = q.Column<std::string>(2);
  r.acquire_request_id = q.Column<std::string>(3);
  r.state = q.Column<std::string>(4);
  r.result = q.Column<std::string>(5);
  r.message = q.Column<std::string>(6);
  r.updated_at = q.Column<std::int64_t>(7);
  return r;
}

// Runs `q` to the end, calling `row` for each row.
template <class F>
Status ForEachRow(Statement& q, F&& row) {
  for (;;) {
    Result<bool> has = q.Step();
    if (!has.ok()) return has.error();
    if (!*has) return resilience::OkStatus();
    row(q);
  }
}

// "?, ?, ?" for n parameters.
std::string Placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

Status InsertAttempt(Database& db, std::string_view request_id, int number, std::string_view token,
                     std::int64_t now) {
  Result<Statement> q = db.Prepare(
      "INSERT INTO attempts (request_id, number, client_token, state, created_at, updated_at) "
      "VALUES (?, ?, ?, 'prepared', ?, ?)");
  if (!q.ok()) return q.error();
  q->Bind(1, request_id);
  q->Bind(2, static_cast<std::int64_t>(number));
  q->Bind(3, token);
  q->Bind(4, now);
  q->Bind(5, now);
  return q->Run();
}

Result<int> HeldIn(Database& db, std::string_view template_id) {
  Result<Statement> q = db.Prepare(
      "SELECT "
      " (SELECT COALESCE(SUM(machine_count), 0) FROM requests "
      "   WHERE kind = 'acquire' AND state = 'running' AND template_id = :t) + "
      " (SELECT COUNT(*) FROM machines m JOIN requests r ON r.id = m.request_id "
      "   WHERE m.template_id = :t AND r.state != 'running' AND m.result != 'fail' "
      "     AND m.state NOT IN ('terminated', 'shutting-down') "
      "     AND NOT EXISTS (SELECT 1 FROM return_machines x WHERE x.instance_id = m.instance_id))");
  if (!q.ok()) return q.error();
  q->Bind(":t", template_id);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  return static_cast<int>(q->Column<std::int64_t>(0));
}

}  // namespace

std::string_view RequestStateName(RequestState state) noexcept {
  switch (state) {
    case RequestState::kRunning:
      return "running";
    case RequestState::kComplete:
      return "complete";
    case RequestState::kCompleteWithError:
      return "complete_with_error";
  }
  return "running";
}

std::string_view AttemptStateName(AttemptState state) noexcept {
  switch (state) {
    case AttemptState::kPrepared:
      return "prepared";
    case AttemptState::kSucceeded:
      return "succeeded";
    case AttemptState::kFailed:
      return "failed";
  }
  return "prepared";
}

Result<std::unique_ptr<RequestStore>> RequestStore::Open(const std::filesystem::path& file,
                                                         const DatabaseOptions& options) {
  Result<Database> db = Database::Open(file, options);
  if (!db.ok()) return db.error();
  Result<int> version = ApplyMigrations(*db, "requests", kMigrations);
  if (!version.ok()) return version.error();
  return std::unique_ptr<RequestStore>(new RequestStore(std::move(*db)));
}

Result<RequestRecord> RequestStore::CreateAcquire(const NewAcquire& n) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  if (n.max_number >= 0) {
    Result<int> held = HeldIn(db_, n.template_id);
    if (!held.ok()) return held.error();
    const int available = std::max(0, n.max_number - *held);
    if (n.machine_count > available) {
      return Error(ErrorKind::kValidation, "NotEnoughCapacity",
                   "template " + n.template_id + " has " + std::to_string(available) +
                       " machine(s) available (" + std::to_string(*held) + " held of maxNumber " +
                       std::to_string(n.max_number) + "); " + std::to_string(n.machine_count) +
                       " requested");
    }
  }
  Result<Statement> q = db_.Prepare(
      "INSERT INTO requests (id, kind, template_id, machine_count, provider_api, state, "
      "created_at, updated_at, "
      "owner_pid, owner_start) VALUES (?, 'acquire', ?, ?, ?, 'running', ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  q->Bind(1, n.id);
  q->Bind(2, n.template_id);
  q->Bind(3, static_cast<std::int64_t>(n.machine_count));
  q->Bind(4, n.provider_api);
  q->Bind(5, n.now);
  q->Bind(6, n.now);
  q->Bind(7, n.owner.pid);
  q->Bind(8, n.owner.start);
  if (Status s = q->Run(); !s.ok()) return s.error();
  if (Status s = InsertAttempt(db_, n.id, 1, n.client_token, n.now); !s.ok()) return s.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  RequestRecord r;
  r.id = n.id;
  r.template_id = n.template_id;
  r.machine_count = n.machine_count;
  r.provider_api = n.provider_api;
  r.created_at = r.updated_at = n.now;
  r.owner = n.owner;
  return r;
}

Result<int> RequestStore::HeldMachines(std::string_view template_id) {
  return HeldIn(db_, template_id);
}

Result<std::optional<RequestRecord>> RequestStore::GetRequest(std::string_view id) {
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kRequestColumns) + " FROM requests WHERE id = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, id);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<RequestRecord>();
  return std::optional<RequestRecord>(ReadRequest(*q));
}

Status RequestStore::MarkPolled(const std::vector<std::string>& ids, std::int64_t now) {
  if (ids.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q =
      db_.Prepare("UPDATE requests SET polled_at = ? WHERE id = ? AND polled_at IS NULL");
  if (!q.ok()) return q.error();
  for (const std::string& id : ids) {
    q->Bind(1, now);
    q->Bind(2, id);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Status RequestStore::SetRequestState(std::string_view id, RequestState state,
                                     std::string_view message, std::int64_t now) {
  Result<Statement> q =
      db_.Prepare("UPDATE requests SET state = ?, message = ?, updated_at = ? WHERE id = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, RequestStateName(state));
  q->Bind(2, message);
  q->Bind(3, now);
  q->Bind(4, id);
  return q->Run();
}

Status RequestStore::SetRequestResources(std::string_view id, std::string_view resource_id,
                                         std::string_view launch_template_id, std::int64_t now) {
  Result<Statement> q = db_.Prepare(
      "UPDATE requests SET resource_id = ?, launch_template_id = ?, updated_at = ? WHERE id = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, resource_id);
  q->Bind(2, launch_template_id);
  q->Bind(3, now);
  q->Bind(4, id);
  return q->Run();
}

Status RequestStore::AbandonRequest(std::string_view id, std::string_view message,
                                    std::int64_t now) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> r = db_.Prepare(
      "UPDATE requests SET state = 'complete_with_error', abandoned = 1, message = ?, updated_at = "
      "? WHERE id = ?");
  if (!r.ok()) return r.error();
  r->Bind(1, message);
  r->Bind(2, now);
  r->Bind(3, id);
  if (Status s = r->Run(); !s.ok()) return s;
  Result<Statement> m = db_.Prepare(
      "UPDATE machines SET result = 'fail', message = ?, updated_at = ? WHERE request_id = ? AND "
      "result != 'fail'");
  if (!m.ok()) return m.error();
  m->Bind(1, message);
  m->Bind(2, now);
  m->Bind(3, id);
  if (Status s = m->Run(); !s.ok()) return s;
  Result<Statement> a = db_.Prepare(
      "UPDATE attempts SET state = 'failed', error = ?, updated_at = ? WHERE request_id = ? AND "
      "state = 'prepared'");
  if (!a.ok()) return a.error();
  a->Bind(1, message);
  a->Bind(2, now);
  a->Bind(3, id);
  if (Status s = a->Run(); !s.ok()) return s;
  return txn->Commit();
}

Result<std::vector<RequestRecord>> RequestStore::OpenRequests(RequestKind kind) {
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kRequestColumns) +
                  " FROM requests WHERE kind = ? AND state = 'running' ORDER BY created_at, id");
  if (!q.ok()) return q.error();
  q->Bind(1, kind == RequestKind::kAcquire ? "acquire" : "return");
  std::vector<RequestRecord> out;
  if (Status s = ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadRequest(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Status RequestStore::MarkCleanedUp(std::string_view id, std::int64_t now) {
  Result<Statement> q =
      db_.Prepare("UPDATE requests SET cleaned_up_at = ? WHERE id = ? AND cleaned_up_at IS NULL");
  if (!q.ok()) return q.error();
  q->Bind(1, now);
  q->Bind(2, id);
  return q->Run();
}

Result<std::vector<RequestRecord>> RequestStore::FinishedNotCleanedUp() {
  Result<Statement> q = db_.Prepare(
      "SELECT " + std::string(kRequestColumns) +
      " FROM requests WHERE kind = 'acquire' AND state != 'running' AND cleaned_up_at IS NULL"
      " ORDER BY created_at, id");
  if (!q.ok()) return q.error();
  std::vector<RequestRecord> out;
  if (Status s = ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadRequest(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Result<std::vector<RequestRecord>> RequestStore::RequestsByIds(const std::set<std::string>& ids) {
  std::vector<RequestRecord> out;
  if (ids.empty()) return out;
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kRequestColumns) + " FROM requests WHERE id IN (" +
                  Placeholders(ids.size()) + ")");
  if (!q.ok()) return q.error();
  int i = 0;
  for (const std::string& id : ids) q->Bind(++i, id);
  if (Status s = ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadRequest(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Result<std::vector<AttemptRecord>> RequestStore::Attempts(std::string_view request_id) {
  Result<Statement> q = db_.Prepare(
      "SELECT request_id, number, client_token, state, error, created_at, updated_at FROM attempts "
      "WHERE request_id = ? ORDER BY number");
  if (!q.ok()) return q.error();
  q->Bind(1, request_id);
  std::vector<AttemptRecord> out;
  Status s = ForEachRow(*q, [&](const Statement& row) {
    out.push_back({row.Column<std::string>(0), static_cast<int>(row.Column<std::int64_t>(1)),
                   row.Column<std::string>(2), ParseAttemptState(row.Column<std::string>(3)),
                   row.Column<std::string>(4), row.Column<std::int64_t>(5),
                   row.Column<std::int64_t>(6)});
  });
  if (!s.ok()) return s.error();
  return out;
}

Status RequestStore::SetAttemptState(std::string_view request_id, int number, AttemptState state,
                                     std::string_view error, std::int64_t now) {
  Result<Statement> q = db_.Prepare(
      "UPDATE attempts SET state = ?, error = ?, updated_at = ? WHERE request_id = ? AND number = "
      "?");
  if (!q.ok()) return q.error();
  q->Bind(1, AttemptStateName(state));
  q->Bind(2, error);
  q->Bind(3, now);
  q->Bind(4, request_id);
  q->Bind(5, static_cast<std::int64_t>(number));
  return q->Run();
}

Result<AttemptRecord> RequestStore::AddAttempt(std::string_view request_id,
                                               std::string_view client_token, std::int64_t now) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q =
      db_.Prepare("SELECT COALESCE(MAX(number), 0) FROM attempts WHERE request_id = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, request_id);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  const int number = static_cast<int>(q->Column<std::int64_t>(0)) + 1;
  q->Reset();
  if (Status s = InsertAttempt(db_, request_id, number, client_token, now); !s.ok())
    return s.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return AttemptRecord{std::string(request_id),
                       number,
                       std::string(client_token),
                       AttemptState::kPrepared,
                       "",
                       now,
                       now};
}

Status RequestStore::SaveMachines(const std::vector<MachineRecord>& machines) {
  if (machines.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare(
      "INSERT INTO machines (" + std::string(kMachineColumns) +
      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET "
      "name = excluded.name, private_ip = excluded.private_ip, public_ip = excluded.public_ip, "
      "state = excluded.state, result = excluded.result, message = excluded.message, "
      "lifecycle = excluded.lifecycle, spot_request_id = excluded.spot_request_id, "
      "launch_time = excluded.launch_time, updated_at = excluded.updated_at");
  if (!q.ok()) return q.error();
  for (const MachineRecord& m : machines) {
    q->Bind(1, m.instance_id);
    q->Bind(2, m.request_id);
    q->Bind(3, m.template_id);
    q->Bind(4, m.name);
    q->Bind(5, m.private_ip);
    q->Bind(6, m.public_ip);
    q->Bind(7, m.state);
    q->Bind(8, m.result);
    q->Bind(9, m.message);
    q->Bind(10, m.lifecycle);
    q->Bind(11, m.spot_request_id);
    q->Bind(12, m.launch_time);
    q->Bind(13, m.created_at);
    q->Bind(14, m.updated_at);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Result<std::vector<MachineRecord>> RequestStore::MachinesOfRequest(std::string_view request_id) {
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kMachineColumns) +
                  " FROM machines WHERE request_id = ? ORDER BY created_at, instance_id");
  if (!q.ok()) return q.error();
  q->Bind(1, request_id);
  std::vector<MachineRecord> out;
  if (Status s = ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadMachine(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Result<std::vector<MachineRecord>> RequestStore::MachinesByIds(
    const std::vector<std::string>& ids) {
  std::vector<MachineRecord> out;
  if (ids.empty()) return out;
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kMachineColumns) +
                  " FROM machines WHERE instance_id IN (" + Placeholders(ids.size()) + ")");
  if (!q.ok()) return q.error();
  for (std::size_t i = 0; i < ids.size(); ++i) q->Bind(static_cast<int>(i + 1), ids[i]);
  if (Status s = ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadMachine(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Result<RequestRecord> RequestStore::CreateReturn(std::string_view id,
                                                 const std::vector<ReturnMachineRecord>& machines,
                                                 const ProcessIdentity& owner, std::int64_t now) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> r = db_.Prepare(
      "INSERT INTO requests (id, kind, machine_count, state, created_at, updated_at, polled_at, "
      "owner_pid, "
      "owner_start) VALUES (?, 'return', ?, 'running', ?, ?, NULL, ?, ?)");
  if (!r.ok()) return r.error();
  r->Bind(1, id);
  r->Bind(2, static_cast<std::int64_t>(machines.size()));
  r->Bind(3, now);
  r->Bind(4, now);
  r->Bind(5, owner.pid);
  r->Bind(6, owner.start);
  if (Status s = r->Run(); !s.ok()) return s.error();
  std::vector<ReturnMachineRecord> rows = machines;
  for (ReturnMachineRecord& m : rows) {
    m.return_id = std::string(id);
    m.updated_at = now;
  }
  // Inside the same transaction: the machines are saved with the request, or neither is.
  Result<Statement> q = db_.Prepare("INSERT INTO return_machines (" + std::string(kReturnColumns) +
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  for (const ReturnMachineRecord& m : rows) {
    q->Bind(1, m.return_id);
    q->Bind(2, m.instance_id);
    q->Bind(3, m.name);
    q->Bind(4, m.acquire_request_id);
    q->Bind(5, m.state);
    q->Bind(6, m.result.empty() ? std::string("executing") : m.result);
    q->Bind(7, m.message);
    q->Bind(8, m.updated_at);
    if (Status s = q->Run(); !s.ok()) return s.error();
    q->Reset();
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  RequestRecord rec;
  rec.id = std::string(id);
  rec.kind = RequestKind::kReturn;
  rec.machine_count = static_cast<int>(machines.size());
  rec.created_at = rec.updated_at = now;
  rec.owner = owner;
  return rec;
}

Result<std::vector<ReturnMachineRecord>> RequestStore::MachinesOfReturn(
    std::string_view return_id) {
  Result<Statement> q =
      db_.Prepare("SELECT " + std::string(kReturnColumns) +
                  " FROM return_machines WHERE return_id = ? ORDER BY instance_id");
  if (!q.ok()) return q.error();
  q->Bind(1, return_id);
  std::vector<ReturnMachineRecord> out;
  if (Status s =
          ForEachRow(*q, [&](const Statement& row) { out.push_back(ReadReturnMachine(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Status RequestStore::SaveReturnMachines(const std::vector<ReturnMachineRecord>& machines) {
  if (machines.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare(
      "UPDATE return_machines SET state = ?, result = ?, message = ?, updated_at = ? "
      "WHERE return_id = ? AND instance_id = ?");
  if (!q.ok()) return q.error();
  for (const ReturnMachineRecord& m : machines) {
    q->Bind(1, m.state);
    q->Bind(2, m.result);
    q->Bind(3, m.message);
    q->Bind(4, m.updated_at);
    q->Bind(5, m.return_id);
    q->Bind(6, m.instance_id);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Result<std::set<std::string>> RequestStore::ReturnedInstances(
    const std::vector<std::string>& instance_ids) {
  std::set<std::string> out;
  if (instance_ids.empty()) return out;
  Result<Statement> q =
      db_.Prepare("SELECT DISTINCT instance_id FROM return_machines WHERE instance_id IN (" +
                  Placeholders(instance_ids.size()) + ")");
  if (!q.ok()) return q.error();
  for (std::size_t i = 0; i < instance_ids.size(); ++i)
    q->Bind(static_cast<int>(i + 1), instance_ids[i]);
  if (Status s =
          ForEachRow(*q, [&](const Statement& row) { out.insert(row.Column<std::string>(0)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

Result<std::vector<InstanceTypeRecord>> RequestStore::InstanceTypes(
    const std::vector<std::string>& types) {
  std::vector<InstanceTypeRecord> out;
  if (types.empty()) return out;
  Result<Statement> q = db_.Prepare(
      "SELECT instance_type, vcpus, cores, memory_mib FROM instance_types WHERE instance_type IN "
      "(" +
      Placeholders(types.size()) + ")");
  if (!q.ok()) return q.error();
  for (std::size_t i = 0; i < types.size(); ++i) q->Bind(static_cast<int>(i + 1), types[i]);
  Status s = ForEachRow(*q, [&](const Statement& row) {
    out.push_back({row.Column<std::string>(0), static_cast<int>(row.Column<std::int64_t>(1)),
                   static_cast<int>(row.Column<std::int64_t>(2)), row.Column<std::int64_t>(3)});
  });
  if (!s.ok()) return s.error();
  return out;
}

Status RequestStore::SaveInstanceTypes(const std::vector<InstanceTypeRecord>& types,
                                       std::int64_t now) {
  if (types.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare(
      "INSERT OR REPLACE INTO instance_types (instance_type, vcpus, cores, memory_mib, fetched_at) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  for (const InstanceTypeRecord& t : types) {
    q->Bind(1, t.instance_type);
    q->Bind(2, static_cast<std::int64_t>(t.vcpus));
    q->Bind(3, static_cast<std::int64_t>(t.cores));
    q->Bind(4, t.memory_mib);
    q->Bind(5, now);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Status RequestStore::AddMetrics(const std::vector<MetricDelta>& deltas) {
  if (deltas.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare(
      "INSERT INTO metric_counters (name, labels, value) VALUES (?, ?, ?) "
      "ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value");
  if (!q.ok()) return q.error();
  for (const MetricDelta& d : deltas) {
    q->Bind(1, d.name);
    q->Bind(2, d.labels);
    q->Bind(3, d.value);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Result<std::vector<MetricDelta>> RequestStore::Metrics() {
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

Result<bool> RequestStore::ClaimSweep(std::string_view name, std::int64_t now,
                                      std::int64_t interval_ms) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare("SELECT last_at FROM sweeps WHERE name = ?");
  if (!q.ok()) return q.error();
  q->Bind(1, name);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.error();
  const bool recent = *row && now - q->Column<std::int64_t>(0) < interval_ms;
  q->Reset();
  if (recent) return false;
  Result<Statement> u = db_.Prepare("INSERT OR REPLACE INTO sweeps (name, last_at) VALUES (?, ?)");
  if (!u.ok()) return u.error();
  u->Bind(1, name);
  u->Bind(2, now);
  if (Status s = u->Run(); !s.ok()) return s.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return true;
}

}  // namespace ohfp::store
