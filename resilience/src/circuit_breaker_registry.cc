#include "ohfp/resilience/circuit_breaker_registry.h"

namespace ohfp::resilience {

CircuitBreakerRegistry::CircuitBreakerRegistry(StateStore& store, Clock& clock,
                                               ResilienceObserver* observer,
                                               ResilienceMonitor* monitor)
    : store_(store), clock_(clock), observer_(observer), monitor_(monitor) {}

CircuitBreaker& CircuitBreakerRegistry::Get(std::string_view service,
                                            const CircuitBreakerOptions& options) {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(service);
  if (it == breakers_.end()) {
    ServiceCounters* counters = monitor_ != nullptr ? &monitor_->Service(service) : nullptr;
    auto breaker = std::make_unique<CircuitBreaker>(std::string(service), options, store_, clock_,
                                                    observer_, counters);
    it = breakers_.emplace(std::string(service), std::move(breaker)).first;
  }
  return *it->second;
}

CircuitBreaker* CircuitBreakerRegistry::Find(std::string_view service) const {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(service);
  return it == breakers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> CircuitBreakerRegistry::Services() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(breakers_.size());
  for (const auto& entry : breakers_) out.push_back(entry.first);
  return out;
}

}  // namespace ohfp::resilience
