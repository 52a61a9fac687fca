// store/migrations.h
//
// Numbered schema migrations. A component of the program (the resilience store, the plugin's
// request tables, ...) owns one list of migrations, numbered 1, 2, 3, ... in the order they must
// run; ApplyMigrations() brings a database up to the list's last version. Each component's
// version is recorded separately, one row per applied migration, in the schema_version table:
//   schema_version(component TEXT, version INTEGER, description TEXT, applied_at TEXT)
// so components evolve independently in one file.
//
// Applying is idempotent and safe when several processes start at once: an up-to-date database is
// recognized with one read and no lock; otherwise everything happens in one BEGIN IMMEDIATE
// transaction that re-reads the version after taking the write lock, so exactly one process
// applies each migration and the others find it done. A failing migration rolls back everything
// this call applied. A database whose version is newer than the list (written by a newer ohfp) is
// refused: "database schema 'resilience' version 7 is newer than this ohfp (5); upgrade ohfp".
// Never edit or renumber a released migration; add a new one.
//
// Thread-safety: ApplyMigrations uses the Database it is given (one thread at a time).
//
// Example:
//   constexpr Migration kRequestMigrations[] = {
//       {1, "create requests", "CREATE TABLE requests (id TEXT PRIMARY KEY, state TEXT NOT NULL)"},
//       {2, "add request tags", "ALTER TABLE requests ADD COLUMN tags TEXT"},
//   };
//   Result<int> version = ApplyMigrations(db, "requests", kRequestMigrations);   // 2
#pragma once

#include <span>
#include <string_view>

#include "ohfp/resilience/result.h"
#include "store/database.h"

namespace ohfp::store {

struct Migration {
  int version;                   // 1 for the first, then each one more than the one before
  std::string_view description;  // recorded in schema_version, and named in errors
  std::string_view sql;          // one or more statements; runs inside the migration transaction
};

// Applies the migrations of `component` that `db` has not seen yet, in order. Returns the version
// the database is at afterwards (the last migration's; 0 for an empty list). Errors: kInternal for
// a malformed list, a newer database ("SchemaTooNew") or a failing migration; kTimeout when another
// process held the write lock past the busy timeout.
[[nodiscard]] resilience::Result<int> ApplyMigrations(Database& db, std::string_view component,
                                                      std::span<const Migration> migrations);

// The version of `component` recorded in `db`: 0 when none of its migrations has been applied.
[[nodiscard]] resilience::Result<int> SchemaVersion(Database& db, std::string_view component);

}  // namespace ohfp::store
