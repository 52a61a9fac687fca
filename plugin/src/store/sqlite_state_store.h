// store/sqlite_state_store.h
//
// SqliteStateStore: the resilience library's StateStore kept in a SQLite file, so that circuit
// breaker, retry-quota and rate-limiter state survives the process and is shared by every ohfp
// process HostFactory runs on this host. shared() is true: breakers re-read the record before
// deciding.
//
// UpdateBreaker / UpdateQuota are atomic read-modify-writes across threads and processes:
//  1. read the record without a lock (WAL: a consistent snapshot) and call `update` on a copy; if
//     it returns false, return what was read: nothing is written and no lock is taken (the common
//     case: a success with nothing to reset);
//  2. otherwise BEGIN IMMEDIATE (the write lock, waiting up to the busy timeout), read the record
//     again, and if it changed since step 1 call `update` again on the fresh record (so `update`
//     may run twice; if it now returns false nothing is written); write it with version + 1;
//     COMMIT.
// UpdateLimiters is one BEGIN IMMEDIATE transaction: read the buckets' records, call `update` once,
// write them all (or nothing when it returns false), COMMIT. A reservation nearly always writes,
// so the lock-free first read would only add a read.
// A process killed at any point leaves either the old record or the new one.
// Errors: ErrorKind::kTimeout ("StoreBusy") when another connection held the write lock past the
// busy timeout; kInternal for everything else (I/O, a corrupt or newer database); messages name
// the file.
//
// Thread-safety: safe from any thread. Each operation borrows a connection from a small pool (one
// is opened when none is idle); the pool's mutex guards only the list of idle connections and is
// never held during SQLite I/O or while `update` runs. Concurrent writers, in this process or
// others, are serialized by SQLite's write lock.
//
// Example:
//   Result<std::unique_ptr<SqliteStateStore>> store =
//       SqliteStateStore::Open(work_dir / "ohfp" / "state.db");
//   if (!store.ok()) return store.error();
//   CircuitBreaker breaker("aws_ec2", options, **store, clock);
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/state_store.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/record_state_store.h"

namespace ohfp::store {

// The migration component and list that create the store's tables (resilience_breakers,
// resilience_quotas, resilience_limiters). SqliteStateStore::Open applies them.
inline constexpr std::string_view kResilienceSchema = "resilience";
std::span<const Migration> ResilienceMigrations() noexcept;

struct StoreConnection;  // a connection and its prepared statements (sqlite_state_store.cc)

class SqliteStateStore final : public RecordStateStore<SqliteStateStore> {
 public:
  // Opens (creating when missing) the database at `path` and applies ResilienceMigrations().
  [[nodiscard]] static resilience::Result<std::unique_ptr<SqliteStateStore>> Open(
      const std::filesystem::path& path, const DatabaseOptions& options = {});

  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  // Sorted by service name.
  resilience::Result<std::vector<std::pair<std::string, resilience::BreakerRecord>>> ListBreakers()
      override;

  resilience::Status UpdateLimiters(
      std::span<const std::string> keys, std::span<resilience::LimiterRecord> records,
      resilience::FunctionRef<bool(std::span<resilience::LimiterRecord>)> update) override;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  friend class RecordStateStore<SqliteStateStore>;
  class Lease;
  SqliteStateStore(std::filesystem::path path, DatabaseOptions options,
                   std::unique_ptr<StoreConnection> first);

  resilience::Result<Lease> Acquire();
  void Release(std::unique_ptr<StoreConnection> connection) noexcept;
  template <class Record>
  resilience::Result<Record> Read(std::string_view service);
  template <class Record>
  resilience::Result<Record> Update(std::string_view service,
                                    resilience::FunctionRef<bool(Record&)> update);

  const std::filesystem::path path_;
  const DatabaseOptions options_;
  std::mutex mu_;  // guards idle_ only
  std::vector<std::unique_ptr<StoreConnection>> idle_;
};

// Instantiated in sqlite_state_store.cc, where Read and Update are defined.
extern template class RecordStateStore<SqliteStateStore>;

}  // namespace ohfp::store
