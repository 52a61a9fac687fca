// cli/store_commands.h
//
// `ohfp store migrate --to TARGET`: copies this installation's state (requests, machines,
// attempts, breakers, quotas, its identity) from the store the configuration names to TARGET, a
// PostgreSQL connection URI (postgresql://...) or a SQLite file (sqlite:PATH or a plain path), and
// says what to change in config.json next. Refuses a target that holds an installation's state
// (store/store_copy.h). Prints a JSON report on stdout; problems on stderr, exit 1 (2 for bad
// arguments or configuration).
//
// Thread-safety: runs on the CLI's thread.
//
// Example:
//   ohfp store migrate --to 'postgresql://ohfp@db1:5432/hf?sslmode=verify-full'
//   ohfp store migrate --to /var/hf/work/ohfp-state.db      # back to SQLite
#pragma once

#include <iosfwd>
#include <string>

#include "app/plugin_app.h"
#include "aws/environment.h"

namespace ohfp::cli {

struct StoreMigrateOptions {
  std::string to{};                 // the target
  std::string schema{};             // PostgreSQL target: default store.schema
  std::string resilience_schema{};  // PostgreSQL target: default store.resilience_schema
};

int RunStoreMigrate(const StoreMigrateOptions& migrate, const app::AppOptions& options,
                    const aws::Environment& env, std::ostream& out, std::ostream& err);

}  // namespace ohfp::cli
