#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {
namespace {

template <class Map>
auto& Slot(Map& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
  return it->second;
}

}  // namespace

Result<BreakerRecord> InMemoryStateStore::ReadBreaker(std::string_view service) {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(service);
  return it == breakers_.end() ? BreakerRecord{} : it->second;
}

Result<BreakerRecord> InMemoryStateStore::UpdateBreaker(std::string_view service,
                                                        FunctionRef<bool(BreakerRecord&)> update) {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(service);
  BreakerRecord record = it == breakers_.end() ? BreakerRecord{} : it->second;
  if (!update(record)) return it == breakers_.end() ? BreakerRecord{} : it->second;
  BreakerRecord& stored = Slot(breakers_, service);
  record.version = stored.version + 1;
  stored = record;
  return stored;
}

Result<std::vector<std::pair<std::string, BreakerRecord>>> InMemoryStateStore::ListBreakers() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, BreakerRecord>> out(breakers_.begin(), breakers_.end());
  return out;
}

Result<QuotaRecord> InMemoryStateStore::ReadQuota(std::string_view service) {
  std::lock_guard lock(mu_);
  auto it = quotas_.find(service);
  return it == quotas_.end() ? QuotaRecord{} : it->second;
}

Result<QuotaRecord> InMemoryStateStore::UpdateQuota(std::string_view service,
                                                    FunctionRef<bool(QuotaRecord&)> update) {
  std::lock_guard lock(mu_);
  auto it = quotas_.find(service);
  QuotaRecord record = it == quotas_.end() ? QuotaRecord{} : it->second;
  if (!update(record)) return it == quotas_.end() ? QuotaRecord{} : it->second;
  QuotaRecord& stored = Slot(quotas_, service);
  record.version = stored.version + 1;
  stored = record;
  return stored;
}

Status InMemoryStateStore::UpdateLimiters(std::span<const std::string> keys,
                                          std::span<LimiterRecord> records,
                                          FunctionRef<bool(std::span<LimiterRecord>)> update) {
  if (keys.size() != records.size()) {
    return Error(ErrorKind::kInternal, "StoreMisuse", "UpdateLimiters: one record per key");
  }
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto it = limiters_.find(keys[i]);
    records[i] = it == limiters_.end() ? LimiterRecord{} : it->second;
  }
  if (!update(records)) return OkStatus();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    LimiterRecord& stored = Slot(limiters_, keys[i]);
    records[i].version = stored.version + 1;
    stored = records[i];
  }
  return OkStatus();
}

}  // namespace ohfp::resilience
