#include "store/pg_request_store.h"

#include "store/pg_migrations.h"
#include "store/pg_rows.h"
#include "store/request_rules.h"
#include "store/tables.h"

namespace ohfp::store {
namespace {

using model::EpochMillis;
using resilience::Deadline;
using resilience::Result;
using resilience::Status;

// Machines a template holds: the full count of its running acquire requests plus the live
// machines of its finished ones. Both parts read only partial indexes
// (requests_running_by_template, machines_live): history is never scanned.
constexpr std::string_view kHeldSql =
    "SELECT "
    " (SELECT COALESCE(SUM(machine_count), 0) FROM requests "
    "   WHERE kind = 'acquire' AND state = 'running' AND template_id = $1) + "
    " (SELECT COUNT(*) FROM machines m JOIN requests r ON r.id = m.request_id "
    "   WHERE m.template_id = $1 AND r.state <> 'running' AND m.result <> 'fail' "
    "     AND m.state NOT IN ('terminated', 'shutting-down') "
    "     AND NOT EXISTS (SELECT 1 FROM return_machines x WHERE x.instance_id = m.instance_id))";

Result<int> HeldIn(PgConnection& c, std::string_view template_id, Deadline d) {
  Result<PgResult> r = c.Exec(kHeldSql, PgParams().Add(template_id), d);
  if (!r.ok()) return r.error();
  return static_cast<int>(r->Int(0, 0));
}

Status CheckCapacity(PgConnection& c, const NewAcquire& n, const std::string& schema, Deadline d) {
  if (!internal::ChecksCapacity(n)) return resilience::OkStatus();
  // One process at a time per template, on every host: the count and the insert below are one
  // step for everyone else. The lock ends with the transaction.
  Result<PgResult> locked =
      c.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
             PgParams().Add("ohfp-template:" + schema + "/" + n.template_id), d);
  if (!locked.ok()) return locked.error();
  Result<int> held = HeldIn(c, n.template_id, d);
  if (!held.ok()) return held.error();
  return internal::CheckCapacity(n, *held);
}

Status InsertAttempt(PgConnection& c, std::string_view request_id, int number,
                     std::string_view token, std::string_view state, model::Timestamp now,
                     Deadline d) {
  Result<PgResult> r = c.Exec(
      "INSERT INTO attempts (request_id, number, client_token, state, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $5)",
      PgParams().Add(request_id).Add(number).Add(token).Add(state).Add(EpochMillis(now)), d);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

}  // namespace

Result<std::unique_ptr<PgRequestStore>> PgRequestStore::Open(std::shared_ptr<PgPool> pool) {
  Result<int> version = ApplyPgMigrations(*pool, pool->settings().schema, "requests",
                                          internal::PgRequestMigrations());
  if (!version.ok()) return version.error();
  return std::unique_ptr<PgRequestStore>(new PgRequestStore(std::move(pool)));
}

Result<std::vector<model::Request>> PgRequestStore::Select(std::string_view where,
                                                           const PgParams& params) {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<std::vector<model::Request>> {
    Result<PgResult> r = c.Exec("SELECT " + std::string(kRequestColumns) + " FROM requests WHERE " +
                                    std::string(where) + " ORDER BY created_at, id",
                                params, d);
    if (!r.ok()) return r.error();
    std::vector<model::Request> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) out.push_back(internal::ReadPgRequest(*r, i));
    return out;
  });
}

Status PgRequestStore::Write(std::string_view sql, const PgParams& params) {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Status {
    Result<PgResult> r = c.Exec(sql, params, d);
    if (!r.ok()) return r.error();
    return resilience::OkStatus();
  });
}

Result<std::optional<std::string>> PgRequestStore::InstallationId() {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<std::optional<std::string>> {
    Result<PgResult> r = c.Exec("SELECT id FROM installation WHERE singleton = 1", d);
    if (!r.ok()) return r.error();
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->String(0, 0));
  });
}

Result<std::string> PgRequestStore::ClaimInstallation(std::string_view candidate,
                                                      model::Timestamp now) {
  return pool_->Transact(
      [&](PgConnection& c, Deadline d) -> Result<std::string> {
        // Of several claims at once, the server lets one insert; the others wait for it to commit
        // and then read what it wrote.
        Result<PgResult> ins = c.Exec(
            "INSERT INTO installation (singleton, id, created_at) VALUES (1, $1, $2) "
            "ON CONFLICT (singleton) DO NOTHING",
            PgParams().Add(candidate).Add(EpochMillis(now)), d);
        if (!ins.ok()) return ins.error();
        Result<PgResult> r = c.Exec("SELECT id FROM installation WHERE singleton = 1", d);
        if (!r.ok()) return r.error();
        if (r->rows() == 0) return std::string(candidate);
        return r->String(0, 0);
      },
      Durability::kFlushed);
}

Result<model::Request> PgRequestStore::CreateAcquire(const NewAcquire& n) {
  const std::string& schema = pool_->settings().schema;
  Status saved = pool_->Transact(
      [&](PgConnection& c, Deadline d) -> Status {
        if (Status s = CheckCapacity(c, n, schema, d); !s.ok()) return s;
        Result<PgResult> r = c.Exec(
            "INSERT INTO requests (id, kind, template_id, machine_count, provider_api, state, "
            "created_at, updated_at, polled_at, owner_pid, owner_start, owner_host, image_id) "
            "VALUES ($1, 'acquire', $2, $3, $4, 'running', $5, $5, $6, $7, $8, $9, $10)",
            PgParams()
                .Add(n.id)
                .Add(n.template_id)
                .Add(n.machine_count)
                .Add(model::ProviderApiName(n.provider_api))
                .Add(EpochMillis(n.now))
                .Add(n.adopted ? std::optional<std::int64_t>(EpochMillis(n.now)) : std::nullopt)
                .Add(n.owner.pid)
                .Add(n.owner.start)
                .Add(n.owner.host)
                .Add(n.image_id),
            d);
        if (!r.ok()) return r.error();
        return InsertAttempt(c, n.id, 1, n.client_token,
                             model::AttemptStateName(internal::FirstAttemptState(n)), n.now, d);
      },
      Durability::kFlushed);  // on disk before AWS is called for it
  if (!saved.ok()) return saved.error();
  return internal::AcquiredRequest(n);
}

Result<int> PgRequestStore::HeldMachines(std::string_view template_id) {
  return pool_->Run(
      [&](PgConnection& c, Deadline d) -> Result<int> { return HeldIn(c, template_id, d); });
}

Result<std::optional<model::Request>> PgRequestStore::GetRequest(std::string_view id) {
  Result<std::vector<model::Request>> found = Select("id = $1", PgParams().Add(id));
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<model::Request>();
  return std::optional<model::Request>(std::move(found->front()));
}

Status PgRequestStore::MarkPolled(const std::vector<std::string>& ids, model::Timestamp now) {
  if (ids.empty()) return resilience::OkStatus();
  return Write(
      "UPDATE requests SET polled_at = $1 WHERE id = ANY($2::text[]) AND polled_at IS NULL",
      PgParams().Add(EpochMillis(now)).AddTextArray(ids));
}

Status PgRequestStore::SetRequestState(std::string_view id, model::RequestState state,
                                       std::string_view message, model::Timestamp now) {
  return Write(
      "UPDATE requests SET state = $1, message = $2, updated_at = $3 WHERE id = $4 "
      "AND state = 'running'",
      PgParams().Add(model::RequestStateName(state)).Add(message).Add(EpochMillis(now)).Add(id));
}

Status PgRequestStore::SetRequestResources(std::string_view id, const model::CloudRef& created,
                                           model::Timestamp now) {
  return Write(
      "UPDATE requests SET resource_id = $1, launch_template_id = $2, updated_at = $3 "
      "WHERE id = $4",
      PgParams()
          .Add(created.resource_id)
          .Add(created.launch_template_id)
          .Add(EpochMillis(now))
          .Add(id));
}

Result<bool> PgRequestStore::AbandonRequest(std::string_view id, std::string_view message,
                                            model::Timestamp now) {
  static constexpr std::string_view kUpdates[] = {
      "UPDATE requests SET state = 'complete_with_error', abandoned = 1, message = $1, "
      "updated_at = $2 WHERE id = $3 AND state = 'running' AND polled_at IS NULL",
      "UPDATE machines SET result = 'fail', message = $1, updated_at = $2 "
      "WHERE request_id = $3 AND result <> 'fail'",
      "UPDATE attempts SET state = 'failed', error = $1, updated_at = $2 "
      "WHERE request_id = $3 AND state = 'prepared'",
  };
  const PgParams params = PgParams().Add(message).Add(EpochMillis(now)).Add(id);
  return pool_->Transact([&](PgConnection& c, Deadline d) -> Result<bool> {
    // The first update locks the request's row: a poll marking it polled either went first
    // (nothing is abandoned) or waits for this transaction and then finds it finished.
    for (std::string_view sql : kUpdates) {
      Result<PgResult> r = c.Exec(sql, params, d);
      if (!r.ok()) return r.error();
      if (sql == kUpdates[0] && r->affected() == 0) return false;  // nothing else changes
    }
    return true;
  });
}

Result<std::vector<model::Request>> PgRequestStore::OpenRequests(model::RequestKind kind) {
  return Select("kind = $1 AND state = 'running'", PgParams().Add(model::RequestKindName(kind)));
}

Status PgRequestStore::MarkCleanedUp(std::string_view id, model::Timestamp now) {
  return Write("UPDATE requests SET cleaned_up_at = $1 WHERE id = $2 AND cleaned_up_at IS NULL",
               PgParams().Add(EpochMillis(now)).Add(id));
}

Result<std::vector<model::Request>> PgRequestStore::FinishedNotCleanedUp() {
  return Select("kind = 'acquire' AND state <> 'running' AND cleaned_up_at IS NULL", PgParams());
}

Result<std::vector<model::Request>> PgRequestStore::RequestsByIds(
    const std::set<std::string>& ids) {
  if (ids.empty()) return std::vector<model::Request>();
  return Select("id = ANY($1::text[])",
                PgParams().AddTextArray(std::vector<std::string>(ids.begin(), ids.end())));
}

Result<std::vector<model::Attempt>> PgRequestStore::Attempts(std::string_view request_id) {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<std::vector<model::Attempt>> {
    Result<PgResult> r = c.Exec("SELECT " + std::string(kAttemptColumns) +
                                    " FROM attempts WHERE request_id = $1 ORDER BY number",
                                PgParams().Add(request_id), d);
    if (!r.ok()) return r.error();
    std::vector<model::Attempt> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(internal::ReadPgAttempt(*r, i));
    return out;
  });
}

Status PgRequestStore::SetAttemptState(std::string_view request_id, int number,
                                       model::AttemptState state, std::string_view error,
                                       model::Timestamp now) {
  return Write(
      "UPDATE attempts SET state = $1, error = $2, updated_at = $3 "
      "WHERE request_id = $4 AND number = $5",
      PgParams()
          .Add(model::AttemptStateName(state))
          .Add(error)
          .Add(EpochMillis(now))
          .Add(request_id)
          .Add(number));
}

Result<model::Attempt> PgRequestStore::AddAttempt(std::string_view request_id,
                                                  std::string_view client_token,
                                                  model::Timestamp now) {
  return pool_->Transact(
      [&](PgConnection& c, Deadline d) -> Result<model::Attempt> {
        // The request's row lock orders processes adding attempts to one request.
        Result<PgResult> locked = c.Exec("SELECT 1 FROM requests WHERE id = $1 FOR UPDATE",
                                         PgParams().Add(request_id), d);
        if (!locked.ok()) return locked.error();
        Result<PgResult> last =
            c.Exec("SELECT COALESCE(MAX(number), 0) FROM attempts WHERE request_id = $1",
                   PgParams().Add(request_id), d);
        if (!last.ok()) return last.error();
        const int number = static_cast<int>(last->Int(0, 0)) + 1;
        if (Status s =
                InsertAttempt(c, request_id, number, client_token,
                              model::AttemptStateName(model::AttemptState::kPrepared), now, d);
            !s.ok()) {
          return s.error();
        }
        return internal::PreparedAttempt(request_id, number, client_token, now);
      },
      Durability::kFlushed);  // its ClientToken is on disk before AWS is called with it
}

Result<model::Request> PgRequestStore::CreateReturn(
    std::string_view id, const std::vector<model::ReturnMachine>& machines,
    const model::ProcessIdentity& owner, model::Timestamp now) {
  std::vector<std::string> instance, name, acquire, state, result, message;
  for (const model::ReturnMachine& m : machines) {
    instance.push_back(m.instance_id);
    name.push_back(m.name);
    acquire.push_back(m.acquire_request_id);
    state.push_back(std::string(model::InstanceStateName(m.state)));
    result.push_back(std::string(model::MachineResultName(m.result)));
    message.push_back(m.message);
  }
  Status saved = pool_->Transact(
      [&](PgConnection& c, Deadline d) -> Status {
        Result<PgResult> r = c.Exec(
            "INSERT INTO requests (id, kind, machine_count, state, created_at, updated_at, "
            "polled_at, owner_pid, owner_start, owner_host) "
            "VALUES ($1, 'return', $2, 'running', $3, $3, NULL, $4, $5, $6)",
            PgParams()
                .Add(id)
                .Add(static_cast<std::int64_t>(machines.size()))
                .Add(EpochMillis(now))
                .Add(owner.pid)
                .Add(owner.start)
                .Add(owner.host),
            d);
        if (!r.ok()) return r.error();
        if (machines.empty()) return resilience::OkStatus();
        // In the same transaction: the machines are saved with the request, or neither is.
        Result<PgResult> m =
            c.Exec("INSERT INTO return_machines (" + std::string(kReturnColumns) +
                       ") SELECT $1, i, n, a, s, r, msg, $2 FROM unnest($3::text[], $4::text[], "
                       "$5::text[], "
                       "$6::text[], $7::text[], $8::text[]) AS t (i, n, a, s, r, msg)",
                   PgParams()
                       .Add(id)
                       .Add(EpochMillis(now))
                       .AddTextArray(instance)
                       .AddTextArray(name)
                       .AddTextArray(acquire)
                       .AddTextArray(state)
                       .AddTextArray(result)
                       .AddTextArray(message),
                   d);
        if (!m.ok()) return m.error();
        return resilience::OkStatus();
      },
      Durability::kFlushed);  // on disk before any instance is terminated
  if (!saved.ok()) return saved.error();
  return internal::ReturnRequest(id, static_cast<int>(machines.size()), owner, now);
}

}  // namespace ohfp::store
