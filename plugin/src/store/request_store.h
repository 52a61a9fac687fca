// store/request_store.h
//
// RequestStore: the plugin's own records, in the state database every HostFactory process shares:
// requests (HostFactory's acquire "req-" and return "ret-" requests), provisioning attempts with
// their EC2 ClientTokens, machines, the machines of each return request, cached instance types and
// metric counters.
//
// Crash safety rests on three rules, all enforced here in single transactions:
//  - an acquire request and its first attempt (with the ClientToken every retry will reuse) are
//    saved *before* any AWS call, after checking the template's maxNumber against every open
//    request;
//  - a return request and its machines are saved before any instance is terminated;
//  - a request records which process created it and when HostFactory first asked about it, so a
//    later process can tell a live request from one whose creator died before HostFactory learned
//    its id.
//
// Times are epoch milliseconds (wall clock) except launch times, which are epoch seconds as
// HostFactory wants them.
//
// Thread-safety: one RequestStore (one connection) per thread; any number of processes share the
// file.
//
// Example:
//   Result<std::unique_ptr<RequestStore>> store = RequestStore::Open(workdir / "ohfp-state.db");
//   Result<RequestRecord> r = (*store)->CreateAcquire({.id = "req-1", .template_id = "OnDemand-C5",
//                                                      .machine_count = 3, .max_number = 10,
//                                                      .client_token = "req-1-1", ...});
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/result.h"
#include "store/database.h"

namespace ohfp::store {

enum class RequestKind { kAcquire, kReturn };
enum class RequestState { kRunning, kComplete, kCompleteWithError };
enum class AttemptState { kPrepared, kSucceeded, kFailed };

std::string_view RequestStateName(
    RequestState state) noexcept;  // HostFactory's: running, complete, ...
std::string_view AttemptStateName(AttemptState state) noexcept;  // prepared, succeeded, failed

// Which process did something: its pid, its start time (against pid reuse) and the boot it ran in.
struct ProcessIdentity {
  std::int64_t pid = 0;
  std::string start{};  // an opaque token; equal only for the same process
};

struct RequestRecord {
  std::string id{};
  RequestKind kind = RequestKind::kAcquire;
  std::string template_id{};
  int machine_count = 0;
  std::string provider_api{};
  RequestState state = RequestState::kRunning;
  std::string message{};
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> polled_at{};  // first time HostFactory asked about it
  ProcessIdentity owner{};
  std::string resource_id{};         // the fleet, Spot Fleet request or group created for it
  std::string launch_template_id{};  // the launch template created for it
  bool abandoned = false;            // reclaimed: its creator died before HostFactory learned of it
  std::optional<std::int64_t> cleaned_up_at{};  // when its fleet/group/launch template were deleted
};

struct AttemptRecord {
  std::string request_id{};
  int number = 1;
  std::string client_token{};
  AttemptState state = AttemptState::kPrepared;
  std::string error{};
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct MachineRecord {
  std::string instance_id{};
  std::string request_id{};
  std::string template_id{};
  std::string name{};
  std::string private_ip{};
  std::string public_ip{};
  std::string state{};   // EC2 state as last seen
  std::string result{};  // executing, succeed, fail
  std::string message{};
  std::string lifecycle{};  // "spot" or empty
  std::string spot_request_id{};
  std::int64_t launch_time = 0;  // epoch seconds
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct ReturnMachineRecord {
  std::string return_id{};
  std::string instance_id{};
  std::string name{};
  std::string acquire_request_id{};  // empty when the machine was not in this store
  std::string state{};               // EC2 state as last seen
  std::string result{};              // executing, succeed, fail
  std::string message{};
  std::int64_t updated_at = 0;
};

struct NewAcquire {
  std::string id{};
  std::string template_id{};
  int machine_count = 0;
  std::string provider_api{};
  int max_number = -1;  // the template's maxNumber; -1: unlimited
  std::string client_token{};
  ProcessIdentity owner{};
  std::int64_t now = 0;
};

struct InstanceTypeRecord {
  std::string instance_type{};
  int vcpus = 0;
  int cores = 0;
  std::int64_t memory_mib = 0;
};

struct MetricDelta {
  std::string name{};
  std::string
      labels{};  // a canonical label string, e.g. operation="ec2_run_instances",service="aws_ec2"
  double value = 0;
};

class RequestStore {
 public:
  // Opens the database (creating it) and brings the "requests" schema up to date.
  [[nodiscard]] static resilience::Result<std::unique_ptr<RequestStore>> Open(
      const std::filesystem::path& file, const DatabaseOptions& options = {});

  // --- acquire requests ---
  // Checks capacity and saves the request and its first attempt, in one transaction. Not enough
  // room under maxNumber is kValidation "NotEnoughCapacity", naming what is available.
  [[nodiscard]] resilience::Result<RequestRecord> CreateAcquire(const NewAcquire& request);
  // Machines a template holds: the full count of every running acquire request of the template plus
  // the live (not failed, not returned) machines of its finished requests.
  [[nodiscard]] resilience::Result<int> HeldMachines(std::string_view template_id);
  [[nodiscard]] resilience::Result<std::optional<RequestRecord>> GetRequest(std::string_view id);
  // Records that HostFactory asked about these requests (first time only).
  [[nodiscard]] resilience::Status MarkPolled(const std::vector<std::string>& ids,
                                              std::int64_t now);
  [[nodiscard]] resilience::Status SetRequestState(std::string_view id, RequestState state,
                                                   std::string_view message, std::int64_t now);
  [[nodiscard]] resilience::Status SetRequestResources(std::string_view id,
                                                       std::string_view resource_id,
                                                       std::string_view launch_template_id,
                                                       std::int64_t now);
  // Marks a request reclaimed (complete_with_error, abandoned) and fails its machines, in one
  // transaction.
  [[nodiscard]] resilience::Status AbandonRequest(std::string_view id, std::string_view message,
                                                  std::int64_t now);
  // Running requests, oldest first.
  [[nodiscard]] resilience::Result<std::vector<RequestRecord>> OpenRequests(RequestKind kind);
  // Records that what the cloud holds for this acquire request (fleet, group, launch template) is
  // deleted; the first time only.
  [[nodiscard]] resilience::Status MarkCleanedUp(std::string_view id, std::int64_t now);
  // Finished acquire requests not yet cleaned up (some may still hold machines), oldest first.
  [[nodiscard]] resilience::Result<std::vector<RequestRecord>> FinishedNotCleanedUp();
  // Requests with these ids (unknown ids are simply absent).
  [[nodiscard]] resilience::Result<std::vector<RequestRecord>> RequestsByIds(
      const std::set<std::string>& ids);

  // --- attempts ---
  [[nodiscard]] resilience::Result<std::vector<AttemptRecord>> Attempts(
      std::string_view request_id);
  [[nodiscard]] resilience::Status SetAttemptState(std::string_view request_id, int number,
                                                   AttemptState state, std::string_view error,
                                                   std::int64_t now);
  [[nodiscard]] resilience::Result<AttemptRecord> AddAttempt(std::string_view request_id,
                                                             std::string_view client_token,
                                                             std::int64_t now);

  // --- machines ---
  // Inserts or updates (by instance id) every field but request_id, template_id and created_at.
  [[nodiscard]] resilience::Status SaveMachines(const std::vector<MachineRecord>& machines);
  [[nodiscard]] resilience::Result<std::vector<MachineRecord>> MachinesOfRequest(
      std::string_view request_id);
  [[nodiscard]] resilience::Result<std::vector<MachineRecord>> MachinesByIds(
      const std::vector<std::string>& ids);

  // --- return requests ---
  // Saves a return request and its machines in one transaction.
  [[nodiscard]] resilience::Result<RequestRecord> CreateReturn(
      std::string_view id, const std::vector<ReturnMachineRecord>& machines,
      const ProcessIdentity& owner, std::int64_t now);
  [[nodiscard]] resilience::Result<std::vector<ReturnMachineRecord>> MachinesOfReturn(
      std::string_view return_id);
  [[nodiscard]] resilience::Status SaveReturnMachines(
      const std::vector<ReturnMachineRecord>& machines);
  // Of `instance_ids`, those that belong to a return request.
  [[nodiscard]] resilience::Result<std::set<std::string>> ReturnedInstances(
      const std::vector<std::string>& instance_ids);

  // --- instance types (cached answers of DescribeInstanceTypes) ---
  [[nodiscard]] resilience::Result<std::vector<InstanceTypeRecord>> InstanceTypes(
      const std::vector<std::string>& types);
  [[nodiscard]] resilience::Status SaveInstanceTypes(const std::vector<InstanceTypeRecord>& types,
                                                     std::int64_t now);

  // --- metrics: counters every process adds to ---
  [[nodiscard]] resilience::Status AddMetrics(const std::vector<MetricDelta>& deltas);
  [[nodiscard]] resilience::Result<std::vector<MetricDelta>> Metrics();

  // --- housekeeping ---
  // Claims the right to run a sweep named `name` if none ran in the last `interval_ms`; false when
  // another process did recently. One transaction: several processes asking at once get one true.
  [[nodiscard]] resilience::Result<bool> ClaimSweep(std::string_view name, std::int64_t now,
                                                    std::int64_t interval_ms);

  Database& database() noexcept { return db_; }

 private:
  explicit RequestStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace ohfp::store
