#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {
namespace {

template <class Map>
auto& Slot(Map& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
  return it->second;
}

// The record under `key`, or a fresh one.
template <class Map>
typename Map::mapped_type Read(const Map& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? typename Map::mapped_type{} : it->second;
}

// Hands `update` a copy of the record under `key` and stores it, with the next version, when
// `update` returns true. Returns the record under `key` afterwards.
template <class Map, class Record = typename Map::mapped_type>
Record Update(Map& map, std::string_view key, FunctionRef<bool(Record&)> update) {
  Record record = Read(map, key);
  if (!update(record)) return Read(map, key);
  Record& stored = Slot(map, key);
  record.version = stored.version + 1;
  stored = record;
  return stored;
}

}  // namespace

Result<BreakerRecord> InMemoryStateStore::ReadBreaker(std::string_view service) {
  std::lock_guard lock(mu_);
  return Read(breakers_, service);
}

Result<BreakerRecord> InMemoryStateStore::UpdateBreaker(std::string_view service,
                                                        FunctionRef<bool(BreakerRecord&)> update) {
  std::lock_guard lock(mu_);
  return Update(breakers_, service, update);
}

Result<std::vector<std::pair<std::string, BreakerRecord>>> InMemoryStateStore::ListBreakers() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, BreakerRecord>> out(breakers_.begin(), breakers_.end());
  return out;
}

Result<QuotaRecord> InMemoryStateStore::ReadQuota(std::string_view service) {
  std::lock_guard lock(mu_);
  return Read(quotas_, service);
}

Result<QuotaRecord> InMemoryStateStore::UpdateQuota(std::string_view service,
                                                    FunctionRef<bool(QuotaRecord&)> update) {
  std::lock_guard lock(mu_);
  return Update(quotas_, service, update);
}

Status InMemoryStateStore::UpdateLimiters(std::span<const std::string> keys,
                                          std::span<LimiterRecord> records,
                                          FunctionRef<bool(std::span<LimiterRecord>)> update) {
  if (keys.size() != records.size()) {
    return Error(ErrorKind::kInternal, "StoreMisuse", "UpdateLimiters: one record per key");
  }
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    records[i] = Read(limiters_, keys[i]);
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
