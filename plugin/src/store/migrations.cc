#include "store/migrations.h"

#include <string>

#include "store/sqlite_error.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

constexpr std::string_view kCreateSchemaVersion = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  component   TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  description TEXT    NOT NULL,
  applied_at  TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (component, version)
))sql";

resilience::Status CheckList(const Database& db, std::string_view component,
                             std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return MakeStoreError(db.path().string(), "StoreBadMigrations",
                            "migrations of '" + std::string(component) + "' must be numbered 1, " +
                                "2, 3, ... in order; entry " + std::to_string(i + 1) +
                                " has version " + std::to_string(migrations[i].version));
    }
  }
  return resilience::OkStatus();
}

resilience::Status CheckNotNewer(const Database& db, std::string_view component, int found,
                                 int known) {
  if (found <= known) return resilience::OkStatus();
  return MakeStoreError(db.path().string(), "SchemaTooNew",
                        "database schema '" + std::string(component) + "' version " +
                            std::to_string(found) + " is newer than this ohfp (" +
                            std::to_string(known) + "); upgrade ohfp");
}

}  // namespace

resilience::Result<int> SchemaVersion(Database& db, std::string_view component) {
  resilience::Result<Statement> exists = db.Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists.ok()) return std::move(exists).error();
  resilience::Result<bool> row = exists->Step();
  if (!row.ok()) return std::move(row).error();
  if (exists->Column<std::int64_t>(0) == 0) return 0;
  exists->Reset();

  resilience::Result<Statement> query =
      db.Prepare("SELECT coalesce(max(version), 0) FROM schema_version WHERE component = ?");
  if (!query.ok()) return std::move(query).error();
  query->Bind(1, component);
  row = query->Step();
  if (!row.ok()) return std::move(row).error();
  return static_cast<int>(query->Column<std::int64_t>(0));
}

resilience::Result<int> ApplyMigrations(Database& db, std::string_view component,
                                        std::span<const Migration> migrations) {
  if (resilience::Status s = CheckList(db, component, migrations); !s.ok()) return s.error();
  const int known = static_cast<int>(migrations.size());

  // Every process opening the database comes here: an up-to-date one costs a read, no lock.
  resilience::Result<int> found = SchemaVersion(db, component);
  if (!found.ok()) return found;
  if (resilience::Status s = CheckNotNewer(db, component, *found, known); !s.ok()) return s.error();
  if (*found == known) return known;

  // Behind: take the write lock, then look again; another process may have just applied them.
  resilience::Result<Transaction> txn = Transaction::Begin(db, TransactionMode::kImmediate);
  if (!txn.ok()) return std::move(txn).error();
  if (resilience::Status s = db.Execute(kCreateSchemaVersion); !s.ok()) return s.error();
  found = SchemaVersion(db, component);
  if (!found.ok()) return found;
  if (resilience::Status s = CheckNotNewer(db, component, *found, known); !s.ok()) return s.error();

  resilience::Result<Statement> record =
      db.Prepare("INSERT INTO schema_version (component, version, description) VALUES (?, ?, ?)");
  if (!record.ok()) return std::move(record).error();
  for (const Migration& migration : migrations.subspan(static_cast<std::size_t>(*found))) {
    if (resilience::Status s = db.Execute(migration.sql); !s.ok()) {
      return s.error().WithMessage(
          std::string(s.error().message()) + " (in migration '" + std::string(component) + "' " +
          std::to_string(migration.version) + ", " + std::string(migration.description) + ")");
    }
    record->Reset();
    record->BindAll(component, migration.version, migration.description);
    if (resilience::Status s = record->Run(); !s.ok()) return s.error();
  }
  record->Reset();
  if (resilience::Status s = txn->Commit(); !s.ok()) return s.error();
  return known;
}

}  // namespace ohfp::store
