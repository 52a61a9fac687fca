// ohfp/resilience/testing/flaky_store.h
//
// FlakyStore: wraps a StateStore; can fail every call on demand, and can claim to be shared (so the
// code under test takes its shared-store paths while the records stay in memory). Two breakers over
// one FlakyStore that claims to be shared behave like two processes over one database.
//
// Thread-safety: as the wrapped store; the switches are atomics.
//
// Example:
//   InMemoryStateStore memory;
//   FlakyStore store(memory, /*shared=*/true);
//   store.set_failing(true);   // every call now returns kInternal
#pragma once

#include <atomic>

#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience::testing {

class FlakyStore final : public StateStore {
 public:
  FlakyStore(StateStore& inner, bool shared) : inner_(inner), shared_(shared) {}

  void set_failing(bool failing) { failing_.store(failing); }
  int calls() const { return calls_.load(); }

  bool shared() const noexcept override { return shared_; }
  Result<BreakerRecord> ReadBreaker(std::string_view service) override {
    if (Fail()) return Down();
    return inner_.ReadBreaker(service);
  }
  Result<BreakerRecord> UpdateBreaker(std::string_view service,
                                      FunctionRef<bool(BreakerRecord&)> update) override {
    if (Fail()) return Down();
    return inner_.UpdateBreaker(service, update);
  }
  Result<std::vector<std::pair<std::string, BreakerRecord>>> ListBreakers() override {
    if (Fail()) return Down();
    return inner_.ListBreakers();
  }
  Result<QuotaRecord> ReadQuota(std::string_view service) override {
    if (Fail()) return Down();
    return inner_.ReadQuota(service);
  }
  Result<QuotaRecord> UpdateQuota(std::string_view service,
                                  FunctionRef<bool(QuotaRecord&)> update) override {
    if (Fail()) return Down();
    return inner_.UpdateQuota(service, update);
  }
  Status UpdateLimiters(std::span<const std::string> keys, std::span<LimiterRecord> records,
                        FunctionRef<bool(std::span<LimiterRecord>)> update) override {
    if (Fail()) return Down();
    return inner_.UpdateLimiters(keys, records, update);
  }

 private:
  bool Fail() {
    calls_.fetch_add(1);
    return failing_.load();
  }
  static Error Down() {
    return Error(ErrorKind::kInternal, "StoreUnavailable", "the state store is down");
  }

  StateStore& inner_;
  bool shared_;
  std::atomic<bool> failing_{false};
  std::atomic<int> calls_{0};
};

}  // namespace ohfp::resilience::testing
