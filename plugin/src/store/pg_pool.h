// store/pg_pool.h
//
// PgPool: the PostgreSQL connections of one process, shared by its request store and its
// resilience state store (one connection in the usual single-threaded command; one more per
// thread that needs one at the same moment), and the way every store call runs:
//
//   Run(body)       body(connection, deadline) on a leased connection: one or more statements
//                   outside a transaction (each its own);
//   Transact(body)  BEGIN; body(connection, deadline); COMMIT, again from the start when the
//                   server reports a serialization failure or deadlock (at most kMaxAttempts
//                   times, within the deadline); ROLLBACK when the body fails.
//
// Durability: ohfp's sessions commit with synchronous_commit off (the commit returns before the
// server has flushed it: a crash of the server, not a restart, may lose the last fraction of a
// second of commits, never consistency; what SQLite's synchronous=NORMAL gives the embedded store).
// That costs nothing on the many writes a command makes that the next command would redo anyway
// (machine states, counters, breaker records). The writes that must be on disk before AWS is
// called — a request and its attempt's ClientToken, a return request, the installation's
// identity — run Transact(body, Durability::kFlushed), which waits for the flush.
//
// Every call gets a deadline: now + store.timeout_ms, or the command's deadline when that comes
// first (SetCommandDeadline). A connection that breaks (lost, timed out) is dropped when its lease
// ends; the next call opens a new one. When opening one fails, calls in the next second fail at
// once with the same error instead of each waiting for the server again: a command whose database
// went away ends quickly, with its error, and the next command tries afresh.
//
// Thread-safety: safe from any thread. The pool's mutex guards its lists only; it is never held
// while talking to the server.
//
// Example:
//   Result<std::shared_ptr<PgPool>> pool = PgPool::Open(settings, clock);
//   Result<int> n = (*pool)->Transact([&](PgConnection& c, Deadline d) -> Result<int> {
//     Result<PgResult> r = c.Exec("UPDATE t SET v = v + 1 WHERE k = $1", PgParams().Add("a"), d);
//     if (!r.ok()) return r.error();
//     return static_cast<int>(r->affected());
//   });
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/result.h"
#include "store/pg_connection.h"
#include "store/pg_error.h"

namespace ohfp::store {

enum class Durability : std::uint8_t { kRelaxed, kFlushed };

class PgPool {
 public:
  // Loads libpq and opens the first connection.
  [[nodiscard]] static resilience::Result<std::shared_ptr<PgPool>> Open(
      const PgSettings& settings, const resilience::Clock& clock);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  static constexpr int kMaxAttempts = 5;

  // A connection lent to one caller; back to the pool (or closed, when broken) on destruction.
  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_ != nullptr) pool_->Release(std::move(connection_));
    }
    PgConnection& operator*() const noexcept { return *connection_; }
    PgConnection* operator->() const noexcept { return connection_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> connection_;
  };

  [[nodiscard]] resilience::Result<Lease> Acquire(resilience::Deadline deadline);

  // The deadline of a call starting now.
  resilience::Deadline CallDeadline() const;
  // Calls end by `deadline` at the latest (the command's deadline).
  void SetCommandDeadline(resilience::Deadline deadline);

  // body(PgConnection&, Deadline) -> Result<T> or Status.
  template <class F>
  auto Run(F&& body) -> std::invoke_result_t<F, PgConnection&, resilience::Deadline> {
    const resilience::Deadline deadline = CallDeadline();
    resilience::Result<Lease> lease = Acquire(deadline);
    if (!lease.ok()) return lease.error();
    return body(**lease, deadline);
  }

  template <class F>
  auto Transact(F&& body, Durability durability = Durability::kRelaxed)
      -> std::invoke_result_t<F, PgConnection&, resilience::Deadline> {
    const resilience::Deadline deadline = CallDeadline();
    for (int attempt = 1;; ++attempt) {
      resilience::Result<Lease> lease = Acquire(deadline);
      if (!lease.ok()) return lease.error();
      PgConnection& c = **lease;
      auto result = [&]() -> std::invoke_result_t<F, PgConnection&, resilience::Deadline> {
        if (resilience::Status s = Begin(c, durability, deadline); !s.ok()) return s.error();
        auto r = body(c, deadline);
        if (!r.ok()) return r;
        if (resilience::Status s = Commit(c, deadline); !s.ok()) return s.error();
        return r;
      }();
      if (result.ok()) return result;
      Rollback(c, deadline);
      if (!IsPgConflict(result.error()) || attempt == kMaxAttempts ||
          deadline.Expired(clock_.Now())) {
        return result;
      }
    }
  }

  const PgSettings& settings() const noexcept { return settings_; }
  const std::string& where() const noexcept { return where_; }
  const resilience::Clock& clock() const noexcept { return clock_; }
  // Connections opened so far (tests).
  int opened() const;

 private:
  PgPool(PgSettings settings, const resilience::Clock& clock, std::shared_ptr<const PgLibrary> lib);
  void Release(std::unique_ptr<PgConnection> connection) noexcept;
  static resilience::Status Begin(PgConnection& c, Durability durability,
                                  resilience::Deadline deadline);
  static resilience::Status Commit(PgConnection& c, resilience::Deadline deadline);
  static void Rollback(PgConnection& c, resilience::Deadline deadline) noexcept;

  const PgSettings settings_;
  const resilience::Clock& clock_;
  const std::shared_ptr<const PgLibrary> lib_;
  const std::string where_;
  mutable std::mutex mu_;  // guards the members below
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::optional<resilience::Deadline> command_deadline_;
  std::optional<resilience::Error> connect_failure_;
  resilience::MonoTime connect_failed_at_{};
  int opened_ = 0;
};

}  // namespace ohfp::store
