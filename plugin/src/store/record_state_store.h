// store/record_state_store.h
//
// RecordStateStore<Backend>: what both backends' resilience StateStore (SqliteStateStore,
// PgStateStore) do alike, written once: each is shared by every process that opens it
// (shared() is true), and a breaker and a retry quota are each one record, read with the backend's
// Read<Record>(service) and changed with its Update<Record>(service, update), the atomic
// read-modify-write store/sqlite_state_store.h and store/pg_state_store.h describe. The backend
// (the class deriving from RecordStateStore<itself>) implements those two templates, for
// BreakerRecord and QuotaRecord, and the rest of the interface (ListBreakers, UpdateLimiters).
//
// Thread-safety: as the backend's Read and Update (both backends: any thread).
//
// Example:
//   class SqliteStateStore final : public RecordStateStore<SqliteStateStore> {
//     friend class RecordStateStore<SqliteStateStore>;
//     template <class Record>
//     resilience::Result<Record> Read(std::string_view service);
//     template <class Record>
//     resilience::Result<Record> Update(std::string_view service,
//                                       resilience::FunctionRef<bool(Record&)> update);
//     ...
//   };
//   extern template class RecordStateStore<SqliteStateStore>;   // in sqlite_state_store.h
//   template class RecordStateStore<SqliteStateStore>;          // in sqlite_state_store.cc
#pragma once

#include <string_view>

#include "ohfp/resilience/state_store.h"

namespace ohfp::store {

template <class Backend>
class RecordStateStore : public resilience::StateStore {
 public:
  bool shared() const noexcept final { return true; }

  resilience::Result<resilience::BreakerRecord> ReadBreaker(std::string_view service) final;
  resilience::Result<resilience::QuotaRecord> ReadQuota(std::string_view service) final;
  resilience::Result<resilience::BreakerRecord> UpdateBreaker(
      std::string_view service,
      resilience::FunctionRef<bool(resilience::BreakerRecord&)> update) final;
  resilience::Result<resilience::QuotaRecord> UpdateQuota(
      std::string_view service,
      resilience::FunctionRef<bool(resilience::QuotaRecord&)> update) final;

 private:
  Backend& backend() noexcept { return static_cast<Backend&>(*this); }
};

// Instantiated once, in the backend's .cc (`template class RecordStateStore<Backend>;`), where its
// Read and Update are defined; the backend's header declares `extern template class`.
template <class Backend>
resilience::Result<resilience::BreakerRecord> RecordStateStore<Backend>::ReadBreaker(
    std::string_view service) {
  return backend().template Read<resilience::BreakerRecord>(service);
}
template <class Backend>
resilience::Result<resilience::QuotaRecord> RecordStateStore<Backend>::ReadQuota(
    std::string_view service) {
  return backend().template Read<resilience::QuotaRecord>(service);
}
template <class Backend>
resilience::Result<resilience::BreakerRecord> RecordStateStore<Backend>::UpdateBreaker(
    std::string_view service, resilience::FunctionRef<bool(resilience::BreakerRecord&)> update) {
  return backend().template Update<resilience::BreakerRecord>(service, update);
}
template <class Backend>
resilience::Result<resilience::QuotaRecord> RecordStateStore<Backend>::UpdateQuota(
    std::string_view service, resilience::FunctionRef<bool(resilience::QuotaRecord&)> update) {
  return backend().template Update<resilience::QuotaRecord>(service, update);
}

}  // namespace ohfp::store
