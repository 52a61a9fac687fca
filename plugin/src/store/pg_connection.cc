#include "store/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

#include "base/connection_url.h"
#include "store/pg_error.h"
#include "store/pg_library.h"

namespace ohfp::store {
namespace {

using resilience::Deadline;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// The user options from the URL (its "options" parameter), so that ours are added to them.
Result<std::string> UserOptions(const PgLibrary& pq, const std::string& url,
                                const std::string& where) {
  char* problem = nullptr;
  PQconninfoOption* parsed = pq.PQconninfoParse(url.c_str(), &problem);
  if (parsed == nullptr) {
    std::string why = problem != nullptr ? problem : "cannot parse it";
    pq.PQfreemem(problem);
    return PgStoreError(where, "StoreBadUrl", "store.url is not a libpq connection URI: " + why);
  }
  std::string options;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "options") == 0 && o->val != nullptr) options = o->val;
  }
  pq.PQconninfoFree(parsed);
  return options;
}

// libpq's multi-line message on one line.
std::string CompactMessage(const char* text) {
  std::string s;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    const bool space = *p == '\n' || *p == '\t' || *p == ' ';
    if (space && (s.empty() || s.back() == ' ')) continue;
    s += space ? ' ' : *p;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The server's notices ("schema ... already exists, skipping") would go to stderr, which
// HostFactory's commands keep for nothing; they carry nothing a caller acts on.
void IgnoreNotice(void* /*unused*/, const char* /*unused*/) {}

template <class T>
T Parse(std::string_view text, T fallback) {
  T value = fallback;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

// --- PgParams ---

PgParams& PgParams::Add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}
PgParams& PgParams::Add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}
std::string PgDoubleText(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

PgParams& PgParams::Add(double value) {
  values_.emplace_back(PgDoubleText(value));
  return *this;
}
PgParams& PgParams::Add(std::optional<std::int64_t> value) {
  if (!value) return AddNull();
  return Add(*value);
}
PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}
PgParams& PgParams::AddTextArray(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (const std::string& item : items) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}
PgParams& PgParams::AddIntArray(const std::vector<std::int64_t>& items) {
  std::string literal = "{";
  for (std::int64_t item : items) {
    if (literal.size() > 1) literal += ',';
    literal += std::to_string(item);
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}

std::vector<const char*> PgParams::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const std::optional<std::string>& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// --- PgResult ---

PgResult::PgResult(PgResult&& other) noexcept
    : lib_(std::move(other.lib_)), result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) lib_->PQclear(result_);
    lib_ = std::move(other.lib_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) lib_->PQclear(result_);
}

int PgResult::rows() const noexcept { return result_ == nullptr ? 0 : lib_->PQntuples(result_); }

std::int64_t PgResult::affected() const noexcept {
  if (result_ == nullptr) return 0;
  return Parse<std::int64_t>(lib_->PQcmdTuples(result_), 0);
}

bool PgResult::IsNull(int row, int column) const noexcept {
  return lib_->PQgetisnull(result_, row, column) != 0;
}

std::string_view PgResult::Text(int row, int column) const noexcept {
  const char* value = lib_->PQgetvalue(result_, row, column);
  if (value == nullptr) return {};
  return {value, static_cast<std::size_t>(lib_->PQgetlength(result_, row, column))};
}

std::int64_t PgResult::Int(int row, int column) const noexcept {
  return Parse<std::int64_t>(Text(row, column), 0);
}

std::optional<std::int64_t> PgResult::OptionalInt(int row, int column) const noexcept {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

double PgResult::Double(int row, int column) const noexcept {
  return Parse<double>(Text(row, column), 0.0);
}

bool PgResult::Bool(int row, int column) const noexcept { return Text(row, column) == "t"; }

// --- PgConnection ---

Result<std::unique_ptr<PgConnection>> PgConnection::Open(std::shared_ptr<const PgLibrary> lib,
                                                         const PgSettings& settings,
                                                         const resilience::Clock& clock,
                                                         Deadline deadline) {
  deadline = deadline.Min(Deadline::After(clock.Now(), settings.timeout));
  const std::string where = base::RedactConnectionUrl(settings.url);
  if (!base::ValidSchemaName(settings.schema)) {
    return PgStoreError(where, "StoreBadSchema",
                        "store.schema '" + settings.schema +
                            "' must be a lowercase SQL identifier ([a-z_][a-z0-9_]*)");
  }
  Result<std::string> user_options = UserOptions(*lib, settings.url, where);
  if (!user_options.ok()) return user_options.error();
  const std::string ms = std::to_string(std::max<std::int64_t>(1, settings.timeout.count()));
  std::string options = *user_options;
  options += " -c statement_timeout=" + ms + " -c idle_in_transaction_session_timeout=" + ms +
             " -c search_path=" + settings.schema + " -c synchronous_commit=off";
  // libpq's own connect timeout is whole seconds (at least 2): a backstop only; the deadline is
  // enforced here. Keywords before "dbname" may be overridden by the URL, those after may not.
  const std::string connect_seconds =
      std::to_string(std::max<std::int64_t>(2, (settings.timeout.count() + 999) / 1000));
  const char* keywords[] = {"application_name", "connect_timeout", "dbname", "options", nullptr};
  const char* values[] = {settings.application_name.c_str(), connect_seconds.c_str(),
                          settings.url.c_str(), options.c_str(), nullptr};

  std::unique_ptr<PgConnection> c(new PgConnection(lib, clock, where));
  c->conn_ = lib->PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
  if (c->conn_ == nullptr) {
    return PgStoreError(where, "StoreError", "cannot allocate a connection");
  }
  if (lib->PQstatus(c->conn_) == CONNECTION_BAD) {
    return PgUnavailable(where, "connecting", CompactMessage(lib->PQerrorMessage(c->conn_)));
  }
  for (PostgresPollingStatusType poll = PGRES_POLLING_WRITING;;) {
    if (poll == PGRES_POLLING_OK) break;
    if (poll == PGRES_POLLING_FAILED) {
      return PgUnavailable(where, "connecting", CompactMessage(lib->PQerrorMessage(c->conn_)));
    }
    if (Status s = c->Wait(poll == PGRES_POLLING_WRITING, deadline, "connecting"); !s.ok()) {
      return s.error();
    }
    poll = lib->PQconnectPoll(c->conn_);
  }
  lib->PQsetNoticeProcessor(c->conn_, IgnoreNotice, nullptr);
  if (lib->PQsetnonblocking(c->conn_, 1) != 0) {
    return PgUnavailable(where, "connecting", CompactMessage(lib->PQerrorMessage(c->conn_)));
  }
  return c;
}

PgConnection::~PgConnection() { Break(); }

void PgConnection::Break() noexcept {
  if (conn_ != nullptr) lib_->PQfinish(conn_);
  conn_ = nullptr;
}

bool PgConnection::in_transaction() const noexcept {
  if (conn_ == nullptr) return false;
  const PGTransactionStatusType s = lib_->PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

int PgConnection::backend_pid() const noexcept {
  return conn_ == nullptr ? 0 : lib_->PQbackendPID(conn_);
}

Status PgConnection::Wait(bool for_write, Deadline deadline, std::string_view what) {
  for (;;) {
    const resilience::Duration left = deadline.Remaining(clock_.Now());
    if (left <= resilience::Duration::zero()) {
      Break();
      return PgTimeout(where_, what);
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd fd{lib_->PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    if (fd.fd < 0) return Lost(what);
    const int ready =
        ::poll(&fd, 1,
               deadline.is_infinite()
                   ? -1
                   : static_cast<int>(std::min<long long>(ms, std::numeric_limits<int>::max())));
    if (ready > 0) return resilience::OkStatus();
    if (ready < 0 && errno != EINTR) {
      Break();
      return PgUnavailable(where_, what, std::string("poll: ") + std::strerror(errno));
    }
  }
}

Result<PgResult> PgConnection::Collect(std::string_view what, Deadline deadline) {
  std::optional<PgResult> last;
  std::optional<Error> failure;
  for (;;) {
    while (lib_->PQisBusy(conn_) != 0) {
      if (Status s = Wait(/*for_write=*/false, deadline, what); !s.ok()) return s.error();
      if (lib_->PQconsumeInput(conn_) == 0) return Lost(what);
    }
    PGresult* raw = lib_->PQgetResult(conn_);
    if (raw == nullptr) break;
    PgResult result(lib_, raw);
    const ExecStatusType status = lib_->PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      if (!failure) last.emplace(std::move(result));
      continue;
    }
    if (failure) continue;
    const char* state = lib_->PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    const char* primary = lib_->PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
    failure = PgServerError(
        where_, what, state != nullptr ? state : "",
        CompactMessage(primary != nullptr ? primary : lib_->PQresultErrorMessage(raw)));
  }
  if (lib_->PQstatus(conn_) == CONNECTION_BAD) {
    Error e = failure && failure->code() == kStoreUnavailableCode
                  ? *failure
                  : PgUnavailable(where_, what, CompactMessage(lib_->PQerrorMessage(conn_)));
    Break();
    return e;
  }
  if (failure) return *failure;
  if (!last) return PgResult(lib_, nullptr);
  return std::move(*last);
}

Status PgConnection::Flush(std::string_view what, Deadline deadline) {
  for (int flushed = lib_->PQflush(conn_); flushed != 0; flushed = lib_->PQflush(conn_)) {
    if (flushed < 0) return Lost(what);
    if (Status s = Wait(/*for_write=*/true, deadline, what); !s.ok()) return s;
    if (lib_->PQconsumeInput(conn_) == 0) return Lost(what);
  }
  return resilience::OkStatus();
}

Error PgConnection::Lost(std::string_view what) {
  Error e = PgUnavailable(where_, what,
                          CompactMessage(conn_ != nullptr ? lib_->PQerrorMessage(conn_) : ""));
  Break();
  return e;
}

Result<PgResult> PgConnection::Exec(std::string_view sql, const PgParams& params,
                                    Deadline deadline) {
  const std::string what = PgSqlForMessage(sql);
  if (conn_ == nullptr) return PgUnavailable(where_, what, "the connection was lost earlier");
  const std::string text(sql);
  const std::vector<const char*> values = params.Pointers();
  if (lib_->PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0) == 0) {
    return Lost(what);
  }
  if (Status s = Flush(what, deadline); !s.ok()) return s.error();
  return Collect(what, deadline);
}

Status PgConnection::ExecuteScript(std::string_view sql, Deadline deadline) {
  const std::string what = PgSqlForMessage(sql);
  if (conn_ == nullptr) return PgUnavailable(where_, what, "the connection was lost earlier");
  const std::string text(sql);
  if (lib_->PQsendQuery(conn_, text.c_str()) == 0) return Lost(what);
  if (Status s = Flush(what, deadline); !s.ok()) return s;
  Result<PgResult> r = Collect(what, deadline);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

}  // namespace ohfp::store
