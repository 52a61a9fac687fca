// cli/hostfactory_commands.h
//
// The HostFactory commands as HostFactory runs them (`ohfp requestMachines -f input.json`) and the
// operator commands (`ohfp config validate`, `ohfp metrics`, `ohfp breaker ...`, `ohfp reconcile`).
//
// HostFactory commands print exactly one JSON document on stdout and nothing else, errors included
// ({"message": "..."}), and exit 0 on success, 1 when the command failed, 2 when the input or
// configuration is invalid. The input comes from -f FILE, --data JSON, or stdin, at most
// CommandInput::max_bytes of it.
//
// Thread-safety: functions run on the CLI's thread.
//
// Example:
//   CommandInput in{.file = "input.json"};
//   return RunHostFactoryCommand("requestMachines", in, app_options, env, std::cout);
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

#include "app/plugin_app.h"
#include "aws/environment.h"

namespace ohfp::cli {

// The most bytes of input a HostFactory command reads by default: no HostFactory input comes near
// it (a getRequestStatus of 10,000 requests is about 500 KB), and a larger one is refused before it
// is held in memory whole.
inline constexpr std::size_t kDefaultMaxInputBytes = std::size_t{16} << 20;  // 16 MiB

struct CommandInput {
  std::optional<std::string> file{};  // -f
  std::optional<std::string> data{};  // --data
  // --max-input-bytes, or the environment's OHFP_MAX_INPUT_BYTES. A larger input (file, --data or
  // stdin) is exit 2 with a message; so is one that is not valid JSON, not UTF-8, nested deeper
  // than 64 levels, or does not fit the command (the message names the JSON path).
  std::size_t max_bytes = kDefaultMaxInputBytes;
};

// `command` is one of the five HostFactory command names.
int RunHostFactoryCommand(std::string_view command, const CommandInput& input,
                          const app::AppOptions& options, const aws::Environment& env,
                          std::ostream& out, std::istream& in);

// `ohfp config validate`: every problem with its path (exit 2), or the effective configuration and
// templates.
int RunConfigValidate(const app::AppOptions& options, const aws::Environment& env,
                      std::ostream& out, std::ostream& err);
// `ohfp metrics [--format json|prometheus]`: the counters of every process so far.
int RunMetrics(const app::AppOptions& options, const aws::Environment& env, bool json,
               std::ostream& out, std::ostream& err);
// `ohfp breaker status` and `ohfp breaker force-open|force-closed|reset SERVICE`.
int RunBreaker(std::string_view action, const std::string& service, const app::AppOptions& options,
               const aws::Environment& env, std::ostream& out, std::ostream& err);
struct ReconcileOptions {
  bool dry_run = false;  // say what the orphan sweep would do; change nothing
  bool adopt = false;    // rebuild the records of this installation's instances from their tags
};

// `ohfp reconcile [--dry-run] [--adopt]`: reclaim unclaimed requests, sweep orphans and clean up
// now; prints a JSON report of the sweep (every instance of this installation and what the sweep
// does with it).
int RunReconcile(const ReconcileOptions& reconcile, const app::AppOptions& options,
                 const aws::Environment& env, std::ostream& out, std::ostream& err);

}  // namespace ohfp::cli
