// store/sqlite_request_store.h
//
// SqliteRequestStore: the RequestStore (store/request_store.h) in the SQLite database in
// HostFactory's work directory, the embedded default. Its schema is the "requests" component's
// numbered migrations (store/sqlite_rows.h), applied on Open(); times are stored as epoch
// milliseconds (launch times as epoch seconds), states by the names model/ gives them.
//
// Lists of ids of any length are read in slices, so a HostFactory call with hundreds of thousands
// of machines never meets SQLite's limit on bound parameters.
//
// Thread-safety: one SqliteRequestStore (one connection) per thread; any number of processes
// share the file.
//
// Example:
//   Result<std::unique_ptr<SqliteRequestStore>> store =
//       SqliteRequestStore::Open(workdir / "ohfp-state.db");
#pragma once

#include <filesystem>
#include <memory>

#include "store/database.h"
#include "store/request_store.h"

namespace ohfp::store {

class SqliteRequestStore final : public RequestStore {
 public:
  // Opens the database (creating it) and brings the "requests" schema up to date. With
  // `options.read_only`, opens an existing database for reading (every write fails) and checks that
  // its schema is the current one instead of migrating it.
  [[nodiscard]] static resilience::Result<std::unique_ptr<SqliteRequestStore>> Open(
      const std::filesystem::path& file, const DatabaseOptions& options = {});

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

  Database& database() noexcept { return db_; }

 private:
  explicit SqliteRequestStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace ohfp::store
