// store/statement.h
//
// Statement: an RAII prepared SQLite statement (finalized in its destructor). Values are bound to
// parameters, by 1-based index or by name including its prefix (":service"), never spliced into
// SQL. Bind errors (an unknown parameter, an unsigned value too large for SQLite's signed 64-bit
// integers) are kept, and returned by Step() and Run() until Reset(), so a run of binds needs one
// check.
// Columns are read by 0-based index as std::int64_t, double, std::string or std::optional of
// those (nullopt for SQL NULL).
//
// Thread-safety: as its Database: one thread at a time. Must not outlive the Database it came
// from.
//
// Example:
//   Result<Statement> q = db.Prepare("SELECT v, note FROM t WHERE k = :k");
//   q->Bind(":k", "aws_ec2");
//   for (Result<bool> row = q->Step(); row.ok() && *row; row = q->Step())
//     use(q->Column<std::int64_t>(0), q->Column<std::optional<std::string>>(1));
//   q->Reset();   // unbinds everything; ready to bind and run again
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "ohfp/resilience/result.h"

struct sqlite3_stmt;

namespace ohfp::store {

class Statement {
 public:
  // A parameter: a 1-based index (1 is the first '?') or a name with its prefix (":k", "@k",
  // "$k").
  class Param {
   public:
    Param(int index) : key_(index) {}             // NOLINT(google-explicit-constructor)
    Param(const char* name) : key_(name) {}       // NOLINT(google-explicit-constructor)
    Param(std::string_view name) : key_(name) {}  // NOLINT(google-explicit-constructor)

   private:
    friend class Statement;
    std::variant<int, std::string_view> key_;
  };

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void Bind(Param param, double value);
  void Bind(Param param, std::string_view value);  // text, copied by SQLite; never NULL
  void Bind(Param param, std::nullptr_t);          // SQL NULL
  // Any integer type. An unsigned value above INT64_MAX is a bind error, not a wrapped value.
  template <std::integral T>
  void Bind(Param param, T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
        BindOutOfRange(param);
        return;
      }
    }
    BindInt64(param, static_cast<std::int64_t>(value));
  }
  // The value, or SQL NULL for nullopt.
  template <class T>
  void Bind(Param param, const std::optional<T>& value) {
    if (value.has_value()) {
      Bind(param, *value);
    } else {
      Bind(param, nullptr);
    }
  }

  // Binds `values` to parameters 1, 2, 3, ... in order, each as Bind() does.
  template <class... T>
  void BindAll(const T&... values) {
    [[maybe_unused]] int index = 0;
    (Bind(++index, values), ...);
  }

  // Runs the statement to its next row: true when a row is ready to read, false when done. Returns
  // the first bind error since the last Reset() instead of running.
  [[nodiscard]] resilience::Result<bool> Step();
  // Runs the statement to completion, ignoring any rows (INSERT, UPDATE, DELETE).
  [[nodiscard]] resilience::Status Run();
  // Makes the statement ready to run again: ends the current run (and the read it may hold open)
  // and clears every bound value and pending bind error.
  void Reset() noexcept;

  // Reads column `index` (0-based) of the current row. T is std::int64_t, double, std::string, or
  // std::optional of one of those (nullopt for NULL; the plain types read NULL as 0, 0.0, "").
  template <class T>
  T Column(int index) const {
    if constexpr (std::is_same_v<T, std::int64_t>) {
      return ColumnInt64(index);
    } else if constexpr (std::is_same_v<T, double>) {
      return ColumnDouble(index);
    } else if constexpr (std::is_same_v<T, std::string>) {
      return ColumnText(index);
    } else if constexpr (IsOptional<T>::value) {
      if (IsNull(index)) return std::nullopt;
      return Column<typename T::value_type>(index);
    } else {
      static_assert(IsOptional<T>::value,
                    "Column<T>: T must be int64_t, double, string or optional");
    }
  }
  bool IsNull(int index) const noexcept;
  // Column `index` as text that reads back exactly, whatever its type: a floating-point value in
  // its shortest round-trip form (SQLite's own text has 15 digits); nullopt for NULL.
  std::optional<std::string> ColumnExactText(int index) const;
  int column_count() const noexcept;

 private:
  friend class Database;
  template <class T>
  struct IsOptional : std::false_type {};
  template <class T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}

  int Index(const Param& param);  // 0 (and a pending bind error) when there is no such parameter
  void BindInt64(Param param, std::int64_t value);
  void BindOutOfRange(const Param& param);
  void Check(int rc, const Param& param);
  std::int64_t ColumnInt64(int index) const noexcept;
  double ColumnDouble(int index) const noexcept;
  std::string ColumnText(int index) const;

  sqlite3_stmt* stmt_;  // null only in a moved-from Statement
  std::optional<resilience::Error> bind_error_;
};

}  // namespace ohfp::store
