// store/transaction.h
//
// Transaction: an RAII SQLite transaction. Begin() opens it, Commit() makes its changes visible to
// every other connection, and a Transaction destroyed without a successful Commit() rolls back.
//
// Modes: kImmediate (the default) takes the database's write lock at BEGIN, waiting up to the
// busy timeout for another writer to finish. Use it for every transaction that may write, above
// all a read-modify-write: a deferred transaction that reads first and writes later may find,
// when it tries to upgrade, that another connection wrote in between, and must fail. kDeferred
// takes no lock until the first statement: for consistent multi-statement reads.
//
// Thread-safety: as its Database: one thread at a time. Transactions do not nest (a second
// Begin() on the same connection fails). Must not outlive the Database.
//
// Example:
//   Result<Transaction> txn = Transaction::Begin(db);      // BEGIN IMMEDIATE
//   if (!txn.ok()) return txn.error();                     // kTimeout: another writer held on
//   ... read, decide, write through db's statements ...
//   return txn->Commit();                                  // or return early: rolled back
#pragma once

#include <cstdint>

#include "ohfp/resilience/result.h"

namespace ohfp::store {

class Database;

enum class TransactionMode : std::uint8_t { kDeferred, kImmediate };

class Transaction {
 public:
  [[nodiscard]] static resilience::Result<Transaction> Begin(
      Database& db, TransactionMode mode = TransactionMode::kImmediate);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless Commit() succeeded.
  ~Transaction();

  // Commits. On failure the transaction is still open and the destructor rolls it back.
  [[nodiscard]] resilience::Status Commit();

 private:
  explicit Transaction(Database& db) noexcept : db_(&db) {}

  Database* db_;  // null once committed, and in a moved-from Transaction
};

}  // namespace ohfp::store
