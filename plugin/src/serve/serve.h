// serve/serve.h
//
// `ohfp serve`: a long-running process beside the HostFactory commands that shows the
// installation's state (REST API, Prometheus /metrics, /healthz, a live dashboard at /) and lets an
// operator act on it (breakers, reconcile) with a bearer token. RunServe builds its world from the
// same configuration and environment as the commands (HF_PROVIDER_CONFDIR/WORKDIR/LOGDIR,
// config.json): the state database (read through read-only connections, so serve never takes the
// commands' write lock for a read), the resilience state store (breakers, quotas), app.log. It
// answers until SIGINT or SIGTERM.
//
// AppOperatorActions carries out the API's POSTs with the code the command line uses
// (app/operator_actions.h); one action at a time. A reconcile builds the AWS side the way
// `ohfp reconcile` does, for that one action.
//
// Thread-safety: RunServe on the main thread; AppOperatorActions is safe from any thread.
//
// Example:
//   ServeOptions o{.listen = "127.0.0.1:8451", .token_file = "/etc/ohfp/serve.token"};
//   return RunServe(o, app_options, env, std::cerr);
#pragma once

#include <filesystem>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "app/plugin_app.h"
#include "aws/environment.h"
#include "serve/api.h"

namespace ohfp::serve {

inline constexpr const char* kDefaultListen = "127.0.0.1:8451";

struct ServeOptions {
  std::string listen = kDefaultListen;  // HOST:PORT; port 0: any free port
  std::optional<std::filesystem::path> tls_cert{};
  std::optional<std::filesystem::path> tls_key{};
  std::optional<std::filesystem::path> token_file{};
  std::optional<std::filesystem::path> port_file{};  // the bound port is written there
  int threads = 4;
};

// "HOST:PORT" (HOST may be [v6]) -> host and port; kValidation otherwise.
[[nodiscard]] resilience::Result<std::pair<std::string, int>> ParseListen(std::string_view text);

// Runs until SIGINT or SIGTERM. Exit codes: 0 stopped by a signal, 1 cannot start (store, port),
// 2 bad options or configuration (token file, TLS files).
int RunServe(const ServeOptions& options, const app::AppOptions& app_options,
             const aws::Environment& env, std::ostream& err);

class AppOperatorActions final : public OperatorActions {
 public:
  // `app`: serve's own world (built without AWS); `options` and `env` build a reconcile's.
  AppOperatorActions(app::PluginApp& app, app::AppOptions options, const aws::Environment& env)
      : app_(app), options_(std::move(options)), env_(env) {}

  resilience::Result<nlohmann::ordered_json> Breaker(app::BreakerAction action,
                                                     const std::string& service) override;
  resilience::Result<nlohmann::ordered_json> Reconcile(bool dry_run) override;

 private:
  app::PluginApp& app_;
  const app::AppOptions options_;
  const aws::Environment& env_;
  std::mutex mu_;  // one action at a time
};

}  // namespace ohfp::serve
