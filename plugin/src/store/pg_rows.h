// store/pg_rows.h
//
// The PostgreSQL side of PgRequestStore: the "requests" component's schema migrations on
// PostgreSQL, and the mapping between result rows and model types. The tables and columns are
// SQLite's (store/tables.h), with PostgreSQL's types (BIGINT times, TEXT states), so that
// `ohfp store migrate` copies rows column by column either way. Private to the store.
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

namespace ohfp::store::internal {

// The "requests" component's migrations on PostgreSQL, in order.
std::span<const Migration> PgRequestMigrations();

// Row `row` of `r`, read from column 0 in the column lists' order (store/tables.h).
model::Request ReadPgRequest(const PgResult& r, int row);
model::Attempt ReadPgAttempt(const PgResult& r, int row);
model::Machine ReadPgMachine(const PgResult& r, int row);
model::ReturnMachine ReadPgReturnMachine(const PgResult& r, int row);

}  // namespace ohfp::store::internal
