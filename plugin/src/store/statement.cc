#include "store/statement.h"

#include <sqlite3.h>

#include <charconv>
#include <string>
#include <utility>

#include "store/sqlite_error.h"

namespace ohfp::store {
namespace {

std::string Describe(const std::variant<int, std::string_view>& key) {
  if (const int* index = std::get_if<int>(&key)) return "parameter " + std::to_string(*index);
  return "parameter " + std::string(std::get<std::string_view>(key));
}

// The SQL text for messages: the statement's first line, shortened.
std::string SqlForMessage(sqlite3_stmt* stmt) {
  std::string sql = sqlite3_sql(stmt) == nullptr ? "" : sqlite3_sql(stmt);
  const std::size_t end = sql.find('\n');
  if (end != std::string::npos) sql.resize(end);
  constexpr std::size_t kMax = 60;
  if (sql.size() > kMax) sql = sql.substr(0, kMax) + "...";
  return "\"" + sql + "\"";
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

int Statement::Index(const Param& param) {
  if (const int* index = std::get_if<int>(&param.key_)) return *index;
  // sqlite3_bind_parameter_index needs a NUL-terminated name.
  const std::string name(std::get<std::string_view>(param.key_));
  const int index = sqlite3_bind_parameter_index(stmt_, name.c_str());
  if (index == 0 && !bind_error_.has_value()) {
    bind_error_ = MakeStoreError(
        DatabaseFileName(sqlite3_db_handle(stmt_)), "StoreRange",
        "binding " + Describe(param.key_) + " of " + SqlForMessage(stmt_) + ": no such parameter");
  }
  return index;
}

void Statement::Check(int rc, const Param& param) {
  if (rc != SQLITE_OK && !bind_error_.has_value()) {
    bind_error_ =
        MakeSqliteError(sqlite3_db_handle(stmt_), rc,
                        "binding " + Describe(param.key_) + " of " + SqlForMessage(stmt_));
  }
}

void Statement::BindInt64(Param param, std::int64_t value) {
  if (const int index = Index(param); index != 0) {
    Check(sqlite3_bind_int64(stmt_, index, value), param);
  }
}

void Statement::BindOutOfRange(const Param& param) {
  if (!bind_error_.has_value()) {
    bind_error_ = MakeStoreError(DatabaseFileName(sqlite3_db_handle(stmt_)), "StoreRange",
                                 "binding " + Describe(param.key_) + " of " + SqlForMessage(stmt_) +
                                     ": unsigned value does not fit in a signed 64-bit integer");
  }
}

void Statement::Bind(Param param, double value) {
  if (const int index = Index(param); index != 0) {
    Check(sqlite3_bind_double(stmt_, index, value), param);
  }
}

void Statement::Bind(Param param, std::string_view value) {
  if (const int index = Index(param); index != 0) {
    // A default-constructed view has no data pointer, which SQLite would store as NULL: it is the
    // empty string here, as for every other empty view.
    Check(sqlite3_bind_text64(stmt_, index, value.data() != nullptr ? value.data() : "",
                              value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          param);
  }
}

void Statement::Bind(Param param, std::nullptr_t) {
  if (const int index = Index(param); index != 0) {
    Check(sqlite3_bind_null(stmt_, index), param);
  }
}

resilience::Result<bool> Statement::Step() {
  if (bind_error_.has_value()) return *bind_error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return MakeSqliteError(sqlite3_db_handle(stmt_), rc, "running " + SqlForMessage(stmt_));
}

resilience::Status Statement::Run() {
  while (true) {
    resilience::Result<bool> row = Step();
    if (!row.ok()) return std::move(row).error();
    if (!*row) return resilience::OkStatus();
  }
}

void Statement::Reset() noexcept {
  // sqlite3_reset repeats the last step's error code; Step() has already reported it.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.reset();
}

bool Statement::IsNull(int index) const noexcept {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int Statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

std::int64_t Statement::ColumnInt64(int index) const noexcept {
  return sqlite3_column_int64(stmt_, index);
}

double Statement::ColumnDouble(int index) const noexcept {
  return sqlite3_column_double(stmt_, index);
}

std::optional<std::string> Statement::ColumnExactText(int index) const {
  switch (sqlite3_column_type(stmt_, index)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_FLOAT: {
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, ColumnDouble(index));
      return std::string(buffer, ec == std::errc() ? end : buffer);
    }
    default:
      return ColumnText(index);
  }
}

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

}  // namespace ohfp::store
