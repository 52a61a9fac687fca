#include "serve/store_pool.h"

namespace ohfp::serve {

StorePool::Lease::~Lease() {
  if (store_) pool_->Release(std::move(store_));
}

resilience::Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<store::RequestStore> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(store));
    }
  }
  resilience::Result<std::unique_ptr<store::RequestStore>> opened = factory_();
  if (!opened.ok()) return opened.error();
  return Lease(*this, std::move(*opened));
}

void StorePool::Release(std::unique_ptr<store::RequestStore> store) noexcept {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(store));
}

}  // namespace ohfp::serve
