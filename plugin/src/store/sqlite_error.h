// store/sqlite_error.h
//
// How the store turns SQLite result codes into resilience::Error values. Used by the store's own
// files; callers only read the kind (and, in logs, the code and message).
//
//  - SQLITE_BUSY (any extended variant) -> ErrorKind::kTimeout, code "StoreBusy": another
//    connection (usually another ohfp process) held the database's write lock for longer than
//    the busy timeout. It is transient contention; trying again later may succeed.
//  - every other failure -> ErrorKind::kInternal, code "Store" + SQLite's primary code name
//    ("StoreIoErr", "StoreCantOpen", "StoreCorrupt", ...), or "StoreError" when unnamed.
// Messages name the database file, what was being done, SQLite's own words and its result code:
//   "sqlite /var/hf/work/ohfp/state.db: BEGIN IMMEDIATE: database is locked (SQLite code 5)"
//
// Thread-safety: pure functions; MakeSqliteError reads the connection's last error, so call it on
// the thread that made the failing call, before the connection is used again.
//
// Example:
//   int rc = sqlite3_step(stmt);
//   if (rc != SQLITE_ROW && rc != SQLITE_DONE) return MakeSqliteError(db, rc, "reading breakers");
#pragma once

#include <string>
#include <string_view>

#include "ohfp/resilience/error.h"

struct sqlite3;

namespace ohfp::store {

inline constexpr std::string_view kStoreBusyCode = "StoreBusy";

// An error for SQLite result code `rc` on connection `db` (which may be null). `what` says what
// was being done. The file is `file`, or when that is empty the connection's.
resilience::Error MakeSqliteError(sqlite3* db, int rc, std::string_view what,
                                  std::string_view file = {});

// An error about `file` that did not come from SQLite (a bad migration list, a newer schema).
resilience::Error MakeStoreError(std::string_view file, std::string_view code,
                                 std::string_view message);

// The file a connection has open, for messages ("(unknown file)" when there is none).
std::string DatabaseFileName(sqlite3* db);

}  // namespace ohfp::store
