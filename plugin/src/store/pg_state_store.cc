#include "store/pg_state_store.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "store/pg_migrations.h"
#include "store/pg_rows.h"
#include "store/rows.h"
#include "store/tables.h"

namespace ohfp::store {

using resilience::BreakerRecord;
using resilience::Deadline;
using resilience::FunctionRef;
using resilience::LimiterRecord;
using resilience::QuotaRecord;
using resilience::Result;
using resilience::Status;

namespace {

// The same columns and values as SQLite's (sqlite_state_store.cc, store/tables.h).
constexpr Migration kMigrations[] = {
    {1, "create breaker and quota tables", R"sql(
CREATE TABLE resilience_breakers (
  service          TEXT   NOT NULL PRIMARY KEY,
  state            TEXT   NOT NULL,  -- 'closed', 'open', 'half_open'
  override_mode    TEXT   NOT NULL,  -- 'none', 'forced_open', 'forced_closed'
  failure_count    BIGINT NOT NULL,  -- uint32
  half_open_probes BIGINT NOT NULL,  -- uint32
  generation       BIGINT NOT NULL,  -- uint64, as int64 bits
  last_failure_ns  BIGINT,           -- NULL: never
  last_success_ns  BIGINT,           -- NULL: never
  state_changed_ns BIGINT NOT NULL,
  failure_window   TEXT   NOT NULL,  -- '0' success, '1' failure, oldest first
  version          BIGINT NOT NULL   -- uint64, as int64 bits
);
CREATE TABLE resilience_quotas (
  service TEXT   NOT NULL PRIMARY KEY,
  tokens  BIGINT,                    -- NULL: never used (full)
  version BIGINT NOT NULL            -- uint64, as int64 bits
);
)sql"},
    {2, "create rate limiter table", R"sql(
CREATE TABLE resilience_limiters (
  key              TEXT             NOT NULL PRIMARY KEY,  -- the limiter's scope and bucket
  tokens           DOUBLE PRECISION NOT NULL,  -- negative: reserved by callers still waiting
  updated_ns       BIGINT,                     -- NULL: never used (full)
  fill_rate        DOUBLE PRECISION NOT NULL,  -- tokens per second; 0: the configured rate
  last_max_rate    DOUBLE PRECISION NOT NULL,  -- the rate when it was last lowered
  last_throttle_ns BIGINT,                     -- NULL: never lowered
  measured_rate    DOUBLE PRECISION NOT NULL,  -- smoothed tokens per second spent
  measure_start_ns BIGINT,                     -- the current half-second slot
  measure_count    DOUBLE PRECISION NOT NULL,  -- tokens spent in it
  version          BIGINT           NOT NULL   -- uint64, as int64 bits
);
)sql"},
};

using internal::ToStored;

// What a record that cannot be read says: a function for store/rows.h's readers.
auto BadRecord(const PgPool& pool, std::string_view table, std::string_view service) {
  return [&pool, table, service](std::string_view problem) {
    return PgStoreError(
        pool.where(), "StoreBadRecord",
        std::string(table) + " record '" + std::string(service) + "': " + std::string(problem));
  };
}

// How one record type is stored: its table, its columns after "service" (the last is its
// version), and the conversions. One specialization per record type.
template <class Record>
struct PgRecordCodec;

template <>
struct PgRecordCodec<BreakerRecord> {
  static constexpr std::string_view kTable = "resilience_breakers";
  static constexpr std::string_view kColumns = kBreakerColumns;
  static constexpr int kCount = 10;

  static Result<BreakerRecord> Decode(const PgPool& pool, const PgResult& r, int row, int first,
                                      std::string_view service) {
    return internal::BreakerFromRow(internal::PgRow{r, row}, first,
                                    BadRecord(pool, "breaker", service));
  }

  static void Encode(const BreakerRecord& b, PgParams& p) {
    p.Add(resilience::CircuitStateName(b.state))
        .Add(resilience::CircuitOverrideName(b.override_mode))
        .Add(static_cast<std::int64_t>(b.failure_count))
        .Add(static_cast<std::int64_t>(b.half_open_probes))
        .Add(ToStored(b.generation))
        .Add(ToStored(b.last_failure_time))
        .Add(ToStored(b.last_success_time))
        .Add(ToStored(b.state_changed_time))
        .Add(b.window)
        .Add(ToStored(b.version));
  }
};

template <>
struct PgRecordCodec<QuotaRecord> {
  static constexpr std::string_view kTable = "resilience_quotas";
  static constexpr std::string_view kColumns = "tokens, version";
  static constexpr int kCount = 2;

  static Result<QuotaRecord> Decode(const PgPool& pool, const PgResult& r, int row, int first,
                                    std::string_view service) {
    return internal::QuotaFromRow(internal::PgRow{r, row}, first,
                                  BadRecord(pool, "quota", service));
  }

  static void Encode(const QuotaRecord& q, PgParams& p) {
    p.Add(q.tokens ? std::optional<std::int64_t>(*q.tokens) : std::nullopt)
        .Add(ToStored(q.version));
  }
};

// "$first, $first+1, ..." for `count` parameters.
std::string Dollars(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i == 0 ? "$" : ", $") + std::to_string(first + i);
  return out;
}

template <class Record>
struct Loaded {
  Record record{};
  bool exists = false;
};

template <class Record>
Result<Loaded<Record>> Load(const PgPool& pool, PgConnection& c, const std::string& schema,
                            std::string_view service, bool lock, Deadline d) {
  using Codec = PgRecordCodec<Record>;
  Result<PgResult> r =
      c.Exec("SELECT " + std::string(Codec::kColumns) + " FROM " + schema + "." +
                 std::string(Codec::kTable) + " WHERE service = $1" + (lock ? " FOR UPDATE" : ""),
             PgParams().Add(service), d);
  if (!r.ok()) return r.error();
  if (r->rows() == 0) return Loaded<Record>{};
  Result<Record> record = Codec::Decode(pool, *r, 0, 0, service);
  if (!record.ok()) return record.error();
  return Loaded<Record>{*record, true};
}

// Inserts `record` unless a row exists; true when this call inserted it.
template <class Record>
Result<bool> InsertIfAbsent(PgConnection& c, const std::string& schema, std::string_view service,
                            const Record& record, Deadline d) {
  using Codec = PgRecordCodec<Record>;
  PgParams p;
  p.Add(service);
  Codec::Encode(record, p);
  Result<PgResult> r =
      c.Exec("INSERT INTO " + schema + "." + std::string(Codec::kTable) + " (service, " +
                 std::string(Codec::kColumns) + ") VALUES (" + Dollars(1, Codec::kCount + 1) +
                 ") ON CONFLICT (service) DO NOTHING",
             p, d);
  if (!r.ok()) return r.error();
  return r->affected() == 1;
}

template <class Record>
Status Store(PgConnection& c, const std::string& schema, std::string_view service,
             const Record& record, Deadline d) {
  using Codec = PgRecordCodec<Record>;
  PgParams p;
  p.Add(service);
  Codec::Encode(record, p);
  Result<PgResult> r = c.Exec("UPDATE " + schema + "." + std::string(Codec::kTable) + " SET (" +
                                  std::string(Codec::kColumns) + ") = ROW(" +
                                  Dollars(2, Codec::kCount) + ") WHERE service = $1",
                              p, d);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

}  // namespace

std::span<const Migration> PgResilienceMigrations() noexcept { return kMigrations; }

Result<std::unique_ptr<PgStateStore>> PgStateStore::Open(std::shared_ptr<PgPool> pool,
                                                         std::string schema) {
  Result<int> version = ApplyPgMigrations(*pool, schema, "resilience", PgResilienceMigrations());
  if (!version.ok()) return version.error();
  return std::unique_ptr<PgStateStore>(new PgStateStore(std::move(pool), std::move(schema)));
}

template <class Record>
Result<Record> PgStateStore::Read(std::string_view service) {
  return pool_->Run([&](PgConnection& c, Deadline d) -> Result<Record> {
    Result<Loaded<Record>> loaded = Load<Record>(*pool_, c, schema_, service, false, d);
    if (!loaded.ok()) return loaded.error();
    return loaded->record;
  });
}

template <class Record>
Result<Record> PgStateStore::Update(std::string_view service, FunctionRef<bool(Record&)> update) {
  // 1. Read without a lock and ask. Most updates change nothing; those take no lock.
  Result<Loaded<Record>> seen = pool_->Run([&](PgConnection& c, Deadline d) {
    return Load<Record>(*pool_, c, schema_, service, false, d);
  });
  if (!seen.ok()) return seen.error();
  Record proposed = seen->record;
  if (!update(proposed)) return seen->record;

  // 2. Write under the row's lock, deciding again if another writer got in between.
  return pool_->Transact([&](PgConnection& c, Deadline d) -> Result<Record> {
    Record mine = proposed;
    if (!seen->exists) {
      mine.version = 1;
      Result<bool> inserted = InsertIfAbsent(c, schema_, service, mine, d);
      if (!inserted.ok()) return inserted.error();
      if (*inserted) return mine;
    }
    Result<Loaded<Record>> fresh = Load<Record>(*pool_, c, schema_, service, true, d);
    if (!fresh.ok()) return fresh.error();
    if (!seen->exists || fresh->record != seen->record) {
      mine = fresh->record;
      if (!update(mine)) return fresh->record;  // commits nothing: nothing was changed
    }
    mine.version = fresh->record.version + 1;
    if (Status s = Store(c, schema_, service, mine, d); !s.ok()) return s.error();
    return mine;
  });
}

Result<std::vector<std::pair<std::string, BreakerRecord>>> PgStateStore::ListBreakers() {
  using Codec = PgRecordCodec<BreakerRecord>;
  return pool_->Run([&](PgConnection& c,
                        Deadline d) -> Result<std::vector<std::pair<std::string, BreakerRecord>>> {
    Result<PgResult> r =
        c.Exec("SELECT service, " + std::string(Codec::kColumns) + " FROM " + schema_ + "." +
                   std::string(Codec::kTable) + " ORDER BY service COLLATE \"C\"",
               d);
    if (!r.ok()) return r.error();
    std::vector<std::pair<std::string, BreakerRecord>> out;
    for (int i = 0; i < r->rows(); ++i) {
      std::string service = r->String(i, 0);
      Result<BreakerRecord> record = Codec::Decode(*pool_, *r, i, 1, service);
      if (!record.ok()) return record.error();
      out.emplace_back(std::move(service), std::move(*record));
    }
    return out;
  });
}

// ReadBreaker, ReadQuota, UpdateBreaker and UpdateQuota, over Read and Update above.
template class RecordStateStore<PgStateStore>;

// --- rate-limiter buckets ---

namespace {

Status UpsertLimiter(PgConnection& c, const std::string& schema, std::string_view key,
                     const LimiterRecord& l, Deadline d) {
  Result<PgResult> r = c.Exec(
      "INSERT INTO " + schema + ".resilience_limiters (key, " + std::string(kLimiterColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO UPDATE SET (" +
          std::string(kLimiterColumns) +
          ") = ROW(excluded.tokens, excluded.updated_ns, excluded.fill_rate, "
          "excluded.last_max_rate, excluded.last_throttle_ns, excluded.measured_rate, "
          "excluded.measure_start_ns, excluded.measure_count, excluded.version)",
      PgParams()
          .Add(key)
          .Add(l.tokens)
          .Add(ToStored(l.updated))
          .Add(l.fill_rate)
          .Add(l.last_max_rate)
          .Add(ToStored(l.last_throttle))
          .Add(l.measured_rate)
          .Add(ToStored(l.measure_start))
          .Add(l.measure_count)
          .Add(ToStored(l.version)),
      d);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

}  // namespace

Status PgStateStore::LockLimiters(PgConnection& c, std::span<const std::string> keys, Deadline d) {
  // One updater of a bucket at a time on every host, whether or not its row exists yet (a row
  // lock could not cover a bucket nobody has written). Taken in key order: two updaters of the
  // same buckets never wait for each other in a cycle.
  std::vector<std::string> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  for (const std::string& key : sorted) {
    Result<PgResult> locked = c.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                     PgParams().Add("ohfp-limiter:" + schema_ + "/" + key), d);
    if (!locked.ok()) return locked.error();
  }
  return resilience::OkStatus();
}

Status PgStateStore::UpdateLimiters(std::span<const std::string> keys,
                                    std::span<LimiterRecord> records,
                                    FunctionRef<bool(std::span<LimiterRecord>)> update) {
  if (keys.size() != records.size()) {
    return PgStoreError(pool_->where(), "StoreMisuse", "UpdateLimiters: one record per key");
  }
  // One transaction, as SQLite's BEGIN IMMEDIATE: lock, read, decide once, write all or nothing.
  // A reservation nearly always writes, so there is no lock-free first read.
  return pool_->Transact([&](PgConnection& c, Deadline d) -> Status {
    if (Status s = LockLimiters(c, keys, d); !s.ok()) return s;
    Result<PgResult> r =
        c.Exec("SELECT key, " + std::string(kLimiterColumns) + " FROM " + schema_ +
                   ".resilience_limiters WHERE key = ANY($1::text[])",
               PgParams().AddTextArray(std::vector<std::string>(keys.begin(), keys.end())), d);
    if (!r.ok()) return r.error();
    for (LimiterRecord& record : records) record = LimiterRecord{};
    for (int row = 0; row < r->rows(); ++row) {
      const std::string key = r->String(row, 0);
      Result<LimiterRecord> loaded =
          internal::LimiterFromRow(internal::PgRow{*r, row}, 1, BadRecord(*pool_, "limiter", key));
      if (!loaded.ok()) return loaded.error();
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == key) records[i] = *loaded;
      }
    }
    if (!update(records)) return resilience::OkStatus();  // nothing written
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ++records[i].version;
      if (Status s = UpsertLimiter(c, schema_, keys[i], records[i], d); !s.ok()) return s;
    }
    return resilience::OkStatus();
  });
}

}  // namespace ohfp::store
