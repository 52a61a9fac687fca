// store/pg_error.h
//
// How the PostgreSQL backend turns failures into resilience::Error values: by SQLSTATE class for
// the server's errors, by what happened for the client's. Callers read the kind; the code and the
// message are for logs and for the operator.
//
//   connection refused, lost, reset; server shutting down (08xxx, 57P01-57P03)
//                                   -> kTransient "StoreUnavailable"
//   statement or lock timeout, our deadline passed (57014, 55P03)
//                                   -> kTimeout   "StoreTimeout"
//   serialization failure, deadlock (40001, 40P01)
//                                   -> kTransient "StoreConflict" (RunTransaction retries these)
//   authentication (28xxx)          -> kInternal  "StoreAuthentication"
//   constraint violations (23xxx)   -> kInternal  "StoreConstraint"
//   no such table or schema (42P01, 3F000)
//                                   -> kInternal  "StoreNoSuchTable"
//   everything else                 -> kInternal  "StoreError"
// Messages name the server by its redacted URL, what was being done, the server's words and the
// SQLSTATE: "postgresql postgresql://ohfp@db1/hf: INSERT INTO requests ...: duplicate key value
// violates unique constraint "requests_pkey" (SQLSTATE 23505)".
//
// Thread-safety: pure functions.
//
// Example:
//   return PgServerError(where, "reading breakers", "40001", "could not serialize access");
#pragma once

#include <string>
#include <string_view>

#include "ohfp/resilience/error.h"

namespace ohfp::store {

inline constexpr std::string_view kStoreUnavailableCode = "StoreUnavailable";
inline constexpr std::string_view kStoreTimeoutCode = "StoreTimeout";
inline constexpr std::string_view kStoreConflictCode = "StoreConflict";
inline constexpr std::string_view kStoreNoSuchTableCode = "StoreNoSuchTable";

// An error the server reported, by its SQLSTATE.
resilience::Error PgServerError(std::string_view where, std::string_view what,
                                std::string_view sqlstate, std::string_view message);
// The server cannot be reached or the connection was lost.
resilience::Error PgUnavailable(std::string_view where, std::string_view what,
                                std::string_view message);
// The deadline passed while waiting for the server.
resilience::Error PgTimeout(std::string_view where, std::string_view what);
// A failure that is not the server's (a bad record, a newer schema, a bad URL): kInternal.
resilience::Error PgStoreError(std::string_view where, std::string_view code,
                               std::string_view message);

// True for a serialization failure or deadlock: the transaction may be run again.
bool IsPgConflict(const resilience::Error& e) noexcept;

// The first line of `sql`, shortened and quoted, for messages.
std::string PgSqlForMessage(std::string_view sql);

}  // namespace ohfp::store
