// The ohfp-serve executable: `ohfp serve` (plugin/src/serve/serve.h). Argument parsing only.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "aws/environment.h"
#include "serve/serve.h"

namespace {

constexpr const char* kFooter =
    R"(Reads the same config.json and environment as the HostFactory commands (HF_PROVIDER_CONFDIR,
HF_PROVIDER_WORKDIR, HF_PROVIDER_LOGDIR): the state database through read-only connections, the
breakers and retry quotas, app.log. Stops on SIGINT or SIGTERM.

  GET  /                       the dashboard
  GET  /api/v1/...             templates, requests, machines, breakers, quota, events, timeline
  GET  /metrics, /healthz      Prometheus text format; health
  POST /api/v1/breakers/SERVICE/force-open|force-closed|reset, /api/v1/reconcile[/dry-run]
                               need Authorization: Bearer <the token in --token-file>

Documentation: docs/operations.md ("ohfp serve").)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ohfp serve: a REST API, Prometheus metrics and a live dashboard over an "
      "installation's state",
      "ohfp serve"};
  app.footer(kFooter);
  ohfp::app::AppOptions options;
  std::string config_file, confdir, workdir, logdir, tls_cert, tls_key, token_file, port_file;
  ohfp::serve::ServeOptions serve;
  app.add_option("--config", config_file, "config.json to use (default: the confdir's)");
  app.add_option("--confdir", confdir, "Configuration directory (default: HF_PROVIDER_CONFDIR)");
  app.add_option("--workdir", workdir, "Work directory (default: HF_PROVIDER_WORKDIR)");
  app.add_option("--logdir", logdir, "Log directory (default: HF_PROVIDER_LOGDIR)");
  app.add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--tls-cert", tls_cert, "PEM certificate (chain) to serve HTTPS with");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  app.add_option("--token-file", token_file,
                 "File holding the bearer token operator actions need (not readable by others); "
                 "without it actions are refused");
  app.add_option("--port-file", port_file, "Write the port listened on to this file");
  app.add_option("--threads", serve.threads, "Threads answering requests")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  const auto set = [](auto& target, const std::string& value) {
    if (!value.empty()) target = value;
  };
  set(options.config_file, config_file);
  set(options.confdir, confdir);
  set(options.workdir, workdir);
  set(options.logdir, logdir);
  set(serve.tls_cert, tls_cert);
  set(serve.tls_key, tls_key);
  set(serve.token_file, token_file);
  set(serve.port_file, port_file);
  const ohfp::aws::ProcessEnvironment env;
  try {
    return ohfp::serve::RunServe(serve, options, env, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "ohfp serve: internal error: " << e.what() << "\n";
    return 3;
  }
}
