// store/pg_request_store.h
//
// PgRequestStore: the RequestStore (store/request_store.h) in PostgreSQL, for installations whose
// HostFactory can run on more than one host (a failover pair) and installations that share one
// server. Its tables live in the configured schema (store.schema, default "ohfp"), created and
// kept up to date by the "requests" component's migrations (store/pg_rows.h, pg_migrations.h) on
// Open(). The same tables and values as SQLite's (store/tables.h).
//
// The guarantees SQLite gets from its single writer come here from explicit locks, in
// transactions at READ COMMITTED:
//  - CreateAcquire takes a transaction-level advisory lock on the template (keyed by schema and
//    template id) before counting what the template holds, so maxNumber holds across every
//    process on every host; AddAttempt locks its request's row;
//  - ClaimInstallation and ClaimSweep are single statements (INSERT ... ON CONFLICT) that the
//    server serializes;
//  - lists of ids of any length travel as one text[] parameter (= ANY($1)), machines are saved
//    with one statement per call (unnest of arrays), so a poll of hundreds of machines costs a few
//    round trips, not hundreds.
// Every call has a deadline (store.timeout_ms; PgPool); failures are errors, never empty answers
// (store/pg_error.h for the kinds).
//
// Thread-safety: one PgRequestStore per thread (as the contract says); it shares its PgPool,
// which is thread-safe, with the process's PgStateStore.
//
// Example:
//   Result<std::shared_ptr<PgPool>> pool = PgPool::Open(settings, clock);
//   Result<std::unique_ptr<PgRequestStore>> store = PgRequestStore::Open(*pool);
#pragma once

#include <memory>

#include "store/pg_pool.h"
#include "store/request_store.h"

namespace ohfp::store {

class PgRequestStore final : public RequestStore {
 public:
  // Brings the "requests" schema in pool->settings().schema up to date.
  [[nodiscard]] static resilience::Result<std::unique_ptr<PgRequestStore>> Open(
      std::shared_ptr<PgPool> pool);

  resilience::Result<std::optional<std::string>> InstallationId() override;
  resilience::Result<std::string> ClaimInstallation(std::string_view candidate,
                                                    model::Timestamp now) override;

  resilience::Result<model::Request> CreateAcquire(const NewAcquire& n) override;
  resilience::Result<int> HeldMachines(std::string_view template_id) override;
  resilience::Result<std::optional<model::Request>> GetRequest(std::string_view id) override;
  resilience::Status MarkPolled(const std::vector<std::string>& ids, model::Timestamp now) override;
  resilience::Status SetRequestState(std::string_view id, model::RequestState state,
                                     std::string_view message, model::Timestamp now) override;
  resilience::Status SetRequestResources(std::string_view id, const model::CloudRef& created,
                                         model::Timestamp now) override;
  resilience::Result<bool> AbandonRequest(std::string_view id, std::string_view message,
                                          model::Timestamp now) override;
  resilience::Result<std::vector<model::Request>> OpenRequests(model::RequestKind kind) override;
  resilience::Status MarkCleanedUp(std::string_view id, model::Timestamp now) override;
  resilience::Result<std::vector<model::Request>> FinishedNotCleanedUp() override;
  resilience::Result<std::vector<model::Request>> RequestsByIds(
      const std::set<std::string>& ids) override;
  resilience::Result<RequestPage> ListRequests(const RequestQuery& query) override;

  resilience::Result<std::vector<model::Attempt>> Attempts(std::string_view request_id) override;
  resilience::Status SetAttemptState(std::string_view request_id, int number,
                                     model::AttemptState state, std::string_view error,
                                     model::Timestamp now) override;
  resilience::Result<model::Attempt> AddAttempt(std::string_view request_id,
                                                std::string_view client_token,
                                                model::Timestamp now) override;

  resilience::Status SaveMachines(const std::vector<model::Machine>& machines) override;
  resilience::Result<std::vector<model::Machine>> MachinesOfRequest(
      std::string_view request_id) override;
  resilience::Result<std::vector<model::Machine>> MachinesByIds(
      const std::vector<std::string>& ids) override;
  resilience::Result<std::vector<model::Machine>> MachinesByNames(
      const std::vector<std::string>& names) override;
  resilience::Result<MachinePage> ListMachines(const MachineQuery& query) override;

  resilience::Result<model::Request> CreateReturn(std::string_view id,
                                                  const std::vector<model::ReturnMachine>& machines,
                                                  const model::ProcessIdentity& owner,
                                                  model::Timestamp now) override;
  resilience::Result<std::vector<model::ReturnMachine>> MachinesOfReturn(
      std::string_view return_id) override;
  resilience::Status SaveReturnMachines(const std::vector<model::ReturnMachine>& machines) override;
  resilience::Result<std::set<std::string>> ReturnedInstances(
      const std::vector<std::string>& instance_ids) override;

  resilience::Result<std::vector<model::InstanceType>> InstanceTypes(
      const std::vector<std::string>& types) override;
  resilience::Status SaveInstanceTypes(const std::vector<model::InstanceType>& types,
                                       model::Timestamp now) override;

  resilience::Result<std::vector<CachedValue>> CachedValues(
      std::string_view kind, const std::vector<std::string>& keys) override;
  resilience::Status SaveCachedValues(
      std::string_view kind, const std::vector<std::pair<std::string, std::string>>& values,
      model::Timestamp now) override;

  resilience::Status AddMetrics(const std::vector<MetricDelta>& deltas) override;
  resilience::Result<std::vector<MetricDelta>> Metrics() override;

  resilience::Result<bool> ClaimSweep(std::string_view name, model::Timestamp now,
                                      std::chrono::milliseconds interval) override;
  resilience::Result<int> PurgeFinished(model::Timestamp before, int limit) override;

  PgPool& pool() noexcept { return *pool_; }

 private:
  explicit PgRequestStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}
  // Requests matching `where` (with `params`), oldest first.
  resilience::Result<std::vector<model::Request>> Select(std::string_view where,
                                                         const PgParams& params);
  // One statement outside a transaction; its result dropped.
  resilience::Status Write(std::string_view sql, const PgParams& params);

  std::shared_ptr<PgPool> pool_;
};

}  // namespace ohfp::store
