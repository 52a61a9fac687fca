// serve/store_pool.h
//
// StorePool: RequestStore connections for the threads of `ohfp serve`. A RequestStore is one
// connection used by one thread at a time; the HTTP server answers on several threads, so each
// answer borrows a store for the duration of its reads and gives it back. Stores are opened by a
// factory (for SQLite: read-only connections, so serve can never write the commands' records nor
// hold their write lock), lazily, at most one per concurrent borrower; idle ones are kept.
//
// Thread-safety: Acquire() is safe from any thread; its mutex guards only the idle list and is
// never held while a store is opened or used. A Lease is used by the thread that holds it.
//
// Example:
//   StorePool pool([&] { return OpenReadOnly(db); });
//   Result<StorePool::Lease> store = pool.Acquire();
//   if (!store.ok()) return store.error();
//   auto page = (*store)->ListRequests({.limit = 20});
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/request_store.h"

namespace ohfp::serve {

using StoreFactory = std::function<resilience::Result<std::unique_ptr<store::RequestStore>>()>;

class StorePool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    store::RequestStore* operator->() const noexcept { return store_.get(); }
    store::RequestStore& operator*() const noexcept { return *store_; }

   private:
    friend class StorePool;
    Lease(StorePool& pool, std::unique_ptr<store::RequestStore> store)
        : pool_(&pool), store_(std::move(store)) {}
    StorePool* pool_;
    std::unique_ptr<store::RequestStore> store_;
  };

  explicit StorePool(StoreFactory factory) : factory_(std::move(factory)) {}
  StorePool(const StorePool&) = delete;
  StorePool& operator=(const StorePool&) = delete;

  // An idle store, or a new one from the factory (its error when it cannot open one).
  [[nodiscard]] resilience::Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<store::RequestStore> store) noexcept;

  const StoreFactory factory_;
  std::mutex mu_;  // guards idle_ only
  std::vector<std::unique_ptr<store::RequestStore>> idle_;
};

}  // namespace ohfp::serve
