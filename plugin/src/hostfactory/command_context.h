// hostfactory/command_context.h
//
// What every part of a HostFactory command works with: the store, the provider, the templates,
// the clock and random source, the log, this process's identity and the installation's, the
// options from config.json; and the small effects they all need: the time now, a new request id,
// the tags for what a request creates, a template's user data, and store writes that are never
// silent (a failed write is logged with what it was for).
//
// Thread-safety: one context per command process.
//
// Example:
//   CommandContext ctx(deps, options);
//   const std::string id = ctx.NewId("req");
//   ctx.Saved(ctx.store().SetRequestState(id, state, msg, ctx.Now()), "request state", id);
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "logging/app_log.h"
#include "model/acquire_status.h"
#include "model/request.h"
#include "model/tag.h"
#include "model/template.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/result.h"
#include "provider/provider.h"
#include "store/request_store.h"

namespace ohfp::hostfactory {

// availableNumber printed for a template with maxNumber -1 (unlimited).
inline constexpr int kUnlimitedAvailable = 100000;

struct CommandResult {
  int exit_code = 0;
  nlohmann::ordered_json output;
};

struct ServiceOptions {
  std::string provider_name = "aws";  // HF_PROVIDER_NAME: the ohfp:provider tag
  model::AcquirePolicy acquire{};     // pending, fulfilment, visibility and confirmation windows
  std::chrono::seconds housekeeping_interval{60};
  // How long a command's AWS calls may take (provider.command_timeout_sec). Unclaimed requests
  // are reclaimed only once older than this as well as the confirmation window: their creator, on
  // any host, is done launching (the store cannot see another host's processes, so they count as
  // gone), and a call it had in flight when killed has been answered.
  std::chrono::seconds command_timeout{100};
  // The sweep terminates nothing younger than this.
  std::chrono::seconds orphan_min_age{900};
  // Instances looked up one by one per command, for proof that they are gone.
  std::size_t max_gone_checks = 20;
  // Finished requests are deleted from the store after this long, this many per housekeeping.
  std::chrono::hours history_retention{24 * 30};
  int purge_batch = 500;
  std::map<std::string, std::string, std::less<>> tags{};  // added to everything created
  // The Name tag's pattern (model::InstanceName); "" for none. A Name among `tags` or the
  // template's instanceTags wins.
  std::string instance_name = "ohfp-{templateId}-{requestId}";
  // How long a template's SSM parameter value is reused before it is asked for again.
  std::chrono::seconds ssm_parameter_ttl{300};
  std::filesystem::path confdir{};  // relative userDataScript paths start here
};

struct ServiceDependencies {
  store::RequestStore& store;
  provider::Provider& provider;
  const model::TemplateSet& templates;
  const resilience::Clock& clock;
  resilience::RandomSource& random;
  logging::AppLog& log;
  std::string installation_id{};  // this installation's identity (hostfactory/installation.h)
  model::ProcessIdentity self{};
  // Whether a process is still running; default: hostfactory::IsAlive.
  std::function<bool(const model::ProcessIdentity&)> is_alive{};
};

class CommandContext {
 public:
  CommandContext(ServiceDependencies dependencies, ServiceOptions options);

  store::RequestStore& store() { return deps_.store; }
  provider::Provider& provider() { return deps_.provider; }
  const model::TemplateSet& templates() const { return deps_.templates; }
  logging::AppLog& log() { return deps_.log; }
  const ServiceOptions& options() const { return options_; }
  const std::string& installation_id() const { return deps_.installation_id; }
  const model::ProcessIdentity& self() const { return deps_.self; }
  bool IsAlive(const model::ProcessIdentity& who) const { return deps_.is_alive(who); }

  model::Timestamp Now() const;
  // "<prefix>-" and a random (version 4) UUID.
  std::string NewId(std::string_view prefix);
  // The tags of everything created for `request_id`: ohfp's (request, template, provider,
  // installation), the Name (options().instance_name), the configuration's, the template's.
  std::vector<model::Tag> TagsFor(const model::Template& t, const std::string& request_id) const;
  // The template's userData, or the content of its userDataScript ("" without either).
  resilience::Result<std::string> ReadUserData(const model::Template& t) const;

  // A store write that failed is logged at error level with what it was for, and remembered;
  // returns `s`.
  resilience::Status Saved(resilience::Status s, std::string_view what,
                           std::string_view request_id);
  // The first store write of this command that failed (Saved), if any.
  const std::optional<resilience::Error>& store_failure() const { return store_failure_; }

 private:
  ServiceDependencies deps_;
  ServiceOptions options_;
  std::optional<resilience::Error> store_failure_;
};

}  // namespace ohfp::hostfactory
