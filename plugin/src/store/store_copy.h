// store/store_copy.h
//
// CopyStore: moves an installation's state from one store to another, either way between SQLite
// and PostgreSQL (`ohfp store migrate --to URL`). Every row of every table (store/tables.h) is
// copied column by column, as text, which both backends read back exactly (the tables are the same
// on both).
//
//  - Both stores are opened first, so both schemas are current.
//  - The target must hold nothing of an installation: its request tables must be empty. A target
//    holding another installation's state is refused ("StoreForeign"), as is one holding this
//    installation's already ("StoreNotEmpty": copied before?). Nothing is changed then.
//  - Breaker and quota records are copied for the services the target has none of: a resilience
//    schema shared by several installations (store.resilience_schema) keeps what it learned.
//  - The source is locked against writers for the copy (SQLite: BEGIN IMMEDIATE; PostgreSQL:
//    LOCK TABLE ... IN SHARE MODE, in a REPEATABLE READ transaction), and the target is written in
//    one transaction: a copy that fails leaves the target as it was. Stop HostFactory's calls
//    first anyway: they would wait on the lock, or fail after the store timeout.
//
// Thread-safety: one copy at a time per pair of stores.
//
// Example:
//   Result<CopyReport> r = CopyStore(StoreLocationFor(config, paths), {.url = url}, clock);
//   std::cout << r->installation << ": " << r->rows["requests"] << " requests\n";
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"
#include "store/open_stores.h"

namespace ohfp::store {

struct CopyReport {
  std::string installation{};                  // the installation copied ("" for an empty store)
  std::map<std::string, std::int64_t> rows{};  // rows written, by table
  std::map<std::string, std::int64_t> kept{};  // rows the target had already (resilience tables)
};

[[nodiscard]] resilience::Result<CopyReport> CopyStore(const StoreLocation& from,
                                                       const StoreLocation& to,
                                                       const resilience::Clock& clock);

}  // namespace ohfp::store
