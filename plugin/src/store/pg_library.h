// store/pg_library.h
//
// PgLibrary: libpq (PostgreSQL's C client library), loaded with dlopen() when a PostgreSQL store is
// opened, never linked. HostFactory starts a process per call and pays for every shared object the
// executable loads: libpq brings Kerberos, LDAP, SASL and GnuTLS (23 shared objects) and would add
// milliseconds to every call of the SQLite default, which never uses it (docs/benchmarks.md,
// "The PostgreSQL store"). The types and constants come from <libpq-fe.h> at compile time; the
// functions are looked up by name in "libpq.so.5" (Debian's libpq5, installed with libpq-dev).
//
// A PgLibrary is immutable once loaded; connections share it through a shared_ptr, and the library
// stays loaded while any of them lives.
//
// Thread-safety: the function table is read-only; libpq itself is thread-safe for distinct
// connections (PQisthreadsafe() is checked on load).
//
// Example:
//   Result<std::shared_ptr<const PgLibrary>> pq = PgLibrary::Load();
//   if (!pq.ok()) return pq.error();            // "cannot load libpq.so.5: ...; install libpq5"
//   PGconn* c = (*pq)->PQconnectStartParams(keys, values, 1);
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "ohfp/resilience/result.h"

namespace ohfp::store {

class PgLibrary {
 public:
  // Loads libpq ("libpq.so.5", or `file` when given) and looks up every function below.
  [[nodiscard]] static resilience::Result<std::shared_ptr<const PgLibrary>> Load(
      const std::string& file = "libpq.so.5");
  ~PgLibrary();
  PgLibrary(const PgLibrary&) = delete;
  PgLibrary& operator=(const PgLibrary&) = delete;

  // The libpq functions the store uses, with libpq's own names and types.
#define OHFP_PQ_FUNCTIONS(X)                                                                       \
  X(PQconnectStartParams)                                                                          \
  X(PQconnectPoll)                                                                                 \
  X(PQstatus)                                                                                      \
  X(PQsocket)                                                                                      \
  X(PQerrorMessage)                                                                                \
  X(PQfinish)                                                                                      \
  X(PQsetnonblocking)                                                                              \
  X(PQsendQueryParams)                                                                             \
  X(PQsendQuery)                                                                                   \
  X(PQflush)                                                                                       \
  X(PQconsumeInput)                                                                                \
  X(PQisBusy)                                                                                      \
  X(PQgetResult)                                                                                   \
  X(PQresultStatus) X(PQresultErrorField) X(PQresultErrorMessage) X(PQntuples) X(PQnfields)        \
      X(PQgetvalue) X(PQgetisnull) X(PQgetlength) X(PQclear) X(PQcmdTuples) X(PQtransactionStatus) \
          X(PQconninfoParse) X(PQconninfoFree) X(PQlibVersion) X(PQisthreadsafe)                   \
              X(PQserverVersion) X(PQbackendPID) X(PQfreemem) X(PQsetNoticeProcessor)

#define OHFP_PQ_MEMBER(name) decltype(&::name) name = nullptr;
  OHFP_PQ_FUNCTIONS(OHFP_PQ_MEMBER)
#undef OHFP_PQ_MEMBER

 private:
  PgLibrary() = default;
  void* handle_ = nullptr;
};

}  // namespace ohfp::store
