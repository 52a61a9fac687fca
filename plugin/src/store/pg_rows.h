// store/pg_rows.h
//
// The PostgreSQL side of PgRequestStore: the "requests" component's schema migrations on
// PostgreSQL, and its view of a result row (PgRow) for the mapping to model types, which
// store/rows.h writes once for both backends. The tables and columns are SQLite's
// (store/tables.h), with PostgreSQL's types (BIGINT times, TEXT states), so that `ohfp store
// migrate` copies rows column by column either way. Private to the store.
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   Result<PgResult> r = c.Exec("SELECT " + std::string(kRequestColumns) + " FROM requests", d);
//   for (int i = 0; i < r->rows(); ++i) out.push_back(ReadPgRequest(*r, i));
#pragma once

#include <span>

#include "model/machine.h"
#include "model/request.h"
#include "store/migrations.h"
#include "store/pg_connection.h"
#include "store/rows.h"

namespace ohfp::store::internal {

// The "requests" component's migrations on PostgreSQL, in order.
std::span<const Migration> PgRequestMigrations();

// Row `row` of a PgResult, as store/rows.h reads it.
struct PgRow {
  const PgResult& r;
  int row;
  std::string String(int column) const { return r.String(row, column); }
  std::int64_t Int(int column) const { return r.Int(row, column); }
  std::optional<std::int64_t> OptionalInt(int column) const { return r.OptionalInt(row, column); }
  double Double(int column) const { return r.Double(row, column); }
};

// Row `row` of `r`, read from column 0 in the column lists' order (store/tables.h).
inline model::Request ReadPgRequest(const PgResult& r, int row) {
  return RequestFromRow(PgRow{r, row});
}
inline model::Attempt ReadPgAttempt(const PgResult& r, int row) {
  return AttemptFromRow(PgRow{r, row});
}
inline model::Machine ReadPgMachine(const PgResult& r, int row) {
  return MachineFromRow(PgRow{r, row});
}
inline model::ReturnMachine ReadPgReturnMachine(const PgResult& r, int row) {
  return ReturnMachineFromRow(PgRow{r, row});
}

}  // namespace ohfp::store::internal
