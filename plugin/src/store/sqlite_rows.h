// store/sqlite_rows.h
//
// The SQLite side of SqliteRequestStore: the "requests" component's schema migrations, the column
// lists, rows read as model types (through store/rows.h, shared with PostgreSQL) and model types
// bound as parameters, and the helpers its queries share (filters, pages, slices of ids). Private
// to the store.
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   Result<Statement> q = db.Prepare("SELECT " + std::string(kRequestColumns) + " FROM requests");
//   model::Request r = ReadRequest(*q);
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "model/machine.h"
#include "model/request.h"
#include "ohfp/resilience/result.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/rows.h"
#include "store/statement.h"
#include "store/tables.h"

namespace ohfp::store::internal {

// The "requests" component's migrations, in order.
std::span<const Migration> RequestMigrations();

using store::kMachineColumns;
using store::kRequestColumns;
using store::kReturnColumns;

// A Statement's current row, as store/rows.h reads it.
struct SqliteRow {
  const Statement& q;
  std::string String(int column) const { return q.Column<std::string>(column); }
  std::int64_t Int(int column) const { return q.Column<std::int64_t>(column); }
  std::optional<std::int64_t> OptionalInt(int column) const {
    return q.Column<std::optional<std::int64_t>>(column);
  }
  double Double(int column) const { return q.Column<double>(column); }
};

// Rows of the current result of `q`, read from column 0 in the column lists' order.
inline model::Request ReadRequest(const Statement& q) { return RequestFromRow(SqliteRow{q}); }
inline model::Attempt ReadAttempt(const Statement& q) { return AttemptFromRow(SqliteRow{q}); }
inline model::Machine ReadMachine(const Statement& q) { return MachineFromRow(SqliteRow{q}); }
inline model::ReturnMachine ReadReturnMachine(const Statement& q) {
  return ReturnMachineFromRow(SqliteRow{q});
}
// Binds every column of kMachineColumns / kReturnColumns, in order, from parameter 1.
void BindMachine(Statement& q, const model::Machine& m);
void BindReturnMachine(Statement& q, const model::ReturnMachine& r);

// Runs `q` to the end, calling `row(q)` for each row.
template <class F>
resilience::Status ForEachRow(Statement& q, F&& row) {
  for (;;) {
    resilience::Result<bool> has = q.Step();
    if (!has.ok()) return has.error();
    if (!*has) return resilience::OkStatus();
    row(q);
  }
}

// The rows of `sql`, with `values` bound to its parameters in order, each read with `read`.
template <class Read, class... V>
auto SelectRows(Database& db, std::string_view sql, Read read, const V&... values)
    -> resilience::Result<std::vector<std::invoke_result_t<Read, const Statement&>>> {
  resilience::Result<Statement> q = db.Prepare(sql);
  if (!q.ok()) return q.error();
  q->BindAll(values...);
  std::vector<std::invoke_result_t<Read, const Statement&>> out;
  if (resilience::Status s =
          ForEachRow(*q, [&](const Statement& row) { out.push_back(read(row)); });
      !s.ok()) {
    return s.error();
  }
  return out;
}

// A WHERE clause built from optional filters, each bound by name (never spliced into the SQL).
class Filter {
 public:
  // Adds "<column> <op> :pN" with `value` bound to it.
  template <class T>
  void Add(std::string_view column, std::string_view op, T value) {
    const std::string name = ":p" + std::to_string(binders_.size());
    where_ += (where_.empty() ? " WHERE " : " AND ") + std::string(column) + " " + std::string(op) +
              " " + name;
    binders_.push_back([name, value](Statement& q) { q.Bind(std::string_view(name), value); });
  }
  const std::string& where() const noexcept { return where_; }
  void BindAll(Statement& q) const {
    for (const auto& b : binders_) b(q);
  }

 private:
  std::string where_;
  std::vector<std::function<void(Statement&)>> binders_;
};

// Runs, in one read transaction, "SELECT COUNT(*) FROM <table><where>" and "SELECT <columns> FROM
// <table><where> ORDER BY <order> LIMIT <limit> OFFSET <offset>", calling `row` for each row of the
// page. Returns the count. A negative limit or offset counts as 0.
resilience::Result<int> CountAndPage(Database& db, std::string_view table, std::string_view columns,
                                     const Filter& filter, std::string_view order, int limit,
                                     int offset, const std::function<void(const Statement&)>& row);

// "?, ?, ?" for n parameters.
std::string Placeholders(std::size_t n);

// At most this many ids are bound to one statement.
inline constexpr std::size_t kIdsPerStatement = 500;

// Calls `f(slice)` for consecutive slices of `ids` of at most kIdsPerStatement; stops at the
// first error.
template <class Range, class F>
resilience::Status ForEachIdSlice(const Range& ids, F&& f) {
  std::vector<std::string> slice;
  slice.reserve(std::min<std::size_t>(kIdsPerStatement, std::size(ids)));
  for (const auto& id : ids) {
    slice.push_back(id);
    if (slice.size() == kIdsPerStatement) {
      if (resilience::Status s = f(slice); !s.ok()) return s;
      slice.clear();
    }
  }
  if (!slice.empty()) return f(slice);
  return resilience::OkStatus();
}

// Runs `sql_prefix` + "(?, ?, ...)" + `sql_suffix` for each slice of `ids`, calling `row` for
// every row.
template <class Range, class F>
resilience::Status SelectByIds(Database& db, std::string_view sql_prefix, const Range& ids, F&& row,
                               std::string_view sql_suffix = {}) {
  return ForEachIdSlice(ids, [&](const std::vector<std::string>& slice) -> resilience::Status {
    resilience::Result<Statement> q = db.Prepare(
        std::string(sql_prefix) + "(" + Placeholders(slice.size()) + ")" + std::string(sql_suffix));
    if (!q.ok()) return q.error();
    for (std::size_t i = 0; i < slice.size(); ++i) q->Bind(static_cast<int>(i + 1), slice[i]);
    return ForEachRow(*q, row);
  });
}

// The rows SelectByIds() finds, each read with `read`.
template <class Range, class Read>
auto SelectRowsByIds(Database& db, std::string_view sql_prefix, const Range& ids, Read read,
                     std::string_view sql_suffix = {})
    -> resilience::Result<std::vector<std::invoke_result_t<Read, const Statement&>>> {
  std::vector<std::invoke_result_t<Read, const Statement&>> out;
  resilience::Status s = SelectByIds(
      db, sql_prefix, ids, [&](const Statement& row) { out.push_back(read(row)); }, sql_suffix);
  if (!s.ok()) return s.error();
  return out;
}

// The installation's identity recorded in `db`, nullopt when there is none.
resilience::Result<std::optional<std::string>> ReadInstallationId(Database& db);

}  // namespace ohfp::store::internal
