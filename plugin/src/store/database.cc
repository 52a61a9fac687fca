#include "store/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <string>
#include <system_error>
#include <utility>

#include "store/sqlite_error.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

// The first line of `sql`, shortened and quoted, for messages.
std::string SqlForMessage(std::string_view sql) {
  sql = sql.substr(0, sql.find('\n'));
  constexpr std::size_t kMax = 60;
  return "\"" + std::string(sql.substr(0, kMax)) + (sql.size() > kMax ? "...\"" : "\"");
}

// The journal mode the database is in after `sql` (a "PRAGMA journal_mode" statement).
resilience::Result<std::string> JournalMode(Database& db, std::string_view sql) {
  resilience::Result<Statement> pragma = db.Prepare(sql);
  if (!pragma.ok()) return std::move(pragma).error();
  resilience::Result<bool> row = pragma->Step();
  if (!row.ok()) return std::move(row).error();
  return *row ? pragma->Column<std::string>(0) : std::string();
}

// WAL: readers and the writer do not block each other, and a killed writer leaves nothing behind
// but uncommitted frames, which the next connection ignores. The switch happens once, when the
// file is new. Processes creating it at the same moment can collide: the pragma reads the header
// and then needs the write lock, and rather than wait while holding its read (which could
// deadlock) SQLite fails at once with SQLITE_BUSY. Then wait for the other process's switch to
// finish the way that does honour the busy timeout (BEGIN IMMEDIATE, holding nothing) and ask
// again: by then the file is in WAL mode and the pragma has nothing to do.
resilience::Status SwitchToWal(Database& db) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    resilience::Result<std::string> mode = JournalMode(db, "PRAGMA journal_mode=WAL");
    if (mode.ok()) {
      if (*mode == "wal") return resilience::OkStatus();
      return MakeStoreError(db.path().string(), "StoreError",
                            "cannot switch to WAL journaling (the journal mode stays '" + *mode +
                                "'); is the file on a network file system?");
    }
    if (mode.error().kind() != resilience::ErrorKind::kTimeout || attempt == kAttempts) {
      return std::move(mode).error();
    }
    resilience::Result<Transaction> wait = Transaction::Begin(db, TransactionMode::kImmediate);
    if (!wait.ok()) return std::move(wait).error();
  }  // `wait` rolls back: it only waited for the other writer
}

}  // namespace

resilience::Result<Database> Database::Open(const std::filesystem::path& path,
                                            const DatabaseOptions& options) {
  const std::string file = path.string();
  if (file.empty()) return MakeStoreError("(no file)", "StoreCantOpen", "no database file given");
  if (sqlite3_threadsafe() == 0) {
    return MakeStoreError(file, "StoreError",
                          "the SQLite library was built without thread support");
  }
  if (path.has_parent_path() && !options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return MakeStoreError(
          file, "StoreCantOpen",
          "cannot create directory " + path.parent_path().string() + ": " + ec.message());
    }
  }

  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(
      file.c_str(), &handle,
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
          SQLITE_OPEN_NOMUTEX,
      nullptr);
  Database db(handle, path);  // closes the handle on every return below, even a failed open's
  if (rc != SQLITE_OK) return MakeSqliteError(handle, rc, "opening the database", file);
  sqlite3_extended_result_codes(handle, 1);
  // SQLite quietly opens a write-protected file read-only; every later write would then fail.
  if (!options.read_only && sqlite3_db_readonly(handle, "main") == 1) {
    return MakeStoreError(file, "StoreReadOnly", "the file is read-only; ohfp needs to write it");
  }
  const auto timeout_ms =
      std::clamp<std::chrono::milliseconds::rep>(options.busy_timeout.count(), 0, INT_MAX);
  sqlite3_busy_timeout(handle, static_cast<int>(timeout_ms));
  if (options.read_only) return db;
  // A process per HostFactory call: keep the WAL and its index from one process to the next
  // instead of checkpointing and deleting them at every close and rebuilding the index at every
  // open. SQLite's automatic checkpoint (1000 pages) still bounds the WAL; durability is unchanged.
  int persist_wal = 1;
  (void)sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  (void)sqlite3_db_config(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);

  if (resilience::Status s = SwitchToWal(db); !s.ok()) return std::move(s).error();
  if (resilience::Status s = db.Execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
      !s.ok()) {
    return std::move(s).error();
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

// sqlite3_close_v2: should a Statement outlive its Database after all, the connection lingers
// until it is finalized instead of leaking.
Database::~Database() { sqlite3_close_v2(db_); }

resilience::Status Database::Execute(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminating NUL
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return MakeSqliteError(db_, rc, "executing " + SqlForMessage(sql));
  return resilience::OkStatus();
}

resilience::Result<Statement> Database::Prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return MakeStoreError(path_.string(), "StoreTooBig", "SQL text too long to prepare");
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  Statement statement(stmt);  // finalizes on every return below
  if (rc != SQLITE_OK) return MakeSqliteError(db_, rc, "preparing " + SqlForMessage(sql));
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (stmt == nullptr || rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return MakeStoreError(
        path_.string(), "StoreMisuse",
        "preparing " + SqlForMessage(sql) + ": Prepare() takes exactly one SQL statement");
  }
  return statement;
}

std::int64_t Database::changes() const noexcept { return sqlite3_changes(db_); }

bool Database::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace ohfp::store
