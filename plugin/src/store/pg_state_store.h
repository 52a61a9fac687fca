// store/pg_state_store.h
//
// PgStateStore: the resilience library's StateStore in PostgreSQL, so that circuit breakers, retry
// quotas and rate-limiter buckets are shared by every ohfp process on every host that uses the
// server: a circuit one host opened rejects calls on the other at once, and installations that
// share an AWS account can share what they learned about it (store.resilience_schema,
// docs/operations.md). shared() is true.
//
// UpdateBreaker / UpdateQuota are atomic read-modify-writes across processes and hosts:
//  1. read the record (no lock) and call `update` on a copy; if it returns false, return what was
//     read: nothing is written and no lock is taken (the common case);
//  2. otherwise, in one transaction: a record that did not exist is inserted as proposed if it
//     still does not exist (INSERT ... ON CONFLICT DO NOTHING); else the row is locked
//     (SELECT ... FOR UPDATE), and if it changed since step 1 `update` runs again on what is
//     there now (so it may run twice; if it then returns false nothing is written); the record
//     is written with version + 1; COMMIT.
// UpdateLimiters is one transaction, as SQLite's BEGIN IMMEDIATE: it takes a transaction-level
// advisory lock per bucket (keyed by schema and bucket key, taken in key order so that two updaters
// never deadlock; a row lock could not cover a bucket nobody has written yet), reads the records,
// calls `update` once per attempt, and writes every record with version + 1, or nothing when
// `update` returns false. A reservation nearly always writes, so there is no lock-free first read.
// Concurrent writers of one record wait for each other's row lock; a process killed or cut off
// mid-transaction leaves the old record (the server rolls back, at the latest after
// idle_in_transaction_session_timeout = store.timeout_ms). Errors as in store/pg_error.h.
//
// Adding a record type: a PgRecordCodec<Record> specialization in pg_state_store.cc (its table,
// columns, encoding), a migration creating its table, its entry in store/tables.h (so `ohfp store
// migrate` copies it), and the method calling Update<Record>(). A multi-record update (the
// limiter's) takes its locks in key order.
//
// Thread-safety: safe from any thread: each call leases its own connection from the PgPool.
//
// Example:
//   Result<std::unique_ptr<PgStateStore>> store = PgStateStore::Open(pool, "ohfp");
//   CircuitBreaker breaker("aws_ec2", options, **store, clock);
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/state_store.h"
#include "store/migrations.h"
#include "store/pg_pool.h"
#include "store/record_state_store.h"

namespace ohfp::store {

// The "resilience" component's migrations on PostgreSQL (resilience_breakers, resilience_quotas,
// resilience_limiters).
std::span<const Migration> PgResilienceMigrations() noexcept;

class PgStateStore final : public RecordStateStore<PgStateStore> {
 public:
  // Brings the "resilience" schema in `schema` up to date.
  [[nodiscard]] static resilience::Result<std::unique_ptr<PgStateStore>> Open(
      std::shared_ptr<PgPool> pool, std::string schema);

  // Sorted by service name.
  resilience::Result<std::vector<std::pair<std::string, resilience::BreakerRecord>>> ListBreakers()
      override;

  resilience::Status UpdateLimiters(
      std::span<const std::string> keys, std::span<resilience::LimiterRecord> records,
      resilience::FunctionRef<bool(std::span<resilience::LimiterRecord>)> update) override;

  const std::string& schema() const noexcept { return schema_; }

 private:
  friend class RecordStateStore<PgStateStore>;
  PgStateStore(std::shared_ptr<PgPool> pool, std::string schema)
      : pool_(std::move(pool)), schema_(std::move(schema)) {}
  template <class Record>
  resilience::Result<Record> Read(std::string_view service);
  template <class Record>
  resilience::Result<Record> Update(std::string_view service,
                                    resilience::FunctionRef<bool(Record&)> update);
  // Takes the transaction-level advisory locks of `keys`' buckets, in key order.
  resilience::Status LockLimiters(PgConnection& c, std::span<const std::string> keys,
                                  resilience::Deadline deadline);

  std::shared_ptr<PgPool> pool_;
  const std::string schema_;
};

// Instantiated in pg_state_store.cc, where Read and Update are defined.
extern template class RecordStateStore<PgStateStore>;

}  // namespace ohfp::store
