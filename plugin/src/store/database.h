// store/database.h
//
// Database: one SQLite connection to one file, set up the way every ohfp process needs it. The
// plugin's state lives in a file under HostFactory's work directory and is shared by the many
// short-lived processes HostFactory starts, often several at once. Open() therefore
//  - creates the file and its missing parent directories;
//  - switches the file to WAL journaling (readers never block the writer, nor the writer readers;
//    a process killed mid-transaction leaves the file consistent: the next connection recovers);
//  - sets synchronous=NORMAL (durable at checkpoints; a power loss may lose the last commits, never
//    consistency), foreign_keys=ON, and a busy timeout (default 5 s) during which a connection
//    waits for another's write lock before giving up with ErrorKind::kTimeout ("StoreBusy"; see
//    store/sqlite_error.h). Every other failure is ErrorKind::kInternal; messages name the file.
//
// Thread-safety: one connection per thread. A Database, and the Statements and Transactions made
// from it, must be used by one thread at a time (the connection is opened SQLITE_OPEN_NOMUTEX).
// A transaction belongs to the whole connection, so sharing one across threads would mix their
// transactions even with SQLite's own mutex; threads that need the database each open their own
// Database (SqliteStateStore keeps a pool). Any number of connections, in any processes, may use
// the same file at once.
//
// Example:
//   Result<Database> db = Database::Open(work_dir / "ohfp" / "state.db");
//   if (!db.ok()) return db.error();
//   if (Status s = db->Execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER)");
//       !s.ok()) return s.error();
//   Result<Statement> insert = db->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "ohfp/resilience/result.h"
#include "store/statement.h"

struct sqlite3;

namespace ohfp::store {

struct DatabaseOptions {
  // How long a connection waits for another connection's lock before failing with kTimeout.
  // Zero (or negative): fail at once.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
  // Opens an existing file for reading only (SQLITE_OPEN_READONLY): no directory or file is
  // created, the journal mode is left as it is (in WAL mode, which every read-write Open() sets, a
  // reader never blocks a writer), and any write fails. For long-running readers (`ohfp serve`).
  bool read_only = false;
};

class Database {
 public:
  // Opens (creating when missing) the database file at `path`, and its parent directories.
  [[nodiscard]] static resilience::Result<Database> Open(const std::filesystem::path& path,
                                                         const DatabaseOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes the connection. Statements made from it must be destroyed first.
  ~Database();

  // Runs SQL without parameters (one or more statements separated by ';'): schema, pragmas.
  [[nodiscard]] resilience::Status Execute(std::string_view sql);
  // A prepared statement for one SQL statement; bind values to its parameters, never splice them
  // into `sql`. The statement must not outlive this Database.
  [[nodiscard]] resilience::Result<Statement> Prepare(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const noexcept;
  // True while a transaction is open on this connection.
  bool in_transaction() const noexcept;
  // The file, as given to Open().
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  friend class Transaction;
  Database(sqlite3* db, std::filesystem::path path) noexcept : db_(db), path_(std::move(path)) {}

  sqlite3* db_;  // null only in a moved-from Database
  std::filesystem::path path_;
};

}  // namespace ohfp::store
