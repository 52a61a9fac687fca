#include "ohfp/chaos_proxy/idempotency_cache.h"

#include <cassert>
#include <utility>

namespace ohfp::chaos_proxy {
namespace {

bool IsSuccess(int status) noexcept { return status >= 200 && status < 300; }

}  // namespace

IdempotencyCache::Ticket::Ticket(IdempotencyCache* cache, std::string key, std::string fingerprint,
                                 Verdict verdict, HttpResponse recorded)
    : cache_(cache),
      key_(std::move(key)),
      fingerprint_(std::move(fingerprint)),
      verdict_(verdict),
      recorded_(std::move(recorded)) {}

IdempotencyCache::Ticket::Ticket(Ticket&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      key_(std::move(other.key_)),
      fingerprint_(std::move(other.fingerprint_)),
      verdict_(other.verdict_),
      recorded_(std::move(other.recorded_)) {}

IdempotencyCache::Ticket::~Ticket() {
  if (cache_ != nullptr) cache_->Release(key_, fingerprint_, nullptr);
}

void IdempotencyCache::Ticket::Complete(const HttpResponse& response) {
  assert(verdict_ == Verdict::kExecute && cache_ != nullptr);
  if (cache_ == nullptr) return;
  std::exchange(cache_, nullptr)->Release(key_, fingerprint_, &response);
}

IdempotencyCache::Ticket IdempotencyCache::Acquire(std::string_view action, std::string_view token,
                                                   std::string fingerprint, std::stop_token stop) {
  // Length-prefixed so that no (action, token) pair can collide with another.
  std::string key = std::to_string(action.size()) + ":" + std::string(action) + std::string(token);
  std::unique_lock lock(mu_);
  const auto in_flight = [&] {
    const auto it = entries_.find(key);
    return it != entries_.end() && it->second.in_flight;
  };
  if (in_flight()) {
    ++waiting_;
    const bool free = cv_.wait(lock, stop, [&] { return !in_flight(); });
    --waiting_;
    if (!free)
      return Ticket(nullptr, std::move(key), std::move(fingerprint), Verdict::kCancelled, {});
  }
  Entry& entry = entries_[key];
  if (entry.recorded) {
    if (entry.fingerprint == fingerprint) {
      return Ticket(nullptr, std::move(key), std::move(fingerprint), Verdict::kReplay,
                    entry.response);
    }
    return Ticket(nullptr, std::move(key), std::move(fingerprint), Verdict::kMismatch, {});
  }
  entry.in_flight = true;
  return Ticket(this, std::move(key), std::move(fingerprint), Verdict::kExecute, {});
}

void IdempotencyCache::Release(const std::string& key, const std::string& fingerprint,
                               const HttpResponse* response) {
  {
    std::lock_guard lock(mu_);
    const auto it = entries_.find(key);
    assert(it != entries_.end() && it->second.in_flight);
    if (it == entries_.end()) return;
    it->second.in_flight = false;
    if (response != nullptr && IsSuccess(response->status)) {
      it->second.recorded = true;
      it->second.fingerprint = fingerprint;
      it->second.response = *response;
      recorded_order_.push_back(key);
      while (recorded_order_.size() > capacity_) {
        const auto oldest = entries_.find(recorded_order_.front());
        if (oldest != entries_.end() && !oldest->second.in_flight) entries_.erase(oldest);
        recorded_order_.pop_front();
      }
    } else if (!it->second.recorded) {
      entries_.erase(it);
    }
  }
  cv_.notify_all();
}

void IdempotencyCache::Clear() {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [](const auto& item) { return !item.second.in_flight; });
  recorded_order_.clear();
}

std::size_t IdempotencyCache::size() const {
  std::lock_guard lock(mu_);
  std::size_t count = 0;
  for (const auto& [key, entry] : entries_) count += entry.recorded ? 1 : 0;
  return count;
}

std::size_t IdempotencyCache::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace ohfp::chaos_proxy
