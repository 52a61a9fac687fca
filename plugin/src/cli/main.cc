// The ohfp executable: argument parsing and wiring only.
#include <CLI/CLI.hpp>
#include <array>
#include <exception>
#include <iostream>

#include "aws/environment.h"
#include "base/untrusted_text.h"
#include "cli/exit_codes.h"
#include "cli/hostfactory_commands.h"
#include "cli/init_command.h"
#include "cli/resilience_commands.h"
#include "cli/serve_command.h"
#include "cli/store_commands.h"
#include "hostfactory/contract.h"

namespace {

constexpr const char* kVersion = OHFP_VERSION;

constexpr std::array<const char*, 5> kHostFactoryCommands = {
    "getAvailableTemplates", "requestMachines", "getRequestStatus", "requestReturnMachines",
    "getReturnRequests"};

constexpr const char* kFooter =
    R"(HostFactory commands read their input from -f FILE, --data JSON or stdin, print exactly one JSON
document on stdout (errors too: {"message": ...}) and log to app.log in HF_PROVIDER_LOGDIR.
Environment: HF_PROVIDER_CONFDIR (config.json, awsprov_templates.json), HF_PROVIDER_WORKDIR (state
database, metrics textfile), HF_PROVIDER_LOGDIR, HF_PROVIDER_NAME, HF_LOGLEVEL, OHFP_STORE_URL (a
PostgreSQL store shared by several hosts, instead of SQLite in the work directory), the AWS ones:
AWS_REGION, AWS_ENDPOINT_URL, AWS_CREDENTIAL_FILE, AWS_PROFILE, AWS_PROXY_HOST, AWS_PROXY_PORT,
AWS_CONNECTION_TIMEOUT_MS, AWS_INSTANCE_PENDING_TIMEOUT_SEC, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY;
OHFP_MAX_INPUT_BYTES (the most input a HostFactory command reads, default 16 MiB).

Exit codes: 0 success, 1 the command failed, 2 bad arguments, input or configuration, 3 internal error.

Examples:
  ohfp init --name awsinst --hostfactory-conf $HF_TOP/conf --region us-east-1 --discover
  ohfp requestMachines -f input.json
  ohfp getRequestStatus --data '{"requests": [{"requestId": "req-..."}]}'
  ohfp config validate
  ohfp breaker status
  ohfp store migrate --to 'postgresql://ohfp@db1:5432/hf?sslmode=verify-full'
  ohfp serve --listen 127.0.0.1:8451 --token-file /etc/ohfp/serve.token
  ohfp resilience compare --config config/examples/seed-resilience.json \
      --config config/recommended-resilience.json \
      --trace config/scenarios/throttle-storm.trace.jsonl --faults config/scenarios/throttle-storm.faults.json

Documentation: README.md, docs/operations.md, docs/configuration.md, docs/resilience.md (installed:
/usr/share/doc/ohfp/), and `ohfp init --help`.)";

bool IsHostFactoryCommand(std::string_view name) {
  for (const char* c : kHostFactoryCommands) {
    if (name == c) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ohfp::cli;  // NOLINT(google-build-using-namespace): main only wires
  CLI::App app{"ohfp: the Open Host Factory Plugin for AWS, with its resilience layer", "ohfp"};
  app.set_version_flag("--version", kVersion);
  app.footer(kFooter);
  app.require_subcommand(1);

  ohfp::app::AppOptions options;
  std::string config_file;
  std::string confdir;
  std::string workdir;
  std::string logdir;
  app.add_option("--config", config_file,
                 "config.json to use (default: HF_PROVIDER_CONFDIR/config.json)");
  app.add_option("--confdir", confdir,
                 "Configuration directory (default: HF_PROVIDER_CONFDIR, else .)");
  app.add_option("--workdir", workdir,
                 "Work directory (default: HF_PROVIDER_WORKDIR, else the confdir)");
  app.add_option("--logdir", logdir,
                 "Log directory (default: HF_PROVIDER_LOGDIR, else the workdir)");

  CommandInput input;
  std::vector<CLI::App*> hf;
  for (const char* name : kHostFactoryCommands) {
    CLI::App* c =
        app.add_subcommand(name, std::string("HostFactory's ") + name + " (JSON in, JSON out)");
    c->add_option("-f,--file", input.file, "Input JSON file (as HostFactory passes it)");
    c->add_option("--data", input.data, "Input JSON text");
    c->add_option("--max-input-bytes", input.max_bytes,
                  "The most input bytes read; a larger input is refused (exit 2)")
        ->envname("OHFP_MAX_INPUT_BYTES")
        ->check(CLI::PositiveNumber);
    hf.push_back(c);
  }

  CLI::App* config = app.add_subcommand("config", "Check the configuration");
  config->require_subcommand(1);
  CLI::App* validate =
      config->add_subcommand("validate",
                             "Print every problem in config.json and awsprov_templates.json with "
                             "its path, or the effective "
                             "configuration");

  bool metrics_json = false;
  CLI::App* metrics =
      app.add_subcommand("metrics", "Print the counters of every ohfp process so far");
  std::string format = "prometheus";
  metrics->add_option("--format", format, "prometheus or json")
      ->check(CLI::IsMember({"prometheus", "json"}));

  CLI::App* breaker = app.add_subcommand(
      "breaker", "Inspect or override circuit breakers (shared by every process)");
  breaker->require_subcommand(1);
  CLI::App* breaker_status = breaker->add_subcommand("status", "Every breaker's state");
  std::string service;
  CLI::App* force_open =
      breaker->add_subcommand("force-open", "Reject every call to SERVICE until reset");
  force_open->add_option("service", service, "aws_ec2, aws_autoscaling, aws_spot_fleet, ...")
      ->required();
  CLI::App* force_closed =
      breaker->add_subcommand("force-closed", "Let every call to SERVICE through, counting none");
  force_closed->add_option("service", service, "aws_ec2, aws_autoscaling, aws_spot_fleet, ...")
      ->required();
  CLI::App* reset =
      breaker->add_subcommand("reset", "Back to a fresh CLOSED breaker without override");
  reset->add_option("service", service, "aws_ec2, aws_autoscaling, aws_spot_fleet, ...")
      ->required();

  CLI::App* reconcile = app.add_subcommand(
      "reconcile",
      "Reclaim requests HostFactory never learned of, terminate this installation's instances the "
      "state store records as abandoned, and clean up, now; prints what the sweep found");
  ReconcileOptions reconcile_options;
  reconcile->add_flag("--dry-run", reconcile_options.dry_run,
                      "Only say what the orphan sweep would do; change nothing");
  reconcile->add_flag("--adopt", reconcile_options.adopt,
                      "After a lost state store: rebuild the records of this installation's "
                      "instances from their tags (terminates nothing)");

  CLI::App* store = app.add_subcommand("store", "Move this installation's state between stores");
  store->require_subcommand(1);
  StoreMigrateOptions migrate;
  CLI::App* store_migrate = store->add_subcommand(
      "migrate",
      "Copy this installation's state from the configured store (SQLite in the work directory, or "
      "store.url) to another: a PostgreSQL URI or a SQLite file; refuses a target that holds an "
      "installation's state");
  store_migrate
      ->add_option("--to", migrate.to,
                   "postgresql://user@host:port/db?sslmode=..., or sqlite:PATH (or a path)")
      ->required();
  store_migrate->add_option("--schema", migrate.schema,
                            "PostgreSQL target: the schema (default store.schema)");
  store_migrate->add_option("--resilience-schema", migrate.resilience_schema,
                            "PostgreSQL target: the breakers' schema (default "
                            "store.resilience_schema, or --schema)");

  InitOptions init_options;
  CLI::App* init = AddInitCommand(app, init_options);

  CLI::App* resilience =
      app.add_subcommand("resilience", "Work with the resilience configuration offline");
  resilience->require_subcommand(1);
  SimulateOptions simulate;
  CLI::App* sim =
      resilience->add_subcommand("simulate",
                                 "Replay calls against a configuration on virtual time; prints one "
                                 "JSON event per line, then a summary");
  sim->add_option("--config", simulate.config, "JSON file with a \"resilience\" object")
      ->required();
  sim->add_option("--trace", simulate.trace, "Calls, one JSON object per line (default: stdin)");
  sim->add_option("--faults", simulate.faults,
                  "Fault windows (JSON array or lines) for calls that list no attempts");
  sim->add_option("--server", simulate.server,
                  "The service's token buckets (JSON; {\"model\": \"aws\"} for EC2's published "
                  "limits): attempts over them are throttled");
  sim->add_option("--seed", simulate.seed,
                  "Seed of the random source for jitter and fault probabilities");
  CompareOptions compare;
  CLI::App* cmp = resilience->add_subcommand(
      "compare",
      "Replay the same calls against several configurations and print their results side by side");
  cmp->add_option("--config", compare.configs,
                  "JSON files with a \"resilience\" object (two or more)")
      ->required()
      ->expected(2, 16);
  cmp->add_option("--label", compare.labels, "Column names, in the order of --config");
  cmp->add_option("--trace", compare.trace, "Calls, one JSON object per line (default: stdin)");
  cmp->add_option("--faults", compare.faults, "Fault windows for calls that list no attempts");
  cmp->add_option("--server", compare.server,
                  "The service's token buckets: attempts over them are throttled");
  cmp->add_option("--seed", compare.seed, "Seed of the random source");
  cmp->add_flag("--json", compare.json, "Print the summaries as JSON");

  CLI::App* serve = app.add_subcommand(
      "serve", "REST API, Prometheus metrics and a live dashboard (ohfp serve --help)");
  serve->prefix_command();  // everything after `serve` goes to ohfp-serve
  serve->set_help_flag();

  const bool hostfactory_call = argc > 1 && IsHostFactoryCommand(argv[1]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (hostfactory_call && e.get_exit_code() != 0) {
      // HostFactory reads stdout: even a usage error must be one JSON document there.
      std::cout << ohfp::hostfactory::ErrorJson("bad arguments: " + ohfp::base::ValidUtf8(e.what()))
                       .dump()
                << std::endl;
      return kExitBadInput;
    }
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (!config_file.empty()) options.config_file = config_file;
  if (!confdir.empty()) options.confdir = confdir;
  if (!workdir.empty()) options.workdir = workdir;
  if (!logdir.empty()) options.logdir = logdir;
  metrics_json = format == "json";

  const ohfp::aws::ProcessEnvironment env;
  try {
    for (std::size_t i = 0; i < hf.size(); ++i) {
      if (hf[i]->parsed())
        return RunHostFactoryCommand(kHostFactoryCommands[i], input, options, env, std::cout,
                                     std::cin);
    }
    if (init->parsed()) return RunInit(init_options, env, std::cout, std::cerr);
    if (validate->parsed()) return RunConfigValidate(options, env, std::cout, std::cerr);
    if (metrics->parsed()) return RunMetrics(options, env, metrics_json, std::cout, std::cerr);
    if (breaker_status->parsed())
      return RunBreaker("status", "", options, env, std::cout, std::cerr);
    if (force_open->parsed())
      return RunBreaker("force-open", service, options, env, std::cout, std::cerr);
    if (force_closed->parsed())
      return RunBreaker("force-closed", service, options, env, std::cout, std::cerr);
    if (reset->parsed()) return RunBreaker("reset", service, options, env, std::cout, std::cerr);
    if (reconcile->parsed()) {
      return RunReconcile(reconcile_options, options, env, std::cout, std::cerr);
    }
    if (store_migrate->parsed())
      return RunStoreMigrate(migrate, options, env, std::cout, std::cerr);
    if (serve->parsed()) return ExecServe(options, serve->remaining(), env, std::cerr);
    if (sim->parsed()) return RunSimulate(simulate, std::cout, std::cerr);
    if (cmp->parsed()) return RunCompare(compare, std::cout, std::cerr);
  } catch (const std::exception& e) {
    if (hostfactory_call) {
      std::cout << ohfp::hostfactory::ErrorJson("internal error: " +
                                                ohfp::base::ValidUtf8(e.what()))
                       .dump()
                << std::endl;
    } else {
      std::cerr << "ohfp: internal error: " << e.what() << "\n";
    }
    return kExitInternal;
  }
  return kExitBadInput;
}
