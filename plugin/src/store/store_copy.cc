#include "store/store_copy.h"

#include <functional>
#include <optional>
#include <vector>

#include "store/pg_pool.h"
#include "store/sqlite_error.h"
#include "store/sqlite_rows.h"
#include "store/tables.h"
#include "store/transaction.h"

namespace ohfp::store {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

using Row = std::vector<std::optional<std::string>>;

Status StatusOf(const Result<PgResult>& r) {
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}
using Batch = std::vector<Row>;
using BatchSink = std::function<Status(const Batch&)>;

constexpr std::size_t kBatchRows = 500;

std::size_t ColumnCount(std::string_view columns) {
  std::size_t n = 1;
  for (char c : columns) n += c == ',' ? 1 : 0;
  return n;
}

// One end of a copy: the tables of one store, read or written in one transaction.
class Side {
 public:
  virtual ~Side() = default;
  // Opens the transaction: `source` locks the tables against writers.
  virtual Status Begin(bool source) = 0;
  virtual Status Commit() = 0;
  virtual Result<std::int64_t> Count(const TableColumns& t) = 0;
  virtual Result<std::optional<std::string>> Installation() = 0;
  // Every row, in key order, in batches.
  virtual Status Read(const TableColumns& t, const BatchSink& sink) = 0;
  // Inserts `rows`; with `keep_existing`, rows whose key exists are skipped. Returns how many
  // were inserted.
  virtual Result<std::int64_t> Write(const TableColumns& t, const Batch& rows,
                                     bool keep_existing) = 0;
};

class SqliteSide final : public Side {
 public:
  explicit SqliteSide(Database db) : db_(std::move(db)) {}
  Status Begin(bool /*source*/) override {
    // IMMEDIATE either way: a source keeps writers out, a target is written.
    Result<Transaction> txn = Transaction::Begin(db_, TransactionMode::kImmediate);
    if (!txn.ok()) return txn.error();
    txn_.emplace(std::move(*txn));
    return resilience::OkStatus();
  }
  Status Commit() override { return txn_->Commit(); }
  Result<std::int64_t> Count(const TableColumns& t) override {
    Result<Statement> q = db_.Prepare("SELECT count(*) FROM " + std::string(t.table));
    if (!q.ok()) return q.error();
    Result<bool> row = q->Step();
    if (!row.ok()) return row.error();
    return q->Column<std::int64_t>(0);
  }
  Result<std::optional<std::string>> Installation() override {
    return internal::ReadInstallationId(db_);
  }
  Status Read(const TableColumns& t, const BatchSink& sink) override {
    Result<Statement> q = db_.Prepare("SELECT " + std::string(t.columns) + " FROM " +
                                      std::string(t.table) + " ORDER BY " + std::string(t.key));
    if (!q.ok()) return q.error();
    const int n = static_cast<int>(ColumnCount(t.columns));
    Batch batch;
    for (;;) {
      Result<bool> row = q->Step();
      if (!row.ok()) return row.error();
      if (*row) {
        Row r;
        for (int i = 0; i < n; ++i) r.push_back(q->ColumnExactText(i));
        batch.push_back(std::move(r));
      }
      if ((!*row && !batch.empty()) || batch.size() == kBatchRows) {
        if (Status s = sink(batch); !s.ok()) return s;
        batch.clear();
      }
      if (!*row) return resilience::OkStatus();
    }
  }
  Result<std::int64_t> Write(const TableColumns& t, const Batch& rows,
                             bool keep_existing) override {
    const std::size_t n = ColumnCount(t.columns);
    std::string marks;
    for (std::size_t i = 0; i < n; ++i) marks += i == 0 ? "?" : ", ?";
    Result<Statement> q = db_.Prepare(std::string(keep_existing ? "INSERT OR IGNORE" : "INSERT") +
                                      " INTO " + std::string(t.table) + " (" +
                                      std::string(t.columns) + ") VALUES (" + marks + ")");
    if (!q.ok()) return q.error();
    std::int64_t written = 0;
    for (const Row& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i]) {
          q->Bind(static_cast<int>(i + 1), std::string_view(*r[i]));
        } else {
          q->Bind(static_cast<int>(i + 1), nullptr);
        }
      }
      if (Status s = q->Run(); !s.ok()) return s.error();
      written += db_.changes();
      q->Reset();
    }
    return written;
  }

 private:
  Database db_;
  std::optional<Transaction> txn_;  // declared after db_: rolls back before it closes
};

class PgSide final : public Side {
 public:
  PgSide(std::shared_ptr<PgPool> pool, PgPool::Lease lease, std::string schema,
         std::string resilience_schema)
      : pool_(std::move(pool)),
        lease_(std::move(lease)),
        schema_(std::move(schema)),
        resilience_schema_(std::move(resilience_schema)) {}
  ~PgSide() override {
    if (lease_->in_transaction()) (void)lease_->Exec("ROLLBACK", pool_->CallDeadline());
  }
  Status Begin(bool source) override {
    std::string sql = source ? "BEGIN ISOLATION LEVEL REPEATABLE READ; LOCK TABLE "
                             : "BEGIN; SET LOCAL synchronous_commit TO on";
    if (source) {
      for (std::size_t i = 0; i < kRequestTables.size(); ++i) {
        sql += (i == 0 ? "" : ", ") + Name(kRequestTables[i]);
      }
      sql += " IN SHARE MODE";
    }
    return lease_->ExecuteScript(sql, pool_->CallDeadline());
  }
  Status Commit() override { return StatusOf(Exec("COMMIT", PgParams())); }
  Result<std::int64_t> Count(const TableColumns& t) override {
    Result<PgResult> r = Exec("SELECT count(*) FROM " + Name(t), PgParams());
    if (!r.ok()) return r.error();
    return r->Int(0, 0);
  }
  Result<std::optional<std::string>> Installation() override {
    Result<PgResult> r =
        Exec("SELECT id FROM " + schema_ + ".installation WHERE singleton = 1", PgParams());
    if (!r.ok()) return r.error();
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->String(0, 0));
  }
  Status Read(const TableColumns& t, const BatchSink& sink) override {
    const std::string cursor = "ohfp_copy_" + std::string(t.table);
    Result<PgResult> declared =
        Exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR SELECT " + std::string(t.columns) +
                 " FROM " + Name(t) + " ORDER BY " + std::string(t.key),
             PgParams());
    if (!declared.ok()) return declared.error();
    for (;;) {
      Result<PgResult> r =
          Exec("FETCH " + std::to_string(kBatchRows) + " FROM " + cursor, PgParams());
      if (!r.ok()) return r.error();
      if (r->rows() == 0) break;
      const int n = static_cast<int>(ColumnCount(t.columns));
      Batch batch;
      for (int i = 0; i < r->rows(); ++i) {
        Row row;
        for (int c = 0; c < n; ++c) {
          row.push_back(r->IsNull(i, c) ? std::nullopt : std::optional(r->String(i, c)));
        }
        batch.push_back(std::move(row));
      }
      if (Status s = sink(batch); !s.ok()) return s;
    }
    return StatusOf(Exec("CLOSE " + cursor, PgParams()));
  }
  Result<std::int64_t> Write(const TableColumns& t, const Batch& rows,
                             bool keep_existing) override {
    if (rows.empty()) return 0;
    const std::size_t n = ColumnCount(t.columns);
    std::string sql = "INSERT INTO " + Name(t) + " (" + std::string(t.columns) + ") VALUES ";
    PgParams params;
    int next = 1;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      sql += r == 0 ? "(" : ", (";
      for (std::size_t c = 0; c < n; ++c) {
        sql += (c == 0 ? "$" : ", $") + std::to_string(next++);
        if (rows[r][c]) {
          params.Add(*rows[r][c]);
        } else {
          params.AddNull();
        }
      }
      sql += ")";
    }
    if (keep_existing) sql += " ON CONFLICT DO NOTHING";
    Result<PgResult> written = Exec(sql, params);
    if (!written.ok()) return written.error();
    return written->affected();
  }

 private:
  std::string Name(const TableColumns& t) const {
    const bool resilience = std::string_view(t.table).starts_with("resilience_");
    return (resilience ? resilience_schema_ : schema_) + "." + std::string(t.table);
  }
  Result<PgResult> Exec(const std::string& sql, const PgParams& params) {
    return lease_->Exec(sql, params, pool_->CallDeadline());
  }

  std::shared_ptr<PgPool> pool_;
  PgPool::Lease lease_;
  std::string schema_;
  std::string resilience_schema_;
};

// Opens `where` (creating its schema as needed) and a connection for the copy.
Result<std::unique_ptr<Side>> OpenSide(const StoreLocation& where, const resilience::Clock& clock) {
  Result<Stores> stores = OpenStores(where, clock);
  if (!stores.ok()) return stores.error();
  if (!where.postgres()) {
    stores->requests.reset();
    stores->state.reset();
    DatabaseOptions options = where.sqlite;
    Result<Database> db = Database::Open(where.sqlite_file, options);
    if (!db.ok()) return db.error();
    return std::unique_ptr<Side>(new SqliteSide(std::move(*db)));
  }
  std::shared_ptr<PgPool> pool = stores->pool;
  Result<PgPool::Lease> lease = pool->Acquire(pool->CallDeadline());
  if (!lease.ok()) return lease.error();
  return std::unique_ptr<Side>(
      new PgSide(pool, std::move(*lease), where.schema, where.resilience_schema));
}

// The target holds nothing of an installation; else why not, naming it.
Status CheckTarget(Side& target, const StoreLocation& to, const std::optional<std::string>& ours) {
  Result<std::optional<std::string>> theirs = target.Installation();
  if (!theirs.ok()) return theirs.error();
  if (theirs->has_value()) {
    if (ours && **theirs == *ours) {
      return Error(ErrorKind::kInternal, "StoreNotEmpty",
                   "the target " + to.Describe() + " already holds this installation's state (" +
                       **theirs + "): copied before? Nothing was changed");
    }
    return Error(ErrorKind::kInternal, "StoreForeign",
                 "the target " + to.Describe() + " holds the state of another installation (" +
                     **theirs + "); nothing was changed. Use another database or schema");
  }
  std::string filled;
  for (const TableColumns& t : kRequestTables) {
    Result<std::int64_t> n = target.Count(t);
    if (!n.ok()) return n.error();
    if (*n > 0) filled += (filled.empty() ? "" : ", ") + std::string(t.table);
  }
  if (filled.empty()) return resilience::OkStatus();
  return Error(ErrorKind::kInternal, "StoreNotEmpty",
               "the target " + to.Describe() + " is not empty (" + filled +
                   "); nothing was changed. Use another database or schema");
}

}  // namespace

Result<CopyReport> CopyStore(const StoreLocation& from, const StoreLocation& to,
                             const resilience::Clock& clock) {
  if (from.Describe() == to.Describe()) {
    return Error(ErrorKind::kValidation, "StoreSame",
                 "the target is the store in use (" + to.Describe() + ")");
  }
  Result<std::unique_ptr<Side>> source = OpenSide(from, clock);
  if (!source.ok()) return source.error();
  Result<std::unique_ptr<Side>> target = OpenSide(to, clock);
  if (!target.ok()) return target.error();
  if (Status s = (*source)->Begin(/*source=*/true); !s.ok()) return s.error();
  if (Status s = (*target)->Begin(/*source=*/false); !s.ok()) return s.error();
  Result<std::optional<std::string>> ours = (*source)->Installation();
  if (!ours.ok()) return ours.error();
  if (Status s = CheckTarget(**target, to, *ours); !s.ok()) return s.error();

  CopyReport report;
  report.installation = ours->value_or("");
  auto copy = [&](const TableColumns& t, bool keep_existing) -> Status {
    std::int64_t written = 0;
    std::int64_t read = 0;
    Status s = (*source)->Read(t, [&](const Batch& batch) -> Status {
      read += static_cast<std::int64_t>(batch.size());
      Result<std::int64_t> n = (*target)->Write(t, batch, keep_existing);
      if (!n.ok()) return n.error();
      written += *n;
      return resilience::OkStatus();
    });
    report.rows[std::string(t.table)] = written;
    if (keep_existing) report.kept[std::string(t.table)] = read - written;
    return s;
  };
  for (const TableColumns& t : kRequestTables) {
    if (Status s = copy(t, false); !s.ok()) return s.error();
  }
  for (const TableColumns& t : kResilienceTables) {
    if (Status s = copy(t, true); !s.ok()) return s.error();
  }
  if (Status s = (*target)->Commit(); !s.ok()) return s.error();
  return report;
}

}  // namespace ohfp::store
