// store/pg_migrations.h
//
// Numbered schema migrations on PostgreSQL: store/migrations.h's rules (a component's list of
// Migration, numbered 1, 2, 3, ...; never edited once released; a database newer than the list is
// refused) applied in a schema of the database. Each schema has its own schema_version table:
//   schema_version(component TEXT, version INTEGER, description TEXT, applied_at TIMESTAMPTZ)
//
// Safe when many processes on many hosts start at once: an up-to-date schema is recognized with
// one read and no lock; otherwise one transaction takes a transaction-level advisory lock keyed by
// the schema's name (pg_advisory_xact_lock), creates the schema and the version table if missing,
// reads the version again and applies what is still missing, so exactly one process applies each
// migration and the others wait for it and find it done. A failing migration rolls back all that
// this call applied (PostgreSQL's DDL is transactional).
//
// Thread-safety: uses the pool (any thread).
//
// Example:
//   Result<int> v = ApplyPgMigrations(pool, "ohfp", "requests", PgRequestMigrations());
#pragma once

#include <span>
#include <string_view>

#include "ohfp/resilience/result.h"
#include "store/migrations.h"
#include "store/pg_pool.h"

namespace ohfp::store {

// Brings `component` in `schema` up to the last of `migrations`; returns that version.
[[nodiscard]] resilience::Result<int> ApplyPgMigrations(PgPool& pool, std::string_view schema,
                                                        std::string_view component,
                                                        std::span<const Migration> migrations);

// The version of `component` in `schema`: 0 when none of its migrations has been applied (or the
// schema does not exist).
[[nodiscard]] resilience::Result<int> PgSchemaVersion(PgConnection& c, std::string_view schema,
                                                      std::string_view component,
                                                      resilience::Deadline deadline);

}  // namespace ohfp::store
