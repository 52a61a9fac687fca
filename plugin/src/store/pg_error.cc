#include "store/pg_error.h"

namespace ohfp::store {
namespace {

using resilience::Error;
using resilience::ErrorKind;

std::string Message(std::string_view where, std::string_view what, std::string_view message) {
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return "postgresql " + std::string(where) + ": " + std::string(what) + ": " + text;
}

}  // namespace

Error PgServerError(std::string_view where, std::string_view what, std::string_view sqlstate,
                    std::string_view message) {
  std::string text = Message(where, what, message);
  if (!sqlstate.empty()) text += " (SQLSTATE " + std::string(sqlstate) + ")";
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return Error(ErrorKind::kTransient, std::string(kStoreUnavailableCode), std::move(text));
  }
  if (sqlstate == "57014" || sqlstate == "55P03") {
    return Error(ErrorKind::kTimeout, std::string(kStoreTimeoutCode), std::move(text));
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error(ErrorKind::kTransient, std::string(kStoreConflictCode), std::move(text));
  }
  if (cls == "28") return Error(ErrorKind::kInternal, "StoreAuthentication", std::move(text));
  if (sqlstate == "42P01" || sqlstate == "3F000") {
    return Error(ErrorKind::kInternal, std::string(kStoreNoSuchTableCode), std::move(text));
  }
  if (cls == "23") return Error(ErrorKind::kInternal, "StoreConstraint", std::move(text));
  return Error(ErrorKind::kInternal, "StoreError", std::move(text));
}

Error PgUnavailable(std::string_view where, std::string_view what, std::string_view message) {
  return Error(ErrorKind::kTransient, std::string(kStoreUnavailableCode),
               Message(where, what, message.empty() ? "the connection was lost" : message));
}

Error PgTimeout(std::string_view where, std::string_view what) {
  return Error(
      ErrorKind::kTimeout, std::string(kStoreTimeoutCode),
      Message(where, what, "no answer before the deadline (store.timeout_ms, or the command's)"));
}

Error PgStoreError(std::string_view where, std::string_view code, std::string_view message) {
  return Error(ErrorKind::kInternal, std::string(code),
               "postgresql " + std::string(where) + ": " + std::string(message));
}

bool IsPgConflict(const Error& e) noexcept { return e.code() == kStoreConflictCode; }

std::string PgSqlForMessage(std::string_view sql) {
  while (!sql.empty() && (sql.front() == '\n' || sql.front() == ' ')) sql.remove_prefix(1);
  sql = sql.substr(0, sql.find('\n'));
  constexpr std::size_t kMax = 60;
  return "\"" + std::string(sql.substr(0, kMax)) + (sql.size() > kMax ? "...\"" : "\"");
}

}  // namespace ohfp::store
