// store/pg_connection.h
//
// PgConnection: one connection to a PostgreSQL server, with every wait bounded by a deadline.
// The store's PostgreSQL backend (pg_request_store.h, pg_state_store.h) runs all its SQL through
// it. What it does for them:
//  - connects without blocking (PQconnectStartParams, PQconnectPoll, poll()), giving up at the
//    deadline; the password comes from the URL or from libpq's usual sources (PGPASSWORD,
//    PGPASSFILE, ~/.pgpass) and never appears in a message: messages name the server by its
//    redacted URL (base/connection_url.h);
//  - sets the session up in the startup packet, with no extra round trip: application_name "ohfp",
//    statement_timeout and idle_in_transaction_session_timeout = the configured store timeout (so
//    the server drops a statement or a transaction this process can no longer be waiting for: a
//    client killed or cut off mid-transaction never holds a lock for longer), and search_path =
//    the configured schema, synchronous_commit off (store/pg_pool.h: which writes wait for the
//    flush);
//  - sends each statement with its parameters as text (PQsendQueryParams: values are never spliced
//    into SQL), and waits for the answer at most until the deadline; past it the connection is
//    closed (the server's statement_timeout ends the statement there too) and the call fails with
//    ErrorKind::kTimeout;
//  - maps failures to error kinds (PgErrorFromState): a lost or refused connection is
//    kTransient "StoreUnavailable" and marks the connection broken (PgPool opens a new one for
//    the next call); a statement or lock timeout is kTimeout "StoreTimeout"; a serialization
//    failure or deadlock is kTransient "StoreConflict" (RunTransaction retries those); everything
//    else is kInternal, with the server's message and SQLSTATE.
//
// Thread-safety: one thread at a time per connection (PgPool hands each out to one thread).
//
// Example:
//   Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(lib, settings, clock, deadline);
//   Result<PgResult> r = (*c)->Exec("SELECT state FROM requests WHERE id = $1",
//                                   PgParams().Add("req-1"), deadline);
//   if (r.ok() && r->rows() == 1) use(r->Text(0, 0));
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/result.h"

// libpq's handles (PGconn, PGresult); <libpq-fe.h> stays inside the store's .cc files.
struct pg_conn;
struct pg_result;

namespace ohfp::store {

class PgLibrary;  // store/pg_library.h

struct PgSettings {
  std::string url{};                         // a libpq connection URI: postgresql://...
  std::string schema = "ohfp";               // the session's search_path
  std::chrono::milliseconds timeout{10000};  // connecting, and each call (its statements)
  std::string application_name = "ohfp";     // shown in pg_stat_activity
};

// `value` as text that PostgreSQL reads back exactly (shortest round-trip form).
std::string PgDoubleText(double value);

// Text parameters of one statement ($1, $2, ... in order).
class PgParams {
 public:
  PgParams& Add(std::string_view text);
  PgParams& Add(const char* text) { return Add(std::string_view(text)); }
  PgParams& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgParams& Add(std::int64_t value);
  PgParams& Add(int value) { return Add(static_cast<std::int64_t>(value)); }
  PgParams& Add(double value);
  PgParams& Add(std::optional<std::int64_t> value);
  PgParams& AddNull();
  // A text[] literal of `items` ({"a","b"}), for "= ANY($n::text[])" and unnest().
  PgParams& AddTextArray(const std::vector<std::string>& items);
  PgParams& AddIntArray(const std::vector<std::int64_t>& items);

  std::size_t size() const noexcept { return values_.size(); }
  // Pointers into this object, valid while it lives unchanged.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// One statement's result (PGresult), freed on destruction. Values are read as text and converted.
class PgResult {
 public:
  PgResult(std::shared_ptr<const PgLibrary> lib, pg_result* result) noexcept
      : lib_(std::move(lib)), result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const noexcept;
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const noexcept;
  bool IsNull(int row, int column) const noexcept;
  std::string_view Text(int row, int column) const noexcept;
  std::string String(int row, int column) const { return std::string(Text(row, column)); }
  std::int64_t Int(int row, int column) const noexcept;  // 0 for NULL
  std::optional<std::int64_t> OptionalInt(int row, int column) const noexcept;
  double Double(int row, int column) const noexcept;
  bool Bool(int row, int column) const noexcept;  // 't'

 private:
  std::shared_ptr<const PgLibrary> lib_;
  pg_result* result_;
};

class PgConnection {
 public:
  // Connects to settings.url, waiting at most until `deadline` (and settings.timeout).
  [[nodiscard]] static resilience::Result<std::unique_ptr<PgConnection>> Open(
      std::shared_ptr<const PgLibrary> lib, const PgSettings& settings,
      const resilience::Clock& clock, resilience::Deadline deadline);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement with parameters ($1, ...); its rows, or an error (see the header comment).
  [[nodiscard]] resilience::Result<PgResult> Exec(std::string_view sql, const PgParams& params,
                                                  resilience::Deadline deadline);
  [[nodiscard]] resilience::Result<PgResult> Exec(std::string_view sql,
                                                  resilience::Deadline deadline) {
    return Exec(sql, PgParams(), deadline);
  }
  // Statements without parameters, several separated by ';' (schema migrations).
  [[nodiscard]] resilience::Status ExecuteScript(std::string_view sql,
                                                 resilience::Deadline deadline);

  // True once the connection is lost, timed out or otherwise unusable: it must not be reused.
  bool broken() const noexcept { return conn_ == nullptr; }
  // True while a transaction is open (or failed and not yet rolled back).
  bool in_transaction() const noexcept;
  // The server, for messages: "postgresql://ohfp@db1:5432/hf" (no password).
  const std::string& where() const noexcept { return where_; }
  const std::shared_ptr<const PgLibrary>& library() const noexcept { return lib_; }
  const resilience::Clock& clock() const noexcept { return clock_; }
  // The server process serving this connection (pg_stat_activity.pid), 0 when broken.
  int backend_pid() const noexcept;

 private:
  PgConnection(std::shared_ptr<const PgLibrary> lib, const resilience::Clock& clock,
               std::string where)
      : lib_(std::move(lib)), clock_(clock), where_(std::move(where)) {}
  // Waits until the socket is readable (or writable) or the deadline passes.
  resilience::Status Wait(bool for_write, resilience::Deadline deadline, std::string_view what);
  // Sends what libpq buffered for the server.
  resilience::Status Flush(std::string_view what, resilience::Deadline deadline);
  // The error for a lost connection (libpq's words), after closing it.
  resilience::Error Lost(std::string_view what);
  // Collects the results of the statement(s) sent; the last one, or the first error.
  resilience::Result<PgResult> Collect(std::string_view what, resilience::Deadline deadline);
  // Closes the connection after a failure that leaves it unusable.
  void Break() noexcept;

  std::shared_ptr<const PgLibrary> lib_;
  const resilience::Clock& clock_;
  std::string where_;
  pg_conn* conn_ = nullptr;
};

}  // namespace ohfp::store
