// store/request_store.h
//
// RequestStore: the contract of the plugin's own records, shared by every HostFactory process of
// an installation: its identity, requests (HostFactory's acquire "req-" and return "ret-"
// requests), launch attempts with their EC2 ClientTokens, machines, the machines of each return
// request, cached instance types and metric counters. Every method takes and returns model types
// (model/); rows and column names stay inside the backend. SqliteRequestStore
// (store/sqlite_request_store.h) is the embedded backend; PgRequestStore
// (store/pg_request_store.h) keeps the same records in PostgreSQL, shared by several hosts.
//
// Crash safety rests on rules every backend enforces, each in one transaction:
//  - an acquire request and its first attempt (with the ClientToken every retry will reuse) are
//    saved *before* any cloud call, after checking the template's maxNumber against every open
//    request;
//  - a return request and its machines are saved before any instance is terminated;
//  - a request records which process created it and when HostFactory first asked about it, so a
//    later process can tell a live request from one whose creator died before HostFactory learned
//    its id;
//  - the installation's identity is claimed once: of several processes claiming it at once, one
//    wins and all see its value.
// Reads either succeed in full or fail: a failed read is an error, never an empty answer.
//
// Thread-safety: one store (one connection) per thread; any number of processes share it.
//
// Example:
//   Result<std::unique_ptr<RequestStore>> store = SqliteRequestStore::Open(workdir / "ohfp.db");
//   Result<model::Request> r = (*store)->CreateAcquire({.id = "req-1", .template_id = "T",
//                                                       .machine_count = 3, .max_number = 10,
//                                                       .client_token = "req-1-1", ...});
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/instance.h"
#include "model/machine.h"
#include "model/request.h"
#include "model/template.h"
#include "model/time.h"
#include "ohfp/resilience/result.h"

namespace ohfp::store {

struct NewAcquire {
  std::string id{};
  std::string template_id{};
  int machine_count = 0;
  model::ProviderApi provider_api = model::ProviderApi::kRunInstances;
  int max_number = -1;     // the template's maxNumber; -1: unlimited
  std::string image_id{};  // the image every attempt launches (model::Request::image_id)
  std::string client_token{};
  model::ProcessIdentity owner{};
  model::Timestamp now{};
  // Adoption (`ohfp reconcile --adopt`) records a request rebuilt from the cloud's tags: its first
  // attempt is saved as succeeded, HostFactory counts as having asked about it, and maxNumber is
  // not checked (the machines exist already).
  bool adopted = false;
};

// A listing of requests (`ohfp serve`): every set field narrows it; newest first (created_at, then
// id, descending); `offset` rows skipped, at most `limit` returned (0: only the total).
struct RequestQuery {
  std::optional<model::RequestKind> kind{};
  std::optional<model::RequestState> state{};
  std::string template_id{};                        // "": any
  std::optional<model::Timestamp> created_from{};   // created_at >= this
  std::optional<model::Timestamp> created_until{};  // created_at < this
  int limit = 100;
  int offset = 0;
};
struct RequestPage {
  std::vector<model::Request> requests{};
  int total = 0;  // rows matching the query, paging aside
};

// A listing of machines (`ohfp serve`), newest first (created_at, then instance id, descending).
struct MachineQuery {
  std::optional<model::MachineResult> result{};
  std::string template_id{};  // "": any
  int limit = 100;
  int offset = 0;
};
struct MachinePage {
  std::vector<model::Machine> machines{};
  int total = 0;
};

// A value the cloud gives slowly and seldom changes (an image's root device name, an SSM
// parameter's value), as cached for every process: `key` within a `kind`.
struct CachedValue {
  std::string key{};
  std::string value{};
  model::Timestamp fetched_at{};
  friend bool operator==(const CachedValue&, const CachedValue&) = default;
};

struct MetricDelta {
  std::string name{};
  // A canonical label string, e.g. operation="ec2_run_instances",service="aws_ec2".
  std::string labels{};
  double value = 0;
};

class RequestStore {
 public:
  virtual ~RequestStore() = default;

  // --- the installation ---
  // The identity recorded in the store; nullopt for a store that has none yet (new or emptied).
  [[nodiscard]] virtual resilience::Result<std::optional<std::string>> InstallationId() = 0;
  // Records `candidate` as the identity unless one is recorded already; returns the recorded one.
  [[nodiscard]] virtual resilience::Result<std::string> ClaimInstallation(
      std::string_view candidate, model::Timestamp now) = 0;

  // --- acquire requests ---
  // Checks capacity and saves the request and its first attempt, in one transaction. Not enough
  // room under maxNumber is kValidation "NotEnoughCapacity", naming what is available.
  [[nodiscard]] virtual resilience::Result<model::Request> CreateAcquire(const NewAcquire& n) = 0;
  // Machines a template holds: the full count of every running acquire request of the template
  // plus the live (not failed, not returned) machines of its finished requests.
  [[nodiscard]] virtual resilience::Result<int> HeldMachines(std::string_view template_id) = 0;
  [[nodiscard]] virtual resilience::Result<std::optional<model::Request>> GetRequest(
      std::string_view id) = 0;
  // Records that HostFactory asked about these requests (first time only).
  [[nodiscard]] virtual resilience::Status MarkPolled(const std::vector<std::string>& ids,
                                                      model::Timestamp now) = 0;
  // Changes a running request's state and message. A finished request keeps its state: HostFactory
  // may already have been told it.
  [[nodiscard]] virtual resilience::Status SetRequestState(std::string_view id,
                                                           model::RequestState state,
                                                           std::string_view message,
                                                           model::Timestamp now) = 0;
  [[nodiscard]] virtual resilience::Status SetRequestResources(std::string_view id,
                                                               const model::CloudRef& created,
                                                               model::Timestamp now) = 0;
  // Marks a request reclaimed (complete_with_error, abandoned), fails its machines and its
  // prepared attempts, in one transaction, if it is still running and HostFactory has still not
  // asked about it; false (and nothing changed) otherwise: a poll that got in first wins, so a
  // request HostFactory learned of is never reclaimed on a stale read.
  [[nodiscard]] virtual resilience::Result<bool> AbandonRequest(std::string_view id,
                                                                std::string_view message,
                                                                model::Timestamp now) = 0;
  // Running requests, oldest first.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Request>> OpenRequests(
      model::RequestKind kind) = 0;
  // Records that what the cloud holds for this acquire request (fleet, group, launch template) is
  // deleted; the first time only.
  [[nodiscard]] virtual resilience::Status MarkCleanedUp(std::string_view id,
                                                         model::Timestamp now) = 0;
  // Finished acquire requests not yet cleaned up (some may still hold machines), oldest first.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Request>> FinishedNotCleanedUp() = 0;
  // Requests with these ids (unknown ids are simply absent).
  [[nodiscard]] virtual resilience::Result<std::vector<model::Request>> RequestsByIds(
      const std::set<std::string>& ids) = 0;

  // Requests matching `query`, one page of them and the total (for operators: `ohfp serve`). One
  // read transaction: the page and the total agree.
  [[nodiscard]] virtual resilience::Result<RequestPage> ListRequests(const RequestQuery& query) = 0;

  // --- attempts ---
  [[nodiscard]] virtual resilience::Result<std::vector<model::Attempt>> Attempts(
      std::string_view request_id) = 0;
  [[nodiscard]] virtual resilience::Status SetAttemptState(std::string_view request_id, int number,
                                                           model::AttemptState state,
                                                           std::string_view error,
                                                           model::Timestamp now) = 0;
  [[nodiscard]] virtual resilience::Result<model::Attempt> AddAttempt(std::string_view request_id,
                                                                      std::string_view client_token,
                                                                      model::Timestamp now) = 0;

  // --- machines ---
  // Inserts or updates (by instance id) every field but request_id, template_id and created_at.
  [[nodiscard]] virtual resilience::Status SaveMachines(
      const std::vector<model::Machine>& machines) = 0;
  [[nodiscard]] virtual resilience::Result<std::vector<model::Machine>> MachinesOfRequest(
      std::string_view request_id) = 0;
  // Any number of ids.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Machine>> MachinesByIds(
      const std::vector<std::string>& ids) = 0;
  // Machines whose host name (model::Machine::name, the private DNS name HostFactory knows them
  // by) is one of `names`, compared exactly; any number of names. Oldest first.
  [[nodiscard]] virtual resilience::Result<std::vector<model::Machine>> MachinesByNames(
      const std::vector<std::string>& names) = 0;
  // Machines matching `query`, newest first, one page and the total (for operators: `ohfp
  // serve`; and getReturnRequests without a list, which reads every machine that succeeded).
  [[nodiscard]] virtual resilience::Result<MachinePage> ListMachines(const MachineQuery& query) = 0;

  // --- return requests ---
  // Saves a return request and its machines in one transaction.
  [[nodiscard]] virtual resilience::Result<model::Request> CreateReturn(
      std::string_view id, const std::vector<model::ReturnMachine>& machines,
      const model::ProcessIdentity& owner, model::Timestamp now) = 0;
  [[nodiscard]] virtual resilience::Result<std::vector<model::ReturnMachine>> MachinesOfReturn(
      std::string_view return_id) = 0;
  [[nodiscard]] virtual resilience::Status SaveReturnMachines(
      const std::vector<model::ReturnMachine>& machines) = 0;
  // Of `instance_ids` (any number), those that belong to a return request.
  [[nodiscard]] virtual resilience::Result<std::set<std::string>> ReturnedInstances(
      const std::vector<std::string>& instance_ids) = 0;

  // --- instance types (cached answers of DescribeInstanceTypes) ---
  [[nodiscard]] virtual resilience::Result<std::vector<model::InstanceType>> InstanceTypes(
      const std::vector<std::string>& types) = 0;
  [[nodiscard]] virtual resilience::Status SaveInstanceTypes(
      const std::vector<model::InstanceType>& types, model::Timestamp now) = 0;

  // --- cached lookups (added with issue 12; every backend implements the same two methods) ---
  // The cached values of `kind` ("image-root-device", ...) for these keys (any number); keys not
  // cached are absent. Callers decide how old is too old (fetched_at).
  [[nodiscard]] virtual resilience::Result<std::vector<CachedValue>> CachedValues(
      std::string_view kind, const std::vector<std::string>& keys) = 0;
  // Inserts or replaces each value of `kind`, fetched at `now`.
  [[nodiscard]] virtual resilience::Status SaveCachedValues(
      std::string_view kind, const std::vector<std::pair<std::string, std::string>>& values,
      model::Timestamp now) = 0;

  // --- metrics: counters every process adds to ---
  [[nodiscard]] virtual resilience::Status AddMetrics(const std::vector<MetricDelta>& deltas) = 0;
  [[nodiscard]] virtual resilience::Result<std::vector<MetricDelta>> Metrics() = 0;

  // --- housekeeping ---
  // Claims the right to run a sweep named `name` if none ran in the last `interval`; false when
  // another process did recently. Several processes asking at once get one true.
  [[nodiscard]] virtual resilience::Result<bool> ClaimSweep(std::string_view name,
                                                            model::Timestamp now,
                                                            std::chrono::milliseconds interval) = 0;
  // Deletes at most `limit` finished requests last updated before `before`, oldest first, with
  // their attempts, machines and returned machines, in one transaction; returns how many. Only
  // requests nothing depends on any more go: an acquire request once what the cloud held for it
  // was cleaned up (every machine failed or gone: CleanupIfEmpty), a return request once none of
  // its instances is a live machine of a kept acquire request.
  [[nodiscard]] virtual resilience::Result<int> PurgeFinished(model::Timestamp before,
                                                              int limit) = 0;
};

}  // namespace ohfp::store
