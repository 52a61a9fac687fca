#include "store/transaction.h"

#include <sqlite3.h>

#include <utility>

#include "store/database.h"
#include "store/sqlite_error.h"

namespace ohfp::store {

resilience::Result<Transaction> Transaction::Begin(Database& db, TransactionMode mode) {
  const char* sql = mode == TransactionMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
  const int rc = sqlite3_exec(db.db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return MakeSqliteError(db.db_, rc, sql);
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // SQLite may already have rolled the transaction back itself (after SQLITE_FULL, SQLITE_IOERR,
  // SQLITE_NOMEM): then the connection is back in autocommit and there is nothing to undo. A
  // failed ROLLBACK leaves nothing to do either: SQLite ends the transaction when the connection
  // closes, and the WAL discards what was never committed.
  if (db_ != nullptr && db_->in_transaction()) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

resilience::Status Transaction::Commit() {
  if (db_ == nullptr) {
    return MakeStoreError("(no file)", "StoreMisuse", "COMMIT: the transaction is not open");
  }
  const int rc = sqlite3_exec(db_->db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return MakeSqliteError(db_->db_, rc, "COMMIT");
  db_ = nullptr;
  return resilience::OkStatus();
}

}  // namespace ohfp::store
