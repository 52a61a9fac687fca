// store/request_rules.h
//
// What both RequestStore backends (SqliteRequestStore, PgRequestStore) decide and build alike,
// above their SQL: whether a new acquire request fits under its template's maxNumber and what the
// refusal says, the records CreateAcquire, CreateReturn and AddAttempt return, and the filters of
// the operators' listings (ListRequests, ListMachines) as column comparisons. Each backend keeps
// its own SQL and its own way of making these steps atomic (store/request_store.h). Private to
// the store.
//
// Thread-safety: stateless functions.
//
// Example:
//   if (ChecksCapacity(n)) {
//     Result<int> held = HeldIn(db, n.template_id);        // the backend's query, under its lock
//     if (Status s = CheckCapacity(n, *held); !s.ok()) return s.error();
//   }
//   ...
//   return AcquiredRequest(n);
#pragma once

#include <string_view>

#include "model/request.h"
#include "ohfp/resilience/result.h"
#include "store/request_store.h"

namespace ohfp::store::internal {

// True when CreateAcquire checks maxNumber for `n`: the template has one, and the request is not
// adopted (adopted machines exist already).
bool ChecksCapacity(const NewAcquire& n) noexcept;
// OK when `n`'s machines fit under its template's maxNumber while `held` machines are held; else
// kValidation "NotEnoughCapacity", naming what is available, held and requested.
resilience::Status CheckCapacity(const NewAcquire& n, int held);

// The state of a new acquire request's first attempt: succeeded when adopted, else prepared.
model::AttemptState FirstAttemptState(const NewAcquire& n) noexcept;
// The request CreateAcquire saved for `n`, as it returns it.
model::Request AcquiredRequest(const NewAcquire& n);
// The return request CreateReturn saved, as it returns it.
model::Request ReturnRequest(std::string_view id, int machine_count,
                             const model::ProcessIdentity& owner, model::Timestamp now);
// The attempt AddAttempt saved, as it returns it.
model::Attempt PreparedAttempt(std::string_view request_id, int number,
                               std::string_view client_token, model::Timestamp now);

// Adds `query`'s filters to `filter`, each as filter.Add(column, operator, value).
template <class Filter>
void AddFilters(Filter& filter, const RequestQuery& query) {
  if (query.kind) filter.Add("kind", "=", model::RequestKindName(*query.kind));
  if (query.state) filter.Add("state", "=", model::RequestStateName(*query.state));
  if (!query.template_id.empty()) filter.Add("template_id", "=", query.template_id);
  if (query.created_from) filter.Add("created_at", ">=", model::EpochMillis(*query.created_from));
  if (query.created_until) filter.Add("created_at", "<", model::EpochMillis(*query.created_until));
}
template <class Filter>
void AddFilters(Filter& filter, const MachineQuery& query) {
  if (query.result) filter.Add("result", "=", model::MachineResultName(*query.result));
  if (!query.template_id.empty()) filter.Add("template_id", "=", query.template_id);
}

}  // namespace ohfp::store::internal
