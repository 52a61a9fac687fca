#include "store/sqlite_state_store.h"

#include <cstdint>
#include <optional>
#include <type_traits>

#include "store/rows.h"
#include "store/sqlite_error.h"
#include "store/sqlite_rows.h"
#include "store/tables.h"
#include "store/transaction.h"

namespace ohfp::store {

using resilience::BreakerRecord;
using resilience::Error;
using resilience::FunctionRef;
using resilience::LimiterRecord;
using resilience::QuotaRecord;
using resilience::Result;
using resilience::Status;

namespace {

// Values are stored as store/rows.h reads them: times in nanoseconds since the Unix epoch, uint64
// counters as the int64 with the same bits.
constexpr Migration kResilienceMigrations[] = {
    {1, "create breaker and quota tables", R"sql(
CREATE TABLE resilience_breakers (
  service          TEXT    NOT NULL PRIMARY KEY,
  state            TEXT    NOT NULL,  -- 'closed', 'open', 'half_open'
  override_mode    TEXT    NOT NULL,  -- 'none', 'forced_open', 'forced_closed'
  failure_count    INTEGER NOT NULL,  -- uint32
  half_open_probes INTEGER NOT NULL,  -- uint32
  generation       INTEGER NOT NULL,  -- uint64, as int64 bits
  last_failure_ns  INTEGER,           -- NULL: never
  last_success_ns  INTEGER,           -- NULL: never
  state_changed_ns INTEGER NOT NULL,
  failure_window   TEXT    NOT NULL,  -- '0' success, '1' failure, oldest first
  version          INTEGER NOT NULL   -- uint64, as int64 bits
);
CREATE TABLE resilience_quotas (
  service TEXT    NOT NULL PRIMARY KEY,
  tokens  INTEGER,                    -- NULL: never used (full)
  version INTEGER NOT NULL            -- uint64, as int64 bits
);
)sql"},
    {2, "create rate limiter table", R"sql(
CREATE TABLE resilience_limiters (
  key              TEXT    NOT NULL PRIMARY KEY,  -- the limiter's scope and the bucket's name
  tokens           REAL    NOT NULL,              -- negative: reserved by callers still waiting
  updated_ns       INTEGER,                       -- NULL: never used (full)
  fill_rate        REAL    NOT NULL,              -- tokens per second; 0: the configured rate
  last_max_rate    REAL    NOT NULL,              -- the rate when it was last lowered
  last_throttle_ns INTEGER,                       -- NULL: never lowered
  measured_rate    REAL    NOT NULL,              -- smoothed tokens per second spent
  measure_start_ns INTEGER,                       -- the current half-second slot
  measure_count    REAL    NOT NULL,              -- tokens spent in it
  version          INTEGER NOT NULL               -- uint64, as int64 bits
);
)sql"},
};

using internal::ToStored;

// Resets a statement when the scope ends, so that no read stays open on the connection.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

// Idle connections kept for reuse; more than this (after a burst of threads) are closed.
constexpr std::size_t kMaxIdle = 8;

// A record as stored, and whether it was there at all.
template <class Record>
struct Loaded {
  Record record{};
  bool exists = false;
};

}  // namespace

std::span<const Migration> ResilienceMigrations() noexcept { return kResilienceMigrations; }

namespace {

// The statements every connection prepares once.
enum class Query : std::uint8_t {
  kReadBreaker,
  kListBreakers,
  kUpdateBreaker,
  kInsertBreaker,
  kReadQuota,
  kUpdateQuota,
  kInsertQuota,
  kReadLimiter,
  kUpsertLimiter,
};
constexpr std::size_t kQueryCount = static_cast<std::size_t>(Query::kUpsertLimiter) + 1;

std::string SqlFor(Query query) {
  const std::string columns(kBreakerColumns);
  switch (query) {
    case Query::kReadBreaker:
      return "SELECT " + columns + " FROM resilience_breakers WHERE service = ?";
    case Query::kListBreakers:
      return "SELECT service, " + columns + " FROM resilience_breakers ORDER BY service";
    case Query::kUpdateBreaker:
      return "UPDATE resilience_breakers SET state = :state, override_mode = :override_mode, "
             "failure_count = :failure_count, half_open_probes = :half_open_probes, "
             "generation = :generation, last_failure_ns = :last_failure_ns, "
             "last_success_ns = :last_success_ns, state_changed_ns = :state_changed_ns, "
             "failure_window = :failure_window, version = :version WHERE service = :service";
    case Query::kInsertBreaker:
      return "INSERT INTO resilience_breakers (service, " + columns +
             ") VALUES (:service, :state, :override_mode, :failure_count, :half_open_probes, "
             ":generation, :last_failure_ns, :last_success_ns, :state_changed_ns, "
             ":failure_window, :version)";
    case Query::kReadQuota:
      return "SELECT tokens, version FROM resilience_quotas WHERE service = ?";
    case Query::kUpdateQuota:
      return "UPDATE resilience_quotas SET tokens = :tokens, version = :version "
             "WHERE service = :service";
    case Query::kInsertQuota:
      return "INSERT INTO resilience_quotas (service, tokens, version) "
             "VALUES (:service, :tokens, :version)";
    case Query::kReadLimiter:
      return "SELECT " + std::string(kLimiterColumns) + " FROM resilience_limiters WHERE key = ?";
    case Query::kUpsertLimiter:
      return "INSERT INTO resilience_limiters (key, " + std::string(kLimiterColumns) +
             ") VALUES (:key, :tokens, :updated_ns, :fill_rate, :last_max_rate, "
             ":last_throttle_ns, :measured_rate, :measure_start_ns, :measure_count, :version) "
             "ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, "
             "updated_ns = excluded.updated_ns, fill_rate = excluded.fill_rate, "
             "last_max_rate = excluded.last_max_rate, "
             "last_throttle_ns = excluded.last_throttle_ns, "
             "measured_rate = excluded.measured_rate, "
             "measure_start_ns = excluded.measure_start_ns, "
             "measure_count = excluded.measure_count, version = excluded.version";
  }
  return {};
}

}  // namespace

struct StoreConnection {
  Database db;
  // One per Query, prepared once; declared after `db` so they are finalized before it closes.
  std::vector<Statement> statements;

  Statement& operator[](Query query) { return statements[static_cast<std::size_t>(query)]; }
  std::string file() const { return db.path().string(); }

  static Result<std::unique_ptr<StoreConnection>> Prepare(Database db) {
    auto connection = std::make_unique<StoreConnection>(StoreConnection{std::move(db), {}});
    connection->statements.reserve(kQueryCount);
    for (std::size_t i = 0; i < kQueryCount; ++i) {
      Result<Statement> statement = connection->db.Prepare(SqlFor(static_cast<Query>(i)));
      if (!statement.ok()) return std::move(statement).error();
      connection->statements.push_back(std::move(*statement));
    }
    return connection;
  }
};

namespace {

// What a record that cannot be read says: a function for store/rows.h's readers.
auto BadRecord(const StoreConnection& c, std::string_view table, std::string_view service) {
  return [&c, table, service](std::string_view problem) -> Error {
    return MakeStoreError(
        c.file(), "StoreBadRecord",
        std::string(table) + " record '" + std::string(service) + "': " + std::string(problem));
  };
}

Result<BreakerRecord> DecodeBreaker(const StoreConnection& c, const Statement& row, int first,
                                    std::string_view service) {
  return internal::BreakerFromRow(internal::SqliteRow{row}, first,
                                  BadRecord(c, "breaker", service));
}

// The record of `service` (a breaker or a quota) as stored, and whether there is one.
template <class Record>
Result<Loaded<Record>> Load(StoreConnection& c, std::string_view service) {
  constexpr bool kBreaker = std::is_same_v<Record, BreakerRecord>;
  Statement& q = c[kBreaker ? Query::kReadBreaker : Query::kReadQuota];
  ResetOnExit reset(q);
  q.Bind(1, service);
  Result<bool> row = q.Step();
  if (!row.ok()) return std::move(row).error();
  if (!*row) return Loaded<Record>{};
  Result<Record> record = [&] {
    if constexpr (kBreaker) {
      return DecodeBreaker(c, q, 0, service);
    } else {
      return internal::QuotaFromRow(internal::SqliteRow{q}, 0, BadRecord(c, "quota", service));
    }
  }();
  if (!record.ok()) return std::move(record).error();
  return Loaded<Record>{*record, true};
}

// The limiter record of `key` (a fresh one when there is none), read inside the caller's
// transaction.
Result<LimiterRecord> LoadLimiter(StoreConnection& c, std::string_view key) {
  Statement& q = c[Query::kReadLimiter];
  ResetOnExit reset(q);
  q.Bind(1, key);
  Result<bool> row = q.Step();
  if (!row.ok()) return std::move(row).error();
  if (!*row) return LimiterRecord{};
  return internal::LimiterFromRow(internal::SqliteRow{q}, 0, BadRecord(c, "limiter", key));
}

Status SaveLimiter(StoreConnection& c, std::string_view key, const LimiterRecord& r) {
  Statement& s = c[Query::kUpsertLimiter];
  ResetOnExit reset(s);
  s.Bind(":key", key);
  s.Bind(":tokens", r.tokens);
  s.Bind(":updated_ns", ToStored(r.updated));
  s.Bind(":fill_rate", r.fill_rate);
  s.Bind(":last_max_rate", r.last_max_rate);
  s.Bind(":last_throttle_ns", ToStored(r.last_throttle));
  s.Bind(":measured_rate", r.measured_rate);
  s.Bind(":measure_start_ns", ToStored(r.measure_start));
  s.Bind(":measure_count", r.measure_count);
  s.Bind(":version", ToStored(r.version));
  return s.Run();
}

void BindRecord(Statement& s, std::string_view service, const BreakerRecord& r) {
  s.Bind(":service", service);
  s.Bind(":state", resilience::CircuitStateName(r.state));
  s.Bind(":override_mode", resilience::CircuitOverrideName(r.override_mode));
  s.Bind(":failure_count", r.failure_count);
  s.Bind(":half_open_probes", r.half_open_probes);
  s.Bind(":generation", ToStored(r.generation));
  s.Bind(":last_failure_ns", ToStored(r.last_failure_time));
  s.Bind(":last_success_ns", ToStored(r.last_success_time));
  s.Bind(":state_changed_ns", ToStored(r.state_changed_time));
  s.Bind(":failure_window", std::string_view(r.window));
  s.Bind(":version", ToStored(r.version));
}

void BindRecord(Statement& s, std::string_view service, const QuotaRecord& r) {
  s.Bind(":service", service);
  s.Bind(":tokens", r.tokens);
  s.Bind(":version", ToStored(r.version));
}

// Writes `record` for `service`: an UPDATE when the row exists, else an INSERT. Called under the
// write lock, so the row cannot appear or vanish in between.
template <class Record>
Status Save(StoreConnection& c, std::string_view service, const Record& record, bool exists) {
  Query query = exists ? Query::kUpdateQuota : Query::kInsertQuota;
  if constexpr (std::is_same_v<Record, BreakerRecord>) {
    query = exists ? Query::kUpdateBreaker : Query::kInsertBreaker;
  }
  Statement& statement = c[query];
  ResetOnExit reset(statement);
  BindRecord(statement, service, record);
  if (Status s = statement.Run(); !s.ok()) return s;
  if (c.db.changes() != 1) {
    return MakeStoreError(c.file(), "StoreError",
                          "writing the record of '" + std::string(service) + "' changed " +
                              std::to_string(c.db.changes()) + " rows instead of 1");
  }
  return resilience::OkStatus();
}

}  // namespace

// A connection borrowed from the pool, returned when the Lease is destroyed.
class SqliteStateStore::Lease {
 public:
  Lease(SqliteStateStore& store, std::unique_ptr<StoreConnection> connection) noexcept
      : store_(&store), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_ != nullptr) store_->Release(std::move(connection_));
  }
  StoreConnection& operator*() const noexcept { return *connection_; }

 private:
  SqliteStateStore* store_;
  std::unique_ptr<StoreConnection> connection_;
};

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::filesystem::path& path,
                                                                 const DatabaseOptions& options) {
  Result<Database> db = Database::Open(path, options);
  if (!db.ok()) return std::move(db).error();
  Result<int> version = ApplyMigrations(*db, kResilienceSchema, ResilienceMigrations());
  if (!version.ok()) return std::move(version).error();
  Result<std::unique_ptr<StoreConnection>> connection = StoreConnection::Prepare(std::move(*db));
  if (!connection.ok()) return std::move(connection).error();
  return std::unique_ptr<SqliteStateStore>(
      new SqliteStateStore(path, options, std::move(*connection)));
}

SqliteStateStore::SqliteStateStore(std::filesystem::path path, DatabaseOptions options,
                                   std::unique_ptr<StoreConnection> first)
    : path_(std::move(path)), options_(options) {
  idle_.reserve(kMaxIdle);  // so that Release() never allocates
  idle_.push_back(std::move(first));
}

SqliteStateStore::~SqliteStateStore() = default;

Result<SqliteStateStore::Lease> SqliteStateStore::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<StoreConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  // Every connection is in use by another thread: open one more, outside the lock.
  Result<Database> db = Database::Open(path_, options_);
  if (!db.ok()) return std::move(db).error();
  Result<std::unique_ptr<StoreConnection>> connection = StoreConnection::Prepare(std::move(*db));
  if (!connection.ok()) return std::move(connection).error();
  return Lease(*this, std::move(*connection));
}

void SqliteStateStore::Release(std::unique_ptr<StoreConnection> connection) noexcept {
  // A connection left inside a transaction cannot happen (Transaction rolls back); if it did,
  // reusing it would put the next caller's work in that transaction. Close it instead.
  if (connection->db.in_transaction()) return;
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  connection.reset();  // closes the surplus connection, outside the lock
}

template <class Record>
Result<Record> SqliteStateStore::Read(std::string_view service) {
  Result<Lease> lease = Acquire();
  if (!lease.ok()) return std::move(lease).error();
  Result<Loaded<Record>> loaded = Load<Record>(**lease, service);
  if (!loaded.ok()) return std::move(loaded).error();
  return loaded->record;
}

template <class Record>
Result<Record> SqliteStateStore::Update(std::string_view service,
                                        FunctionRef<bool(Record&)> update) {
  Result<Lease> lease = Acquire();
  if (!lease.ok()) return std::move(lease).error();
  StoreConnection& c = **lease;

  // 1. Read without a lock and ask. Most updates change nothing; those take no write lock.
  Result<Loaded<Record>> seen = Load<Record>(c, service);
  if (!seen.ok()) return std::move(seen).error();
  Record proposed = seen->record;
  if (!update(proposed)) return seen->record;

  // 2. Take the write lock and read again. If another writer got in between, decide again on
  // what it wrote.
  Result<Transaction> txn = Transaction::Begin(c.db, TransactionMode::kImmediate);
  if (!txn.ok()) return std::move(txn).error();
  Result<Loaded<Record>> fresh = Load<Record>(c, service);
  if (!fresh.ok()) return std::move(fresh).error();
  if (fresh->exists != seen->exists || fresh->record != seen->record) {
    proposed = fresh->record;
    if (!update(proposed)) return fresh->record;  // the transaction rolls back: nothing written
  }
  proposed.version = fresh->record.version + 1;
  if (Status s = Save(c, service, proposed, fresh->exists); !s.ok()) return s.error();
  if (Status s = txn->Commit(); !s.ok()) return s.error();
  return proposed;
}

Result<std::vector<std::pair<std::string, BreakerRecord>>> SqliteStateStore::ListBreakers() {
  Result<Lease> lease = Acquire();
  if (!lease.ok()) return std::move(lease).error();
  StoreConnection& c = **lease;
  Statement& q = c[Query::kListBreakers];
  ResetOnExit reset(q);
  std::vector<std::pair<std::string, BreakerRecord>> out;
  while (true) {
    Result<bool> row = q.Step();
    if (!row.ok()) return std::move(row).error();
    if (!*row) return out;
    std::string service = q.Column<std::string>(0);
    Result<BreakerRecord> record = DecodeBreaker(c, q, 1, service);
    if (!record.ok()) return std::move(record).error();
    out.emplace_back(std::move(service), std::move(*record));
  }
}

// ReadBreaker, ReadQuota, UpdateBreaker and UpdateQuota, over Read and Update above.
template class RecordStateStore<SqliteStateStore>;

Status SqliteStateStore::UpdateLimiters(std::span<const std::string> keys,
                                        std::span<LimiterRecord> records,
                                        FunctionRef<bool(std::span<LimiterRecord>)> update) {
  if (keys.size() != records.size()) {
    return MakeStoreError(path_.string(), "StoreMisuse", "UpdateLimiters: one record per key");
  }
  Result<Lease> lease = Acquire();
  if (!lease.ok()) return std::move(lease).error();
  StoreConnection& c = **lease;
  // Nearly every update writes (a reservation), so no lock-free read first: one short
  // transaction that reads, decides and writes.
  Result<Transaction> txn = Transaction::Begin(c.db, TransactionMode::kImmediate);
  if (!txn.ok()) return std::move(txn).error();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Result<LimiterRecord> loaded = LoadLimiter(c, keys[i]);
    if (!loaded.ok()) return std::move(loaded).error();
    records[i] = *loaded;
  }
  if (!update(records)) return resilience::OkStatus();  // rolled back: nothing written
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ++records[i].version;
    if (Status s = SaveLimiter(c, keys[i], records[i]); !s.ok()) return s;
  }
  return txn->Commit();
}

}  // namespace ohfp::store
