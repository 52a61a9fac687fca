#include "store/pg_pool.h"

#include "base/connection_url.h"
#include "store/pg_library.h"

namespace ohfp::store {
namespace {

using resilience::Deadline;
using resilience::Result;
using resilience::Status;

// Idle connections kept for reuse; more than this (after a burst of threads) are closed.
constexpr std::size_t kMaxIdle = 8;
// After a failed connect, further calls fail at once for this long.
constexpr std::chrono::seconds kReconnectPause{1};

}  // namespace

Result<std::shared_ptr<PgPool>> PgPool::Open(const PgSettings& settings,
                                             const resilience::Clock& clock) {
  Result<std::shared_ptr<const PgLibrary>> lib = PgLibrary::Load();
  if (!lib.ok()) return lib.error();
  std::shared_ptr<PgPool> pool(new PgPool(settings, clock, *lib));
  Result<Lease> first = pool->Acquire(pool->CallDeadline());
  if (!first.ok()) return first.error();
  return pool;
}

PgPool::PgPool(PgSettings settings, const resilience::Clock& clock,
               std::shared_ptr<const PgLibrary> lib)
    : settings_(std::move(settings)),
      clock_(clock),
      lib_(std::move(lib)),
      where_(base::RedactConnectionUrl(settings_.url)) {
  idle_.reserve(kMaxIdle);  // so that Release() never allocates
}

PgPool::~PgPool() = default;

Deadline PgPool::CallDeadline() const {
  const Deadline own = Deadline::After(clock_.Now(), settings_.timeout);
  std::lock_guard lock(mu_);
  return command_deadline_ ? own.Min(*command_deadline_) : own;
}

void PgPool::SetCommandDeadline(Deadline deadline) {
  std::lock_guard lock(mu_);
  command_deadline_ = deadline;
}

int PgPool::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

Result<PgPool::Lease> PgPool::Acquire(Deadline deadline) {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
    if (connect_failure_ && clock_.Now() - connect_failed_at_ < kReconnectPause) {
      return *connect_failure_;
    }
  }
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(lib_, settings_, clock_, deadline);
  std::lock_guard lock(mu_);
  if (!c.ok()) {
    connect_failure_ = c.error();
    connect_failed_at_ = clock_.Now();
    return c.error();
  }
  connect_failure_.reset();
  ++opened_;
  return Lease(*this, std::move(*c));
}

void PgPool::Release(std::unique_ptr<PgConnection> connection) noexcept {
  // A broken connection, or one left inside a transaction (which Transact never does), is closed.
  if (connection->broken() || connection->in_transaction()) return;
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  connection.reset();  // closes the surplus connection, outside the lock
}

Status PgPool::Begin(PgConnection& c, Durability durability, Deadline deadline) {
  if (durability == Durability::kFlushed) {
    return c.ExecuteScript("BEGIN; SET LOCAL synchronous_commit TO on", deadline);
  }
  Result<PgResult> r = c.Exec("BEGIN", deadline);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

Status PgPool::Commit(PgConnection& c, Deadline deadline) {
  Result<PgResult> r = c.Exec("COMMIT", deadline);
  if (!r.ok()) return r.error();
  return resilience::OkStatus();
}

void PgPool::Rollback(PgConnection& c, Deadline deadline) noexcept {
  if (c.broken() || !c.in_transaction()) return;
  (void)c.Exec("ROLLBACK", deadline);
}

}  // namespace ohfp::store
