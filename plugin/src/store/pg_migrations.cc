#include "store/pg_migrations.h"

#include <string>

#include "base/connection_url.h"

namespace ohfp::store {
namespace {

using resilience::Deadline;
using resilience::Result;
using resilience::Status;

Status CheckList(const PgPool& pool, std::string_view component,
                 std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return PgStoreError(pool.where(), "StoreBadMigrations",
                          "migrations of '" + std::string(component) +
                              "' must be numbered 1, 2, 3, ... in order; entry " +
                              std::to_string(i + 1) + " has version " +
                              std::to_string(migrations[i].version));
    }
  }
  return resilience::OkStatus();
}

Status CheckNotNewer(const PgPool& pool, std::string_view schema, std::string_view component,
                     int found, int known) {
  if (found <= known) return resilience::OkStatus();
  return PgStoreError(pool.where(), "SchemaTooNew",
                      "database schema '" + std::string(component) + "' (in schema " +
                          std::string(schema) + ") version " + std::to_string(found) +
                          " is newer than this ohfp (" + std::to_string(known) + "); upgrade ohfp");
}

// Runs under the advisory lock, inside the transaction.
Result<int> ApplyLocked(PgPool& pool, PgConnection& c, Deadline deadline, std::string_view schema,
                        std::string_view component, std::span<const Migration> migrations) {
  const std::string s(schema);
  Result<PgResult> locked = c.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                   PgParams().Add("ohfp-migrations:" + s), deadline);
  if (!locked.ok()) return locked.error();
  if (Status st =
          c.ExecuteScript("CREATE SCHEMA IF NOT EXISTS " + s + "; CREATE TABLE IF NOT EXISTS " + s +
                              ".schema_version ("
                              "component TEXT NOT NULL, version INTEGER NOT NULL, "
                              "description TEXT NOT NULL, "
                              "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                              "PRIMARY KEY (component, version)); "
                              "SET LOCAL search_path TO " +
                              s,
                          deadline);
      !st.ok()) {
    return st.error();
  }
  Result<int> found = PgSchemaVersion(c, schema, component, deadline);
  if (!found.ok()) return found;
  const int known = static_cast<int>(migrations.size());
  if (Status st = CheckNotNewer(pool, schema, component, *found, known); !st.ok()) {
    return st.error();
  }
  for (const Migration& m : migrations.subspan(static_cast<std::size_t>(*found))) {
    if (Status st = c.ExecuteScript(m.sql, deadline); !st.ok()) {
      return st.error().WithMessage(std::string(st.error().message()) + " (in migration '" +
                                    std::string(component) + "' " + std::to_string(m.version) +
                                    ", " + std::string(m.description) + ")");
    }
    Result<PgResult> recorded =
        c.Exec("INSERT INTO " + s +
                   ".schema_version (component, version, description) "
                   "VALUES ($1, $2, $3)",
               PgParams().Add(component).Add(m.version).Add(m.description), deadline);
    if (!recorded.ok()) return recorded.error();
  }
  return known;
}

}  // namespace

Result<int> PgSchemaVersion(PgConnection& c, std::string_view schema, std::string_view component,
                            Deadline deadline) {
  // One round trip in the common case; a schema or table that does not exist yet is version 0.
  Result<PgResult> version = c.Exec("SELECT coalesce(max(version), 0) FROM " + std::string(schema) +
                                        ".schema_version WHERE component = $1",
                                    PgParams().Add(component), deadline);
  if (!version.ok()) {
    if (version.error().code() == kStoreNoSuchTableCode) return 0;
    return version.error();
  }
  return static_cast<int>(version->Int(0, 0));
}

Result<int> ApplyPgMigrations(PgPool& pool, std::string_view schema, std::string_view component,
                              std::span<const Migration> migrations) {
  if (Status s = CheckList(pool, component, migrations); !s.ok()) return s.error();
  if (!base::ValidSchemaName(schema)) {
    return PgStoreError(pool.where(), "StoreBadSchema",
                        "schema '" + std::string(schema) +
                            "' must be a lowercase SQL identifier ([a-z_][a-z0-9_]*)");
  }
  const int known = static_cast<int>(migrations.size());
  // Every process comes here: an up-to-date schema costs one read and no lock.
  Result<int> found = pool.Run([&](PgConnection& c, Deadline deadline) {
    return PgSchemaVersion(c, schema, component, deadline);
  });
  if (!found.ok()) return found;
  if (Status s = CheckNotNewer(pool, schema, component, *found, known); !s.ok()) return s.error();
  if (*found == known) return known;
  return pool.Transact([&](PgConnection& c, Deadline deadline) {
    return ApplyLocked(pool, c, deadline, schema, component, migrations);
  });
}

}  // namespace ohfp::store
