#include "store/open_stores.h"

#include "base/connection_url.h"
#include "store/pg_pool.h"
#include "store/pg_request_store.h"
#include "store/pg_state_store.h"
#include "store/sqlite_request_store.h"
#include "store/sqlite_state_store.h"

namespace ohfp::store {

using resilience::Result;

std::string StoreLocation::Describe() const {
  if (!postgres()) return "sqlite " + sqlite_file.string();
  std::string text = "postgresql " + base::RedactConnectionUrl(url) + " (schema " + schema;
  if (resilience_schema != schema) text += ", resilience schema " + resilience_schema;
  return text + ")";
}

Result<Stores> OpenStores(const StoreLocation& where, const resilience::Clock& clock) {
  Stores stores;
  if (where.postgres()) {
    Result<std::shared_ptr<PgPool>> pool =
        PgPool::Open({.url = where.url, .schema = where.schema, .timeout = where.timeout}, clock);
    if (!pool.ok()) return pool.error();
    if (where.ends_by) (*pool)->SetCommandDeadline(*where.ends_by);
    Result<std::unique_ptr<PgRequestStore>> requests = PgRequestStore::Open(*pool);
    if (!requests.ok()) return requests.error();
    Result<std::unique_ptr<PgStateStore>> state =
        PgStateStore::Open(*pool, where.resilience_schema);
    if (!state.ok()) return state.error();
    stores.requests = std::move(*requests);
    stores.state = std::move(*state);
    stores.pool = std::move(*pool);
    return stores;
  }
  Result<std::unique_ptr<SqliteRequestStore>> requests =
      SqliteRequestStore::Open(where.sqlite_file, where.sqlite);
  if (!requests.ok()) return requests.error();
  Result<std::unique_ptr<SqliteStateStore>> state =
      SqliteStateStore::Open(where.sqlite_file, where.sqlite);
  if (!state.ok()) return state.error();
  stores.requests = std::move(*requests);
  stores.state = std::move(*state);
  return stores;
}

Result<std::unique_ptr<RequestStore>> OpenReader(const StoreLocation& where,
                                                 const std::shared_ptr<PgPool>& pool) {
  if (where.postgres()) {
    if (pool == nullptr) {
      return resilience::Error(resilience::ErrorKind::kInternal, "StoreMisuse",
                               "OpenReader: no PostgreSQL pool for " + where.Describe());
    }
    Result<std::unique_ptr<PgRequestStore>> s = PgRequestStore::Open(pool);
    if (!s.ok()) return s.error();
    return std::unique_ptr<RequestStore>(std::move(*s));
  }
  DatabaseOptions options = where.sqlite;
  options.read_only = true;
  Result<std::unique_ptr<SqliteRequestStore>> s =
      SqliteRequestStore::Open(where.sqlite_file, options);
  if (!s.ok()) return s.error();
  return std::unique_ptr<RequestStore>(std::move(*s));
}

}  // namespace ohfp::store
