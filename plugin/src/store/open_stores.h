// store/open_stores.h
//
// OpenStores: the request store and the resilience state store of one process, on the backend the
// configuration names: PostgreSQL when a connection URL is given (store.url / OHFP_STORE_URL),
// else SQLite in the work directory, the embedded default. With PostgreSQL both stores share one
// PgPool (one connection for a single-threaded command); libpq is loaded only then.
//
// Thread-safety: the returned request store is for one thread (RequestStore's rule); the state
// store for any.
//
// Example:
//   Result<Stores> stores = OpenStores({.sqlite_file = workdir / "ohfp-state.db"}, clock);
//   (*stores).requests->GetRequest("req-1");
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/state_store.h"
#include "store/database.h"
#include "store/request_store.h"

namespace ohfp::store {

class PgPool;

struct StoreLocation {
  // PostgreSQL when set: a libpq connection URI.
  std::string url{};
  std::string schema = "ohfp";
  std::string resilience_schema = "ohfp";
  std::chrono::milliseconds timeout{10000};
  // PostgreSQL: every store call ends by this at the latest, however much of `timeout` is left (a
  // HostFactory command's deadline); none when unset (a server, a store migration).
  std::optional<resilience::Deadline> ends_by{};
  // SQLite otherwise.
  std::filesystem::path sqlite_file{};
  DatabaseOptions sqlite{};

  bool postgres() const noexcept { return !url.empty(); }
  // "sqlite /var/hf/work/ohfp-state.db" or "postgresql postgresql://hf@db1/ohfp (schema ohfp)",
  // without a password.
  std::string Describe() const;
};

struct Stores {
  std::unique_ptr<RequestStore> requests;
  std::unique_ptr<resilience::StateStore> state;
  std::shared_ptr<PgPool> pool;  // PostgreSQL only: the connections both stores use
};

// Opens both stores (creating their schemas as needed).
[[nodiscard]] resilience::Result<Stores> OpenStores(const StoreLocation& where,
                                                    const resilience::Clock& clock);

// Another request store at `where`, for one reader thread (`ohfp serve`'s pool): SQLite opened
// read-only (a reader never writes the commands' records nor holds their write lock); PostgreSQL
// over `pool`, the one OpenStores opened (thread-safe: a connection per concurrent reader).
[[nodiscard]] resilience::Result<std::unique_ptr<RequestStore>> OpenReader(
    const StoreLocation& where, const std::shared_ptr<PgPool>& pool);

}  // namespace ohfp::store
