// The operators' listings of PgRequestStore (ListRequests, ListMachines: `ohfp serve`, and
// getReturnRequests without a list): filters, newest first, one page and the total, read in one
// snapshot so that the two agree, as SQLite's (sqlite_rows.h, CountAndPage).
#include <algorithm>
#include <functional>
#include <string>

#include "store/pg_request_store.h"
#include "store/pg_rows.h"
#include "store/request_rules.h"
#include "store/tables.h"

namespace ohfp::store {
namespace {

using resilience::Deadline;
using resilience::Result;
using resilience::Status;

// "WHERE <column> <op> $n AND ..." with its parameters.
class PgFilter {
 public:
  template <class T>
  void Add(std::string_view column, std::string_view op, T value) {
    params_.Add(value);
    where_ += (where_.empty() ? " WHERE " : " AND ") + std::string(column) + " " + std::string(op) +
              " $" + std::to_string(params_.size());
  }
  const std::string& where() const noexcept { return where_; }
  const PgParams& params() const noexcept { return params_; }

 private:
  std::string where_;
  PgParams params_;
};

// In one REPEATABLE READ, READ ONLY transaction: the count of `filter`'s rows of `table`, and
// (when `limit` > 0) the page of them in `order`, each row passed to `row`. Returns the count.
// A negative offset counts as 0.
Result<int> CountAndPage(PgPool& pool, std::string_view table, std::string_view columns,
                         const PgFilter& filter, std::string_view order, int limit, int offset,
                         const std::function<void(const PgResult&, int)>& row) {
  return pool.Transact([&](PgConnection& c, Deadline d) -> Result<int> {
    if (Result<PgResult> r =
            c.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", d);
        !r.ok()) {
      return r.error();
    }
    Result<PgResult> count =
        c.Exec("SELECT COUNT(*) FROM " + std::string(table) + filter.where(), filter.params(), d);
    if (!count.ok()) return count.error();
    if (limit > 0) {
      PgParams params = filter.params();
      params.Add(limit).Add(std::max(offset, 0));
      const std::string n = std::to_string(params.size());
      Result<PgResult> page =
          c.Exec("SELECT " + std::string(columns) + " FROM " + std::string(table) + filter.where() +
                     " ORDER BY " + std::string(order) + " LIMIT $" +
                     std::to_string(params.size() - 1) + " OFFSET $" + n,
                 params, d);
      if (!page.ok()) return page.error();
      for (int i = 0; i < page->rows(); ++i) row(*page, i);
    }
    return static_cast<int>(count->Int(0, 0));
  });
}

}  // namespace

Result<RequestPage> PgRequestStore::ListRequests(const RequestQuery& query) {
  PgFilter filter;
  internal::AddFilters(filter, query);
  RequestPage page;
  // Ties by id as SQLite compares text: byte by byte (COLLATE "C"), whatever the database's locale.
  Result<int> total = CountAndPage(
      *pool_, "requests", kRequestColumns, filter, "created_at DESC, id COLLATE \"C\" DESC",
      query.limit, query.offset,
      [&](const PgResult& r, int i) { page.requests.push_back(internal::ReadPgRequest(r, i)); });
  if (!total.ok()) return total.error();
  page.total = *total;
  return page;
}

Result<MachinePage> PgRequestStore::ListMachines(const MachineQuery& query) {
  PgFilter filter;
  internal::AddFilters(filter, query);
  MachinePage page;
  Result<int> total = CountAndPage(
      *pool_, "machines", kMachineColumns, filter,
      "created_at DESC, instance_id COLLATE \"C\" DESC", query.limit, query.offset,
      [&](const PgResult& r, int i) { page.machines.push_back(internal::ReadPgMachine(r, i)); });
  if (!total.ok()) return total.error();
  page.total = *total;
  return page;
}

}  // namespace ohfp::store
