// ohfp-chaos-proxy: the command. Parses the command line, loads the rules, serves until
// SIGINT/SIGTERM. Everything else lives in the ohfp_chaos_proxy library.
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/chaos_proxy/cli.h"
#include "ohfp/chaos_proxy/log_sink.h"
#include "ohfp/chaos_proxy/proxy_server.h"
#include "ohfp/chaos_proxy/upstream.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"

namespace {

using namespace ohfp::chaos_proxy;  // NOLINT(google-build-using-namespace): one small main file

constexpr std::uint64_t kRequestIdSeedSalt = 0x9E3779B97F4A7C15ULL;

int Fail(int code, const std::string& message) {
  std::cerr << "ohfp-chaos-proxy: " << message << "\n";
  return code;
}

// Writes atomically (temporary file, then rename), so a reader never sees a partial port number.
bool WritePortFile(const std::string& path, int port, std::string& error) {
  const std::string temporary = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) {
      error = "cannot write " + temporary;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  return true;
}

std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

int main(int argc, char** argv) {
  const CliParse cli = ParseCommandLine(argc, argv);
  if (!cli.options) {
    (cli.exit_code == 0 ? std::cout : std::cerr) << cli.output << std::flush;
    return cli.exit_code;
  }
  const CliOptions& options = *cli.options;

  RuleSet rules;
  if (options.config_path) {
    ParsedRules parsed = LoadRulesFile(*options.config_path);
    if (!parsed.ok()) {
      std::cerr << "ohfp-chaos-proxy: invalid config " << *options.config_path << " ("
                << parsed.errors.size() << (parsed.errors.size() == 1 ? " problem" : " problems")
                << "):\n";
      for (const ConfigError& error : parsed.errors) std::cerr << "  " << error.ToString() << "\n";
      return kExitUsage;
    }
    rules = std::move(*parsed.rules);
  }
  if (options.check_only) {
    std::cout << "ohfp-chaos-proxy: configuration OK (" << rules.rules.size() << " rule(s)";
    if (rules.throttling) {
      std::cout << "; throttling model " << rules.throttling->model << ", scale "
                << rules.throttling->scale;
    }
    std::cout << ")\n";
    return 0;
  }

  // Signals are taken by sigwait() below, never by a handler; the upstream client may write to a
  // socket the upstream has closed, which must be an error, not a SIGPIPE.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  UpstreamOptions upstream_options;
  upstream_options.url = options.upstream;
  upstream_options.connect_timeout = options.connect_timeout;
  upstream_options.read_timeout = options.upstream_timeout;
  auto upstream = HttplibUpstream::Create(std::move(upstream_options));
  if (!upstream.ok()) return Fail(kExitUsage, std::string(upstream.error().message()));

  ohfp::resilience::SystemClock clock;
  const std::uint64_t seed = options.seed.value_or(ohfp::resilience::SeededRandom::EntropySeed());
  ohfp::resilience::SeededRandom random(seed);
  LogSink log(clock, std::cerr);
  ProxyOptions proxy_options;
  proxy_options.idempotency = options.idempotency;
  proxy_options.idempotency_capacity = options.idempotency_capacity;
  proxy_options.request_id_seed = seed ^ kRequestIdSeedSalt;
  ChaosProxy proxy(clock, random, **upstream, std::move(rules), proxy_options,
                   options.quiet ? nullptr : &log);
  ServerOptions server_options;
  server_options.host = options.listen_host;
  server_options.port = options.listen_port;
  server_options.threads = options.threads;
  ProxyServer server(proxy, std::move(server_options));

  auto port = server.Bind();
  if (!port.ok()) return Fail(kExitRuntime, std::string(port.error().message()));
  if (options.port_file) {
    std::string error;
    if (!WritePortFile(*options.port_file, *port, error))
      return Fail(kExitRuntime, "--port-file: " + error);
  }
  std::cout << nlohmann::json{{"listening", HostPort(options.listen_host, *port)},
                              {"upstream", options.upstream},
                              {"seed", seed}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;

  const pthread_t main_thread = pthread_self();
  bool served = true;
  std::thread serving([&] {
    served = server.Run();
    pthread_kill(main_thread, SIGUSR1);  // wakes sigwait() if the server stopped on its own
  });
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server.Stop();
  serving.join();
  if (!options.quiet) {
    const Counters totals = proxy.stats().Totals();
    std::cerr << "ohfp-chaos-proxy: stopped; " << totals.requests << " request(s), "
              << totals.forwarded << " forwarded, " << totals.TotalFaults()
              << " fault(s) injected, " << totals.throttled_by_model << " throttled by the model, "
              << totals.idempotent_replays << " idempotent replay(s)\n";
  }
  if (signal_number == SIGUSR1 && !served)
    return Fail(kExitRuntime, "the server stopped unexpectedly");
  return 0;
}
