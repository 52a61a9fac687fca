// The ohfp executable: argument parsing and wiring only.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/resilience_commands.h"

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kFooter =
    R"(Exit codes: 0 success, 1 the command failed, 2 bad arguments, input or
configuration, 3 internal error.

Examples:
  ohfp resilience simulate --config config/examples/seed-resilience.json --trace calls.jsonl
  ohfp resilience compare --config config/examples/seed-resilience.json \
      --config config/recommended-resilience.json \
      --trace config/scenarios/throttle-storm.trace.jsonl \
      --faults config/scenarios/throttle-storm.faults.json

Documentation: README.md, docs/resilience.md, docs/configuration.md.)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ohfp::cli;  // NOLINT(google-build-using-namespace): main only wires
  CLI::App app{"ohfp: the Open Host Factory Plugin for AWS, with its resilience layer", "ohfp"};
  app.set_version_flag("--version", kVersion);
  app.footer(kFooter);
  app.require_subcommand(1);

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
  cmp->add_option("--seed", compare.seed, "Seed of the random source");
  cmp->add_flag("--json", compare.json, "Print the summaries as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  try {
    if (sim->parsed()) return RunSimulate(simulate, std::cout, std::cerr);
    if (cmp->parsed()) return RunCompare(compare, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "ohfp: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitBadInput;
}
