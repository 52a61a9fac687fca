// ohfp/resilience/circuit_breaker_registry.h
//
// CircuitBreakerRegistry: one CircuitBreaker per service name, shared by every user of that name.
// It replaces the seed's class-level dictionary (static mutable state) with an object the caller
// owns and passes around.
//
// Thread-safety: all methods are safe from any thread; breakers are never destroyed before the
// registry.
//
// Example:
//   CircuitBreakerRegistry registry(store, clock, &observer, &monitor);
//   CircuitBreaker& ec2 = registry.Get("aws_ec2", {.failure_threshold = 3, .reset_timeout = 30s});
//   CircuitBreaker& again = registry.Get("aws_ec2");   // the same breaker; its first options stay
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/circuit_breaker.h"

namespace ohfp::resilience {

class CircuitBreakerRegistry {
 public:
  // `observer` and `monitor` may be null; everything passed must outlive the registry.
  CircuitBreakerRegistry(StateStore& store, Clock& clock, ResilienceObserver* observer = nullptr,
                         ResilienceMonitor* monitor = nullptr);
  CircuitBreakerRegistry(const CircuitBreakerRegistry&) = delete;
  CircuitBreakerRegistry& operator=(const CircuitBreakerRegistry&) = delete;

  // The breaker for `service`, created with `options` on first use. Later calls return the same
  // breaker; their options are ignored (the first configuration wins, as the seed's shared
  // state_info does).
  CircuitBreaker& Get(std::string_view service, const CircuitBreakerOptions& options = {});
  // The breaker for `service` if one was created, else null.
  CircuitBreaker* Find(std::string_view service) const;
  std::vector<std::string> Services() const;

  StateStore& store() const noexcept { return store_; }

 private:
  StateStore& store_;
  Clock& clock_;
  ResilienceObserver* observer_;
  ResilienceMonitor* monitor_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers_;
};

}  // namespace ohfp::resilience
