// The ohfp executable: argument parsing and wiring only.
#include <CLI/CLI.hpp>
#include <array>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/environment.h"
#include "base/untrusted_text.h"
#include "cli/exit_codes.h"
#include "cli/hostfactory_commands.h"
#include "cli/init_command.h"
#include "cli/resilience_commands.h"
#include "cli/serve_command.h"
#include "cli/store_commands.h"
#include "hostfactory/contract.h"

namespace ohfp::cli {
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

// What every subcommand reads besides its own options, known once the command line is parsed.
struct Context {
  app::AppOptions options;
  aws::ProcessEnvironment env;
};

// A subcommand without subcommands of its own, and what runs when the command line names it. The
// subcommand's options live in what `run` holds.
struct Command {
  CLI::App* subcommand;
  std::function<int(const Context&)> run;
};
using Commands = std::vector<Command>;

// --config, --confdir, --workdir, --logdir; empty when not given.
struct DirectoryOptions {
  std::string config_file;
  std::string confdir;
  std::string workdir;
  std::string logdir;

  app::AppOptions ToAppOptions() const {
    app::AppOptions options;
    if (!config_file.empty()) options.config_file = config_file;
    if (!confdir.empty()) options.confdir = confdir;
    if (!workdir.empty()) options.workdir = workdir;
    if (!logdir.empty()) options.logdir = logdir;
    return options;
  }
};

void AddDirectoryOptions(CLI::App& app, DirectoryOptions& directories) {
  app.add_option("--config", directories.config_file,
                 "config.json to use (default: HF_PROVIDER_CONFDIR/config.json)");
  app.add_option("--confdir", directories.confdir,
                 "Configuration directory (default: HF_PROVIDER_CONFDIR, else .)");
  app.add_option("--workdir", directories.workdir,
                 "Work directory (default: HF_PROVIDER_WORKDIR, else the confdir)");
  app.add_option("--logdir", directories.logdir,
                 "Log directory (default: HF_PROVIDER_LOGDIR, else the workdir)");
}

// The five commands HostFactory runs: JSON in (-f, --data or stdin), JSON out.
void AddHostFactoryCommands(CLI::App& app, Commands& commands) {
  auto input = std::make_shared<CommandInput>();
  for (const char* name : kHostFactoryCommands) {
    CLI::App* c =
        app.add_subcommand(name, std::string("HostFactory's ") + name + " (JSON in, JSON out)");
    c->add_option("-f,--file", input->file, "Input JSON file (as HostFactory passes it)");
    c->add_option("--data", input->data, "Input JSON text");
    c->add_option("--max-input-bytes", input->max_bytes,
                  "The most input bytes read; a larger input is refused (exit 2)")
        ->envname("OHFP_MAX_INPUT_BYTES")
        ->check(CLI::PositiveNumber);
    commands.push_back({c, [input, name](const Context& ctx) {
                          return RunHostFactoryCommand(name, *input, ctx.options, ctx.env,
                                                       std::cout, std::cin);
                        }});
  }
}

// `ohfp config validate` and `ohfp metrics`: what the configuration says, what the processes did.
void AddConfigAndMetricsCommands(CLI::App& app, Commands& commands) {
  CLI::App* config = app.add_subcommand("config", "Check the configuration");
  config->require_subcommand(1);
  CLI::App* validate =
      config->add_subcommand("validate",
                             "Print every problem in config.json and awsprov_templates.json with "
                             "its path, or the effective "
                             "configuration");
  commands.push_back({validate, [](const Context& ctx) {
                        return RunConfigValidate(ctx.options, ctx.env, std::cout, std::cerr);
                      }});

  CLI::App* metrics =
      app.add_subcommand("metrics", "Print the counters of every ohfp process so far");
  auto format = std::make_shared<std::string>("prometheus");
  metrics->add_option("--format", *format, "prometheus or json")
      ->check(CLI::IsMember({"prometheus", "json"}));
  commands.push_back({metrics, [format](const Context& ctx) {
                        return RunMetrics(ctx.options, ctx.env, *format == "json", std::cout,
                                          std::cerr);
                      }});
}

// `ohfp breaker status|force-open|force-closed|reset`.
void AddBreakerCommands(CLI::App& app, Commands& commands) {
  CLI::App* breaker = app.add_subcommand(
      "breaker", "Inspect or override circuit breakers (shared by every process)");
  breaker->require_subcommand(1);
  CLI::App* status = breaker->add_subcommand("status", "Every breaker's state");
  commands.push_back({status, [](const Context& ctx) {
                        return RunBreaker("status", "", ctx.options, ctx.env, std::cout, std::cerr);
                      }});
  struct Override {
    const char* action;
    const char* help;
  };
  constexpr Override kOverrides[] = {
      {"force-open", "Reject every call to SERVICE until reset"},
      {"force-closed", "Let every call to SERVICE through, counting none"},
      {"reset", "Back to a fresh CLOSED breaker without override"}};
  auto service = std::make_shared<std::string>();
  for (const Override& o : kOverrides) {
    CLI::App* c = breaker->add_subcommand(o.action, o.help);
    c->add_option("service", *service, "aws_ec2, aws_autoscaling, aws_spot_fleet, ...")->required();
    commands.push_back({c, [service, action = o.action](const Context& ctx) {
                          return RunBreaker(action, *service, ctx.options, ctx.env, std::cout,
                                            std::cerr);
                        }});
  }
}

// `ohfp reconcile` and `ohfp store migrate`: the operator's hands on the store.
void AddStoreCommands(CLI::App& app, Commands& commands) {
  CLI::App* reconcile = app.add_subcommand(
      "reconcile",
      "Reclaim requests HostFactory never learned of, terminate this installation's instances the "
      "state store records as abandoned, and clean up, now; prints what the sweep found");
  auto reconcile_options = std::make_shared<ReconcileOptions>();
  reconcile->add_flag("--dry-run", reconcile_options->dry_run,
                      "Only say what the orphan sweep would do; change nothing");
  reconcile->add_flag("--adopt", reconcile_options->adopt,
                      "After a lost state store: rebuild the records of this installation's "
                      "instances from their tags (terminates nothing)");
  commands.push_back({reconcile, [reconcile_options](const Context& ctx) {
                        return RunReconcile(*reconcile_options, ctx.options, ctx.env, std::cout,
                                            std::cerr);
                      }});

  CLI::App* store = app.add_subcommand("store", "Move this installation's state between stores");
  store->require_subcommand(1);
  auto migrate = std::make_shared<StoreMigrateOptions>();
  CLI::App* store_migrate = store->add_subcommand(
      "migrate",
      "Copy this installation's state from the configured store (SQLite in the work directory, or "
      "store.url) to another: a PostgreSQL URI or a SQLite file; refuses a target that holds an "
      "installation's state");
  store_migrate
      ->add_option("--to", migrate->to,
                   "postgresql://user@host:port/db?sslmode=..., or sqlite:PATH (or a path)")
      ->required();
  store_migrate->add_option("--schema", migrate->schema,
                            "PostgreSQL target: the schema (default store.schema)");
  store_migrate->add_option("--resilience-schema", migrate->resilience_schema,
                            "PostgreSQL target: the breakers' schema (default "
                            "store.resilience_schema, or --schema)");
  commands.push_back({store_migrate, [migrate](const Context& ctx) {
                        return RunStoreMigrate(*migrate, ctx.options, ctx.env, std::cout,
                                               std::cerr);
                      }});
}

// `ohfp init` (its options are in init_command.cc).
void AddInit(CLI::App& app, Commands& commands) {
  auto init_options = std::make_shared<InitOptions>();
  CLI::App* init = AddInitCommand(app, *init_options);
  commands.push_back({init, [init_options](const Context& ctx) {
                        return RunInit(*init_options, ctx.env, std::cout, std::cerr);
                      }});
}

// `ohfp resilience simulate|compare`: offline, on virtual time.
void AddResilienceCommands(CLI::App& app, Commands& commands) {
  CLI::App* resilience =
      app.add_subcommand("resilience", "Work with the resilience configuration offline");
  resilience->require_subcommand(1);
  auto simulate = std::make_shared<SimulateOptions>();
  CLI::App* sim =
      resilience->add_subcommand("simulate",
                                 "Replay calls against a configuration on virtual time; prints one "
                                 "JSON event per line, then a summary");
  sim->add_option("--config", simulate->config, "JSON file with a \"resilience\" object")
      ->required();
  sim->add_option("--trace", simulate->trace, "Calls, one JSON object per line (default: stdin)");
  sim->add_option("--faults", simulate->faults,
                  "Fault windows (JSON array or lines) for calls that list no attempts");
  sim->add_option("--server", simulate->server,
                  "The service's token buckets (JSON; {\"model\": \"aws\"} for EC2's published "
                  "limits): attempts over them are throttled");
  sim->add_option("--seed", simulate->seed,
                  "Seed of the random source for jitter and fault probabilities");
  commands.push_back(
      {sim, [simulate](const Context&) { return RunSimulate(*simulate, std::cout, std::cerr); }});

  auto compare = std::make_shared<CompareOptions>();
  CLI::App* cmp = resilience->add_subcommand(
      "compare",
      "Replay the same calls against several configurations and print their results side by side");
  cmp->add_option("--config", compare->configs,
                  "JSON files with a \"resilience\" object (two or more)")
      ->required()
      ->expected(2, 16);
  cmp->add_option("--label", compare->labels, "Column names, in the order of --config");
  cmp->add_option("--trace", compare->trace, "Calls, one JSON object per line (default: stdin)");
  cmp->add_option("--faults", compare->faults, "Fault windows for calls that list no attempts");
  cmp->add_option("--server", compare->server,
                  "The service's token buckets: attempts over them are throttled");
  cmp->add_option("--seed", compare->seed, "Seed of the random source");
  cmp->add_flag("--json", compare->json, "Print the summaries as JSON");
  commands.push_back(
      {cmp, [compare](const Context&) { return RunCompare(*compare, std::cout, std::cerr); }});
}

// `ohfp serve ...`: everything after `serve` goes to ohfp-serve.
void AddServeCommand(CLI::App& app, Commands& commands) {
  CLI::App* serve = app.add_subcommand(
      "serve", "REST API, Prometheus metrics and a live dashboard (ohfp serve --help)");
  serve->prefix_command();
  serve->set_help_flag();
  commands.push_back({serve, [serve](const Context& ctx) {
                        return ExecServe(ctx.options, serve->remaining(), ctx.env, std::cerr);
                      }});
}

// Parses the command line. A refused one is printed (for a HostFactory command as the one JSON
// document HostFactory reads on stdout) and its exit code returned; so is --help or --version.
std::optional<int> Parse(CLI::App& app, int argc, char** argv, bool hostfactory_call) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (hostfactory_call && e.get_exit_code() != 0) {
      // HostFactory reads stdout: even a usage error must be one JSON document there.
      std::cout << hostfactory::ErrorJson("bad arguments: " + base::ValidUtf8(e.what())).dump()
                << std::endl;
      return kExitBadInput;
    }
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  return std::nullopt;
}

// Runs the subcommand the command line named. An exception is an internal error (exit 3), said as
// a JSON document to HostFactory and as a line on stderr to an operator.
int Run(const Commands& commands, const Context& ctx, bool hostfactory_call) {
  try {
    for (const Command& c : commands) {
      if (c.subcommand->parsed()) return c.run(ctx);
    }
  } catch (const std::exception& e) {
    if (hostfactory_call) {
      std::cout << hostfactory::ErrorJson("internal error: " + base::ValidUtf8(e.what())).dump()
                << std::endl;
    } else {
      std::cerr << "ohfp: internal error: " << e.what() << "\n";
    }
    return kExitInternal;
  }
  return kExitBadInput;
}

}  // namespace
}  // namespace ohfp::cli

int main(int argc, char** argv) {
  using namespace ohfp::cli;  // NOLINT(google-build-using-namespace): main only wires
  CLI::App app{"ohfp: the Open Host Factory Plugin for AWS, with its resilience layer", "ohfp"};
  app.set_version_flag("--version", kVersion);
  app.footer(kFooter);
  app.require_subcommand(1);

  DirectoryOptions directories;
  AddDirectoryOptions(app, directories);
  Commands commands;
  AddHostFactoryCommands(app, commands);
  AddConfigAndMetricsCommands(app, commands);
  AddBreakerCommands(app, commands);
  AddStoreCommands(app, commands);
  AddInit(app, commands);
  AddResilienceCommands(app, commands);
  AddServeCommand(app, commands);

  const bool hostfactory_call = argc > 1 && IsHostFactoryCommand(argv[1]);
  if (std::optional<int> refused = Parse(app, argc, argv, hostfactory_call)) return *refused;
  return Run(commands, Context{directories.ToAppOptions(), {}}, hostfactory_call);
}
