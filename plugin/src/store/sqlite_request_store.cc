#include "store/sqlite_request_store.h"

#include "store/migrations.h"
#include "store/request_rules.h"
#include "store/sqlite_rows.h"
#include "store/tables.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

using internal::ReadRequest;
using model::EpochMillis;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

Status InsertAttempt(Database& db, std::string_view request_id, int number, std::string_view token,
                     std::string_view state, model::Timestamp now) {
  Result<Statement> q = db.Prepare(
      "INSERT INTO attempts (request_id, number, client_token, state, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  q->BindAll(request_id, number, token, state, EpochMillis(now), EpochMillis(now));
  return q->Run();
}

// machines_live (migration 4) holds only the live machines: history costs nothing here.
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

// Requests matching `where`, with `values` bound to its parameters, oldest first.
template <class... V>
Result<std::vector<model::Request>> SelectRequests(Database& db, std::string_view where,
                                                   const V&... values) {
  return internal::SelectRows(db,
                              "SELECT " + std::string(kRequestColumns) + " FROM requests WHERE " +
                                  std::string(where) + " ORDER BY created_at, id",
                              ReadRequest, values...);
}

Status CheckCapacity(Database& db, const NewAcquire& n) {
  if (!internal::ChecksCapacity(n)) return resilience::OkStatus();
  Result<int> held = HeldIn(db, n.template_id);
  if (!held.ok()) return held.error();
  return internal::CheckCapacity(n, *held);
}

}  // namespace

Result<std::unique_ptr<SqliteRequestStore>> SqliteRequestStore::Open(
    const std::filesystem::path& file, const DatabaseOptions& options) {
  Result<Database> db = Database::Open(file, options);
  if (!db.ok()) return db.error();
  if (options.read_only) {
    // Nothing can be migrated: the schema must be the one this ohfp writes.
    const int expected = static_cast<int>(internal::RequestMigrations().size());
    Result<int> version = SchemaVersion(*db, "requests");
    if (!version.ok()) return version.error();
    if (*version != expected) {
      return Error(ErrorKind::kInternal, "StoreSchema",
                   file.string() + ": schema 'requests' is at version " + std::to_string(*version) +
                       ", this ohfp reads version " + std::to_string(expected) +
                       "; open it read-write once (any command)");
    }
  } else {
    Result<int> version = ApplyMigrations(*db, "requests", internal::RequestMigrations());
    if (!version.ok()) return version.error();
  }
  return std::unique_ptr<SqliteRequestStore>(new SqliteRequestStore(std::move(*db)));
}

Result<std::optional<std::string>> SqliteRequestStore::InstallationId() {
  return internal::ReadInstallationId(db_);
}

Result<std::string> SqliteRequestStore::ClaimInstallation(std::string_view candidate,
                                                          model::Timestamp now) {
  Result<Transaction> txn = Transaction::Begin(db_, TransactionMode::kImmediate);
  if (!txn.ok()) return txn.error();
  Result<Statement> q = db_.Prepare(
      "INSERT INTO installation (singleton, id, created_at) VALUES (1, ?, ?) "
      "ON CONFLICT (singleton) DO NOTHING");
  if (!q.ok()) return q.error();
  q->Bind(1, candidate);
  q->Bind(2, EpochMillis(now));
  if (Status s = q->Run(); !s.ok()) return s.error();
  Result<std::optional<std::string>> id = InstallationId();
  if (!id.ok()) return id.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return id->value_or(std::string(candidate));
}

Result<model::Request> SqliteRequestStore::CreateAcquire(const NewAcquire& n) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  if (Status s = CheckCapacity(db_, n); !s.ok()) return s.error();
  Result<Statement> q = db_.Prepare(
      "INSERT INTO requests (id, kind, template_id, machine_count, provider_api, state, "
      "created_at, updated_at, polled_at, owner_pid, owner_start, owner_host, image_id) "
      "VALUES (?, 'acquire', ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  q->BindAll(n.id, n.template_id, n.machine_count, model::ProviderApiName(n.provider_api),
             EpochMillis(n.now), EpochMillis(n.now),
             n.adopted ? std::optional<std::int64_t>(EpochMillis(n.now)) : std::nullopt,
             n.owner.pid, n.owner.start, n.owner.host, n.image_id);
  if (Status s = q->Run(); !s.ok()) return s.error();
  if (Status s = InsertAttempt(db_, n.id, 1, n.client_token,
                               model::AttemptStateName(internal::FirstAttemptState(n)), n.now);
      !s.ok()) {
    return s.error();
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return internal::AcquiredRequest(n);
}

Result<int> SqliteRequestStore::HeldMachines(std::string_view template_id) {
  return HeldIn(db_, template_id);
}

Result<std::optional<model::Request>> SqliteRequestStore::GetRequest(std::string_view id) {
  Result<std::vector<model::Request>> found = SelectRequests(db_, "id = ?", id);
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<model::Request>();
  return std::optional<model::Request>(std::move(found->front()));
}

Status SqliteRequestStore::MarkPolled(const std::vector<std::string>& ids, model::Timestamp now) {
  if (ids.empty()) return resilience::OkStatus();
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> q =
      db_.Prepare("UPDATE requests SET polled_at = ? WHERE id = ? AND polled_at IS NULL");
  if (!q.ok()) return q.error();
  for (const std::string& id : ids) {
    q->Bind(1, EpochMillis(now));
    q->Bind(2, id);
    if (Status s = q->Run(); !s.ok()) return s;
    q->Reset();
  }
  return txn->Commit();
}

Status SqliteRequestStore::SetRequestState(std::string_view id, model::RequestState state,
                                           std::string_view message, model::Timestamp now) {
  Result<Statement> q = db_.Prepare(
      "UPDATE requests SET state = ?, message = ?, updated_at = ? WHERE id = ? "
      "AND state = 'running'");
  if (!q.ok()) return q.error();
  q->BindAll(model::RequestStateName(state), message, EpochMillis(now), id);
  return q->Run();
}

Status SqliteRequestStore::SetRequestResources(std::string_view id, const model::CloudRef& created,
                                               model::Timestamp now) {
  Result<Statement> q = db_.Prepare(
      "UPDATE requests SET resource_id = ?, launch_template_id = ?, updated_at = ? WHERE id = ?");
  if (!q.ok()) return q.error();
  q->BindAll(created.resource_id, created.launch_template_id, EpochMillis(now), id);
  return q->Run();
}

Result<bool> SqliteRequestStore::AbandonRequest(std::string_view id, std::string_view message,
                                                model::Timestamp now) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  static constexpr std::string_view kUpdates[] = {
      "UPDATE requests SET state = 'complete_with_error', abandoned = 1, message = ?1, "
      "updated_at = ?2 WHERE id = ?3 AND state = 'running' AND polled_at IS NULL",
      "UPDATE machines SET result = 'fail', message = ?1, updated_at = ?2 "
      "WHERE request_id = ?3 AND result != 'fail'",
      "UPDATE attempts SET state = 'failed', error = ?1, updated_at = ?2 "
      "WHERE request_id = ?3 AND state = 'prepared'",
  };
  for (std::string_view sql : kUpdates) {
    Result<Statement> q = db_.Prepare(sql);
    if (!q.ok()) return q.error();
    q->BindAll(message, EpochMillis(now), id);
    if (Status s = q->Run(); !s.ok()) return s.error();
    if (sql == kUpdates[0] && db_.changes() == 0) return false;  // rolls back: nothing changed
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return true;
}

Result<std::vector<model::Request>> SqliteRequestStore::OpenRequests(model::RequestKind kind) {
  return SelectRequests(db_, "kind = ? AND state = 'running'", model::RequestKindName(kind));
}

Status SqliteRequestStore::MarkCleanedUp(std::string_view id, model::Timestamp now) {
  Result<Statement> q =
      db_.Prepare("UPDATE requests SET cleaned_up_at = ? WHERE id = ? AND cleaned_up_at IS NULL");
  if (!q.ok()) return q.error();
  q->Bind(1, EpochMillis(now));
  q->Bind(2, id);
  return q->Run();
}

Result<std::vector<model::Request>> SqliteRequestStore::FinishedNotCleanedUp() {
  return SelectRequests(db_, "kind = 'acquire' AND state != 'running' AND cleaned_up_at IS NULL");
}

Result<std::vector<model::Request>> SqliteRequestStore::RequestsByIds(
    const std::set<std::string>& ids) {
  return internal::SelectRowsByIds(
      db_, "SELECT " + std::string(kRequestColumns) + " FROM requests WHERE id IN ", ids,
      ReadRequest);
}

Result<RequestPage> SqliteRequestStore::ListRequests(const RequestQuery& query) {
  internal::Filter filter;
  internal::AddFilters(filter, query);
  RequestPage page;
  Result<int> total = internal::CountAndPage(
      db_, "requests", kRequestColumns, filter, "created_at DESC, id DESC", query.limit,
      query.offset, [&](const Statement& row) { page.requests.push_back(ReadRequest(row)); });
  if (!total.ok()) return total.error();
  page.total = *total;
  return page;
}

Result<std::vector<model::Attempt>> SqliteRequestStore::Attempts(std::string_view request_id) {
  return internal::SelectRows(db_,
                              "SELECT " + std::string(kAttemptColumns) +
                                  " FROM attempts WHERE request_id = ? ORDER BY number",
                              internal::ReadAttempt, request_id);
}

Status SqliteRequestStore::SetAttemptState(std::string_view request_id, int number,
                                           model::AttemptState state, std::string_view error,
                                           model::Timestamp now) {
  Result<Statement> q = db_.Prepare(
      "UPDATE attempts SET state = ?, error = ?, updated_at = ? WHERE request_id = ? AND "
      "number = ?");
  if (!q.ok()) return q.error();
  q->BindAll(model::AttemptStateName(state), error, EpochMillis(now), request_id, number);
  return q->Run();
}

Result<model::Attempt> SqliteRequestStore::AddAttempt(std::string_view request_id,
                                                      std::string_view client_token,
                                                      model::Timestamp now) {
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
  if (Status s = InsertAttempt(db_, request_id, number, client_token,
                               model::AttemptStateName(model::AttemptState::kPrepared), now);
      !s.ok()) {
    return s.error();
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return internal::PreparedAttempt(request_id, number, client_token, now);
}

Result<model::Request> SqliteRequestStore::CreateReturn(
    std::string_view id, const std::vector<model::ReturnMachine>& machines,
    const model::ProcessIdentity& owner, model::Timestamp now) {
  Result<Transaction> txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.error();
  Result<Statement> r = db_.Prepare(
      "INSERT INTO requests (id, kind, machine_count, state, created_at, updated_at, polled_at, "
      "owner_pid, owner_start, owner_host) "
      "VALUES (?, 'return', ?, 'running', ?, ?, NULL, ?, ?, ?)");
  if (!r.ok()) return r.error();
  r->BindAll(id, machines.size(), EpochMillis(now), EpochMillis(now), owner.pid, owner.start,
             owner.host);
  if (Status s = r->Run(); !s.ok()) return s.error();
  // Inside the same transaction: the machines are saved with the request, or neither is.
  Result<Statement> q =
      db_.Prepare("INSERT INTO return_machines (" + std::string(internal::kReturnColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.error();
  for (model::ReturnMachine m : machines) {
    m.return_id = std::string(id);
    m.updated_at = now;
    internal::BindReturnMachine(*q, m);
    if (Status s = q->Run(); !s.ok()) return s.error();
    q->Reset();
  }
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return internal::ReturnRequest(id, static_cast<int>(machines.size()), owner, now);
}

}  // namespace ohfp::store
