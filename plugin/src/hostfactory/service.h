// hostfactory/service.h
//
// HostFactoryService: the five HostFactory commands over a RequestStore (shared by every process)
// and a Provider.
//
// requestMachines
//   saves the request and its first attempt (ClientToken "<requestId>-1") before calling the
//   cloud; a definite refusal fails the command; an answer that may or may not have launched
//   instances (timeout, 5xx, lost connection) keeps the request running; getRequestStatus
//   settles it.
// getRequestStatus
//   computes each request's status from live cloud state on every poll. An attempt whose outcome is
//   unknown is settled by looking its instances up by tag, and if none exists and its creator is no
//   longer running, by sending the same call again with the same ClientToken (which cannot launch
//   twice). Instances stuck in pending past the pending timeout are terminated and reported failed.
//   Also housekeeping, at most once per housekeeping_interval across processes: a request
//   HostFactory never asked about whose creator died is reclaimed; live instances tagged with this
//   provider that belong to no live request are terminated; and a finished request without machines
//   whose fleet, group or launch template is not yet deleted (the deletion failed, or a crash
//   interrupted it) is cleaned up. So a crash at any point leaves no orphan and nothing behind.
// requestReturnMachines
//   saves the return request before terminating; verifies by tag that a machine it does not know is
//   this provider's before touching it. When an acquire request has no machine left, what was
//   created for it is deleted.
// getReturnRequests
//   lists the machines HostFactory holds that the cloud is taking away: gone, terminated or
//   stopping without a return request from us, or marked for Spot interruption.
// getAvailableTemplates
//   templates with availableNumber from maxNumber and the machines held, and ncpus/nram from
//   DescribeInstanceTypes (cached in the store) when the template does not give them.
//
// Every command answers with one JSON document (contract.h) and an exit code: 0, 1 when the command
// failed, 2 when its input was invalid (nothing changed then).
//
// Thread-safety: one service per command process.
//
// Example:
//   HostFactoryService service(deps, options);
//   CommandResult r = service.RequestMachines({.template_id = "OnDemand-C5", .machine_count = 3});
//   std::cout << r.output.dump() << "\n";
//   return r.exit_code;
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hostfactory/contract.h"
#include "hostfactory/templates.h"
#include "logging/app_log.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"
#include "provider/provider.h"
#include "store/request_store.h"

namespace ohfp::hostfactory {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

// availableNumber printed for a template with maxNumber -1 (unlimited).
inline constexpr int kUnlimitedAvailable = 100000;

struct CommandResult {
  int exit_code = kExitOk;
  nlohmann::ordered_json output;
};

struct ServiceOptions {
  std::string provider_name = "aws";  // HF_PROVIDER_NAME: the ohfp:provider tag
  std::chrono::seconds instance_pending_timeout{180};
  std::chrono::seconds unclaimed_request_timeout{600};
  // A fleet or group short of its target this long keeps what it has.
  std::chrono::seconds fulfillment_timeout{600};
  std::chrono::seconds housekeeping_interval{60};
  std::map<std::string, std::string, std::less<>> tags{};  // added to everything created
  std::filesystem::path confdir{};  // relative userDataScript paths start here
};

struct ServiceDependencies {
  store::RequestStore& store;
  provider::Provider& provider;
  const TemplateSet& templates;
  const resilience::Clock& clock;
  resilience::RandomSource& random;
  logging::AppLog& log;
  store::ProcessIdentity self{};
  std::function<bool(const store::ProcessIdentity&)> is_alive{};  // default: hostfactory::IsAlive
};

class HostFactoryService {
 public:
  HostFactoryService(ServiceDependencies dependencies, ServiceOptions options);

  CommandResult GetAvailableTemplates();
  CommandResult RequestMachines(const RequestMachinesInput& input);
  CommandResult GetRequestStatus(const std::vector<std::string>& request_ids);
  CommandResult RequestReturnMachines(const std::vector<MachineRef>& machines);
  CommandResult GetReturnRequests(const std::vector<MachineRef>& machines);

  // Reclaims unclaimed requests and terminates orphans now, whatever the interval (tests, `ohfp
  // reconcile`).
  void Housekeeping(bool force);

 private:
  std::int64_t NowMs() const;
  std::int64_t NowSeconds() const;
  std::string NewId(std::string_view prefix);
  std::vector<aws::ec2::Tag> TagsFor(const Template& t, const std::string& request_id) const;
  resilience::Result<std::string> ReadUserData(const Template& t) const;

  // One launch attempt of `request` and what follows from its outcome. Returns the error when it is
  // definite.
  resilience::Status RunAttempt(const store::RequestRecord& request, const Template& t,
                                const store::AttemptRecord& a, const std::string& user_data,
                                std::string& message);
  resilience::Status SaveInstances(const store::RequestRecord& request,
                                   const std::vector<aws::ec2::Instance>& found,
                                   std::vector<store::MachineRecord>& machines);
  void Reconcile(store::RequestRecord& request, const store::AttemptRecord& attempt);
  RequestReport RefreshAcquire(store::RequestRecord request);
  RequestReport RefreshReturn(store::RequestRecord request);
  RequestReport StoredReport(const store::RequestRecord& request);
  void ReclaimUnclaimed();
  void TerminateOrphans();
  // Deletes what the cloud holds for a finished acquire request (its fleet, group, launch
  // template) once it has no machine left, and records that it did; a failure is retried by
  // CleanupFinished at the next housekeeping.
  void CleanupFinished();
  void CleanupIfEmpty(const std::string& acquire_request_id);
  void CleanupIfEmpty(const store::RequestRecord& request);

  ServiceDependencies deps_;
  ServiceOptions options_;
};

}  // namespace ohfp::hostfactory
