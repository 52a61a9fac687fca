#include "ohfp/chaos_proxy/cli.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "ohfp/chaos_proxy/upstream.h"

namespace ohfp::chaos_proxy {
namespace {

using resilience::Error;
using resilience::ErrorKind;

constexpr std::string_view kDescription =
    "ohfp-chaos-proxy: a fault-injecting HTTP proxy for AWS Query API traffic (EC2, Auto Scaling,\n"
    "CloudWatch). It forwards every request to --upstream unchanged (method, path, query, headers "
    "including\n"
    "Host, body) and returns the answer unchanged, unless a rule injects a fault: throttling, "
    "errors, capacity\n"
    "errors, latency, hangs, connection resets, or lost responses. It also emulates EC2 "
    "ClientToken\n"
    "idempotency, which the moto emulator lacks, and, on request, EC2's and Auto Scaling's own "
    "throttling\n"
    "(token buckets with the published limits).";

constexpr std::string_view kFooter = R"(
When it is ready, it prints one JSON line on stdout:
  {"listening":"127.0.0.1:41234","seed":42,"upstream":"http://127.0.0.1:5000"}
Point AWS clients at it (AWS_ENDPOINT_URL=http://127.0.0.1:41234). SIGINT or SIGTERM stops it.

RULES (--config FILE, or PUT /__chaos/rules at run time)
  {"rules": [ RULE, ... ]}, tried in order for each request. The first rule that matches, is inside its
  time window, has hits left and wins its probability draw fires; a rule that loses its draw passes the
  request to the rules after it. Keys of a rule:
    "name"         string, used in logs and stats (default "rules[i]")
    "match"        {"action": "RunInstances" | ["RunInstances", "CreateFleet"] | "*",
                    "service": "ec2" | "autoscaling" | "monitoring" | "any"}   (default: everything)
    "probability"  0..1, default 1; drawn from a generator seeded by --seed
    "from"         seconds after the proxy's start (or last reset) when the rule begins, default 0
    "duration"     seconds the rule lasts after "from", default: forever
    "max_hits"     how many times the rule may fire, default: unlimited
    "fault"        {"type": ..., ...}, one of:
      throttle       EC2: RequestLimitExceeded, HTTP 503; Auto Scaling/CloudWatch: Throttling, HTTP 400
                     (Type Sender). Optional "message".
      error          "status" (400-599) and "code" in the service's error shape, optional "message";
                     or "html": true for a text/html error page.
      capacity       InsufficientInstanceCapacity, HTTP 500, EC2 shape (for RunInstances/CreateFleet);
                     optional "code" (e.g. InsufficientHostCapacity) and "message".
      latency        "ms": wait that long, then forward.
      hang           "ms": hold the request without answering, then close the connection.
      reset          abort the connection (RST) without answering.
      drop_response  forward the request (the upstream executes it), then close the connection instead of
                     answering: "AWS said yes but we never heard it".
      respond        answer directly: "status" (default 200), "body" ({{request_id}} becomes a fresh
                     request id), "content_type" (default text/xml;charset=UTF-8).
  Unknown keys and bad values are errors, all reported with their JSON path; the proxy does not start.

  Example:
    {"rules": [
      {"name": "throttle-storm", "match": {"service": "ec2"}, "from": 10, "duration": 30,
       "fault": {"type": "throttle"}},
      {"name": "lost-launch", "match": {"action": "RunInstances"}, "max_hits": 1,
       "fault": {"type": "drop_response"}},
      {"name": "flaky-asg", "match": {"service": "autoscaling"}, "probability": 0.2,
       "fault": {"type": "error", "status": 500, "code": "InternalFailure"}},
      {"name": "modify-fleet", "match": {"action": "ModifyFleet"},
       "fault": {"type": "respond", "status": 200, "body": "<ModifyFleetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{{request_id}}</requestId><return>true</return></ModifyFleetResponse>"}}
    ]}

THROTTLING MODEL ("throttling" section of the same document; off without it)
  Plays the AWS account behind the proxy, shared by every client: token buckets with the limits EC2
  publishes ("Request throttling for the Amazon EC2 API"). Each EC2 action has its own request bucket,
  sized by its category (non-mutating 100 tokens + 20/s, unfiltered and unpaginated Describe calls
  50 + 10/s, mutating 50 + 5/s, resource-intensive 50 + 5/s, or the action's own line: RunInstances
  5 + 2/s, TerminateInstances 100 + 5/s, ...). RunInstances also takes MaxCount tokens, and
  Terminate/Start/StopInstances one per InstanceId, from a resource bucket (1000 + 2/s for Run and
  Start, 1000 + 20/s for Terminate and Stop). All Auto Scaling actions share one bucket (100 + 20/s,
  our choice: AWS publishes no number). A request that finds a bucket short takes nothing and gets
  what AWS answers: EC2 HTTP 503 RequestLimitExceeded, Auto Scaling HTTP 400 Throttling. It applies to
  the requests no rule stopped, before the ClientToken cache (a replay costs tokens too).
    "model"        "ec2-published" (the default and only model)
    "scale"        multiplies every published size and rate (0.05 = 1/20th); sizes rounded, at least 1
    "categories"   {"non-mutating" | "unfiltered-non-mutating" | "mutating" | "resource-intensive" |
                    "console-non-mutating" | "autoscaling": {"capacity": N, "refill_rate": R}}
    "actions"      {"RunInstances": {"capacity": N, "refill_rate": R,
                                     "resource": {"capacity": N, "refill_rate": R}},
                    "DescribeInstances": {..., "unfiltered": {"capacity": N, "refill_rate": R}}}
  Overridden numbers are taken as written (not scaled). GET /__chaos/stats reports accepted and
  throttled requests per action, bucket levels and a per-second series under "throttling".
    {"rules": [], "throttling": {"scale": 0.05, "actions": {"RunInstances": {"capacity": 2}}}}

IDEMPOTENCY
  EC2 requests carrying ClientToken (RunInstances, CreateFleet, CreateLaunchTemplate, ...) or
  SpotFleetRequestConfig.ClientToken (RequestSpotFleet) are keyed by (action, token). The first is forwarded
  and a 2xx answer is recorded - even when drop_response then drops it. A repeat with the same parameters
  gets the recorded answer without reaching the upstream; with different parameters, HTTP 400
  IdempotentParameterMismatch. Requests with the same key wait for each other. --no-idempotency turns it off.

CONTROL ENDPOINT (same port; never forwarded)
  GET  /__chaos/stats   totals and per-action counts (requests, forwarded, faults by type, idempotent
                        replays and mismatches, upstream errors, throttled by the model), hits per rule,
                        and the throttling model's counts, buckets and series. Alias: GET /stats
  GET  /__chaos/rules   the current rules and throttling section
  PUT  /__chaos/rules   replace both (same document as --config; no "throttling" turns the model off, a
                        changed one refills its buckets); 400 with every problem, nothing changed
  POST /__chaos/reset   zero the statistics and rule hits, restart the time origin, clear the idempotency
                        cache, fill every token bucket

EXAMPLE
  ohfp-chaos-proxy --upstream http://127.0.0.1:5000 --listen 127.0.0.1:0 --config chaos.json --seed 7 \
      --port-file /tmp/chaos.port
  curl -s http://127.0.0.1:$(cat /tmp/chaos.port)/__chaos/stats

EXIT STATUS
  0 stopped by a signal (or --check passed), 1 could not listen or serve, 2 bad command line or config.
)";

// std::strerror is not thread-safe; the error category is.
std::string ReadableErrno() { return std::error_code(errno, std::generic_category()).message(); }

}  // namespace

resilience::Result<std::pair<std::string, int>> ParseListenAddress(std::string_view text) {
  const auto bad = [text](std::string_view why) {
    return Error(ErrorKind::kValidation, "InvalidListenAddress",
                 "--listen " + std::string(text) + ": " + std::string(why) +
                     " (expected HOST:PORT, e.g. 127.0.0.1:0 for any free port)");
  };
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos)
      return bad("an IPv6 address needs the form [ADDRESS]:PORT");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :PORT");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return bad("missing host");
  int port = -1;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  return std::make_pair(std::move(host), port);
}

ParsedRules LoadRulesFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ParsedRules parsed;
    parsed.errors.push_back(ConfigError{path, "cannot read the file: " + ReadableErrno()});
    return parsed;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return ParseRules(text.str());
}

CliParse ParseCommandLine(int argc, const char* const* argv) {
  CLI::App app{std::string(kDescription), "ohfp-chaos-proxy"};
  app.footer(std::string(kFooter));
  app.get_formatter()->column_width(34);

  CliOptions options;
  std::string listen = "127.0.0.1:0";
  std::string config_path;
  std::uint64_t seed = 0;
  std::string port_file;
  bool no_idempotency = false;
  std::int64_t upstream_timeout_ms = options.upstream_timeout.count();
  std::int64_t connect_timeout_ms = options.connect_timeout.count();

  app.add_option("--upstream", options.upstream,
                 "Where to forward requests, e.g. http://127.0.0.1:5000")
      ->required()
      ->type_name("URL");
  app.add_option("--listen", listen, "Address to listen on; port 0 picks a free one")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  auto* config_option =
      app.add_option("--config", config_path,
                     "Rules file (JSON, see RULES, THROTTLING MODEL); without it, no faults")
          ->type_name("FILE");
  auto* seed_option =
      app.add_option("--seed", seed,
                     "Seed for the probability draws and request ids (default: random)")
          ->type_name("N");
  auto* port_file_option =
      app.add_option("--port-file", port_file, "Write the listening port to this file when ready")
          ->type_name("FILE");
  app.add_flag("--no-idempotency", no_idempotency, "Do not emulate EC2 ClientToken idempotency");
  app.add_option("--idempotency-capacity", options.idempotency_capacity,
                 "Recorded ClientToken answers kept, oldest forgotten first (1-10000000)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}).description(""))
      ->capture_default_str();
  app.add_option("--upstream-timeout", upstream_timeout_ms,
                 "How long to wait for the upstream's answer (1-86400000)")
      ->type_name("MS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}).description(""))
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout_ms,
                 "How long to wait to connect to the upstream (1-600000)")
      ->type_name("MS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{600'000}).description(""))
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "Connections served at once; each hanging request holds one (1-4096)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{4096}).description(""))
      ->capture_default_str();
  app.add_flag("-q,--quiet", options.quiet,
               "No log lines on stderr (one per injected fault otherwise)");
  app.add_flag("--check", options.check_only, "Validate --upstream and --config, then exit");
  app.set_version_flag("--version", "ohfp-chaos-proxy 0.1.0");

  CliParse result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    result.exit_code = app.exit(e, out, err);
    if (result.exit_code != 0) result.exit_code = kExitUsage;
    result.output = out.str() + err.str();
    return result;
  }

  const auto fail = [&result](std::string message) {
    result.exit_code = kExitUsage;
    result.output =
        "ohfp-chaos-proxy: " + std::move(message) + "\nRun with --help for more information.\n";
    return result;
  };
  if (auto url = ParseUpstreamUrl(options.upstream); !url.ok()) {
    return fail("--upstream: " + std::string(url.error().message()));
  }
  auto address = ParseListenAddress(listen);
  if (!address.ok()) return fail(std::string(address.error().message()));
  options.listen_host = address->first;
  options.listen_port = address->second;
  if (*config_option) options.config_path = config_path;
  if (*seed_option) options.seed = seed;
  if (*port_file_option) {
    if (port_file.empty()) return fail("--port-file: the file name is empty");
    options.port_file = port_file;
  }
  options.idempotency = !no_idempotency;
  options.upstream_timeout = std::chrono::milliseconds(upstream_timeout_ms);
  options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  result.options = std::move(options);
  return result;
}

}  // namespace ohfp::chaos_proxy
