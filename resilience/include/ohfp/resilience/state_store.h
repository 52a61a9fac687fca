// ohfp/resilience/state_store.h
//
// StateStore: where circuit breaker, retry-quota and rate-limiter state lives, so that it can
// outlive a process and be shared. HostFactory starts a new process for every call; a breaker kept
// in process memory (the seed's class-level dictionary) would reset every time. The library ships
// InMemoryStateStore (one process); the plugin adds a SQLite store (processes on one host) and can
// add a networked one (several hosts).
//
// The contract that makes sharing safe: Update*() is an atomic read-modify-write of one service's
// record (UpdateLimiters: of several buckets' records at once, all or none). The store reads the
// current record (a fresh one if none exists), calls `update`, and writes the record back only if
// `update` returned true, incrementing `version`; concurrent updates from any thread or process are
// serialized. `update` may be called more than once (optimistic stores retry on conflict), so it
// must depend only on the record it is given, and must not call back into the store.
//
// Thread-safety: implementations must be safe to use from any thread.
//
// Example:
//   InMemoryStateStore store;
//   Result<BreakerRecord> r = store.UpdateBreaker("aws_ec2", [](BreakerRecord& rec) {
//     ++rec.failure_count;
//     return true;
//   });
#pragma once

#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/function_ref.h"
#include "ohfp/resilience/result.h"
#include "ohfp/resilience/token_bucket.h"

namespace ohfp::resilience {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // True when records can change behind this process's back (another process or host shares them).
  // Users of a shared store re-read the record before every decision; users of a private store may
  // cache what they wrote.
  virtual bool shared() const noexcept = 0;

  virtual Result<BreakerRecord> ReadBreaker(std::string_view service) = 0;
  virtual Result<BreakerRecord> UpdateBreaker(std::string_view service,
                                              FunctionRef<bool(BreakerRecord&)> update) = 0;
  // Every breaker record the store holds, by service name.
  virtual Result<std::vector<std::pair<std::string, BreakerRecord>>> ListBreakers() = 0;

  virtual Result<QuotaRecord> ReadQuota(std::string_view service) = 0;
  virtual Result<QuotaRecord> UpdateQuota(std::string_view service,
                                          FunctionRef<bool(QuotaRecord&)> update) = 0;

  // Rate-limiter buckets, by key: one update covers every bucket a request spends from. `records`
  // has one element per key (keys are distinct); the store fills it with the current records (a
  // fresh LimiterRecord where there is none), calls `update`, and if it returned true writes every
  // record back, each with its version incremented; `records` then holds what is stored. If it
  // returned false nothing is written.
  virtual Status UpdateLimiters(std::span<const std::string> keys, std::span<LimiterRecord> records,
                                FunctionRef<bool(std::span<LimiterRecord>)> update) = 0;
};

// Records in this process's memory. Not shared: one store serves one CircuitBreakerRegistry.
class InMemoryStateStore final : public StateStore {
 public:
  bool shared() const noexcept override { return false; }
  Result<BreakerRecord> ReadBreaker(std::string_view service) override;
  Result<BreakerRecord> UpdateBreaker(std::string_view service,
                                      FunctionRef<bool(BreakerRecord&)> update) override;
  Result<std::vector<std::pair<std::string, BreakerRecord>>> ListBreakers() override;
  Result<QuotaRecord> ReadQuota(std::string_view service) override;
  Result<QuotaRecord> UpdateQuota(std::string_view service,
                                  FunctionRef<bool(QuotaRecord&)> update) override;
  Status UpdateLimiters(std::span<const std::string> keys, std::span<LimiterRecord> records,
                        FunctionRef<bool(std::span<LimiterRecord>)> update) override;

 private:
  std::mutex mu_;
  std::map<std::string, BreakerRecord, std::less<>> breakers_;
  std::map<std::string, QuotaRecord, std::less<>> quotas_;
  std::map<std::string, LimiterRecord, std::less<>> limiters_;
};

}  // namespace ohfp::resilience
