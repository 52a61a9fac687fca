#include "store/sqlite_error.h"

#include <sqlite3.h>

#include <string>

namespace ohfp::store {
namespace {

std::string_view PrimaryCodeName(int primary) {
  switch (primary) {
    case SQLITE_ERROR:
      return "StoreError";
    case SQLITE_INTERNAL:
      return "StoreInternal";
    case SQLITE_PERM:
      return "StorePerm";
    case SQLITE_ABORT:
      return "StoreAbort";
    case SQLITE_LOCKED:
      return "StoreLocked";
    case SQLITE_NOMEM:
      return "StoreNoMem";
    case SQLITE_READONLY:
      return "StoreReadOnly";
    case SQLITE_INTERRUPT:
      return "StoreInterrupt";
    case SQLITE_IOERR:
      return "StoreIoErr";
    case SQLITE_CORRUPT:
      return "StoreCorrupt";
    case SQLITE_FULL:
      return "StoreFull";
    case SQLITE_CANTOPEN:
      return "StoreCantOpen";
    case SQLITE_PROTOCOL:
      return "StoreProtocol";
    case SQLITE_SCHEMA:
      return "StoreSchema";
    case SQLITE_TOOBIG:
      return "StoreTooBig";
    case SQLITE_CONSTRAINT:
      return "StoreConstraint";
    case SQLITE_MISMATCH:
      return "StoreMismatch";
    case SQLITE_MISUSE:
      return "StoreMisuse";
    case SQLITE_RANGE:
      return "StoreRange";
    case SQLITE_NOTADB:
      return "StoreNotADb";
    default:
      return "StoreError";
  }
}

}  // namespace

std::string DatabaseFileName(sqlite3* db) {
  const char* name = db == nullptr ? nullptr : sqlite3_db_filename(db, "main");
  return name == nullptr || *name == '\0' ? std::string("(unknown file)") : std::string(name);
}

resilience::Error MakeSqliteError(sqlite3* db, int rc, std::string_view what,
                                  std::string_view file) {
  const int primary = rc & 0xff;
  // sqlite3_errmsg describes the connection's most recent failure; without a connection (or when
  // it has moved on) the generic text for the code is what we have.
  const char* text =
      db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = "sqlite " + (file.empty() ? DatabaseFileName(db) : std::string(file)) +
                        ": " + std::string(what) + ": " + text;
  message += " (SQLite code " + std::to_string(rc) + ")";
  if (primary == SQLITE_BUSY) {
    return resilience::Error(resilience::ErrorKind::kTimeout, std::string(kStoreBusyCode),
                             std::move(message));
  }
  return resilience::Error(resilience::ErrorKind::kInternal, std::string(PrimaryCodeName(primary)),
                           std::move(message));
}

resilience::Error MakeStoreError(std::string_view file, std::string_view code,
                                 std::string_view message) {
  return resilience::Error(resilience::ErrorKind::kInternal, std::string(code),
                           "sqlite " + std::string(file) + ": " + std::string(message));
}

}  // namespace ohfp::store
