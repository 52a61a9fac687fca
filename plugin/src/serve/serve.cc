#include "serve/serve.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <ostream>
#include <thread>

#include "app/operator_actions.h"
#include "serve/http_server.h"
#include "serve/log_events.h"
#include "serve/store_pool.h"
#include "serve/token.h"
#include "store/open_stores.h"

namespace ohfp::serve {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.starts_with("127.");
}

void WritePortFile(const std::filesystem::path& file, int port) {
  const std::filesystem::path temp = file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(temp, file, ec);
}

}  // namespace

Result<std::pair<std::string, int>> ParseListen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  const auto bad = [&] {
    return Error(ErrorKind::kValidation, "BadListen",
                 "--listen must be HOST:PORT (e.g. 127.0.0.1:8451 or [::1]:8451), got '" +
                     std::string(text) + "'");
  };
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string host(text.substr(0, colon));
  if (host.front() == '[') {
    if (host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = text.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535 ||
      host.empty()) {
    return bad();
  }
  return std::make_pair(host, port);
}

Result<nlohmann::ordered_json> AppOperatorActions::Breaker(app::BreakerAction action,
                                                           const std::string& service) {
  std::lock_guard lock(mu_);
  Result<resilience::BreakerRecord> record = app::ApplyBreakerAction(app_, action, service, "api");
  if (!record.ok()) return record.error();
  return app::BreakerJson(service, *record,
                          app_.config().resilience.circuit_breaker.ForService(service));
}

Result<nlohmann::ordered_json> AppOperatorActions::Reconcile(bool dry_run) {
  std::lock_guard lock(mu_);
  app::AppOptions o = options_;
  o.need_aws = true;
  o.need_templates = true;
  o.log_to_stderr = false;
  Result<std::unique_ptr<app::PluginApp>> world = app::PluginApp::Create(o, env_);
  if (!world.ok()) return world.error();
  app::ReconcileOutcome outcome =
      app::Reconcile(**world, {.dry_run = dry_run, .adopt = false, .actor = "api"});
  if (!outcome.problem.empty()) return Error(ErrorKind::kInternal, "Reconcile", outcome.problem);
  return std::move(outcome.report);
}

namespace {

// The HTTP options of `options`: the listen address parsed, the token read (kValidation errors).
Result<HttpOptions> HttpOptionsFrom(const ServeOptions& options) {
  Result<std::pair<std::string, int>> listen = ParseListen(options.listen);
  if (!listen.ok()) return listen.error();
  HttpOptions http{.host = listen->first,
                   .port = listen->second,
                   .tls_cert = options.tls_cert,
                   .tls_key = options.tls_key,
                   .threads = options.threads};
  if (options.token_file) {
    Result<std::string> token = LoadToken(*options.token_file);
    if (!token.ok()) return token.error();
    http.token = std::move(*token);
  }
  return http;
}

// Answers until SIGINT or SIGTERM (or until the server ends on its own). The signals are taken by
// sigwait, never by a handler: they are blocked before the server's threads start, so every thread
// inherits the mask.
void ServeUntilStopped(HttpServer& server) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread runner([&] {
    server.Run();
    ::kill(::getpid(), SIGTERM);  // the server ended on its own: end the wait below too
  });
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  runner.join();
}

// Says where it listens, on stderr and in app.log.
void Announce(app::PluginApp& app, const HttpServer& server, const HttpOptions& http, int port,
              std::ostream& err) {
  const std::string host =
      http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host;
  const std::string url = std::string(server.tls() ? "https" : "http") + "://" + host + ":" +
                          std::to_string(port) + "/";
  app.log().Log(spdlog::level::info, "ohfp serve listening on " + url,
                {{"event", "serve"},
                 {"url", url},
                 {"tls", server.tls()},
                 {"actions", http.token.has_value()}});
  err << "ohfp serve: listening on " << url
      << (http.token ? "" : " (operator actions disabled: no --token-file)") << "\n";
  if (!IsLoopback(http.host) && !server.tls()) {
    err << "ohfp serve: warning: listening on " << http.host
        << " without TLS: tokens and data cross the network in clear text\n";
  }
}

}  // namespace

int RunServe(const ServeOptions& options, const app::AppOptions& app_options,
             const aws::Environment& env, std::ostream& err) {
  Result<HttpOptions> http = HttpOptionsFrom(options);
  if (!http.ok()) {
    err << "ohfp serve: " << http.error().message() << "\n";
    return kExitBadInput;
  }
  app::AppOptions world_options = app_options;
  world_options.need_aws = false;
  world_options.need_templates = false;
  Result<std::unique_ptr<app::PluginApp>> world = app::PluginApp::Create(world_options, env);
  if (!world.ok()) {
    err << "ohfp serve: " << world.error().message() << "\n";
    return world.error().kind() == ErrorKind::kValidation ? kExitBadInput : kExitFailed;
  }
  app::PluginApp& app = **world;
  // Where the commands keep their state: SQLite read-only, or the PostgreSQL server (store.url).
  StorePool stores([where = app::StoreLocationFor(app.config(), app.paths()),
                    pool = app.store_pool()]() { return store::OpenReader(where, pool); });
  resilience::SystemClock clock;
  LogEvents events({.file = app.paths().logdir / app.config().logging.file}, clock);
  AppOperatorActions actions(app, app_options, env);
  Result<std::optional<std::string>> installation = [&]() -> Result<std::optional<std::string>> {
    Result<StorePool::Lease> s = stores.Acquire();
    if (!s.ok()) return s.error();
    return (*s)->InstallationId();
  }();
  if (!installation.ok()) {
    err << "ohfp serve: cannot read the state store: " << installation.error().ToString() << "\n";
    return kExitFailed;
  }
  ServeApi api({.stores = stores,
                .state = app.state_store(),
                .config = app.config(),
                .paths = app.paths(),
                .events = events,
                .clock = clock,
                .actions = actions,
                .installation_id = installation->value_or("")});
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Create(api, app.log(), *http);
  if (!server.ok()) {
    err << "ohfp serve: " << server.error().message() << "\n";
    return kExitBadInput;
  }
  Result<int> port = (*server)->Bind();
  if (!port.ok()) {
    err << "ohfp serve: " << port.error().message() << "\n";
    return kExitFailed;
  }
  if (options.port_file) WritePortFile(*options.port_file, *port);
  Announce(app, **server, *http, *port, err);
  ServeUntilStopped(**server);
  app.log().Log(spdlog::level::info, "ohfp serve stopped", {{"event", "serve"}});
  return kExitOk;
}

}  // namespace ohfp::serve
