#include "model/request.h"

#include "model/names.h"

namespace ohfp::model {
namespace {

using internal::NameOf;
using internal::NameTable;
using internal::ValueOf;

constexpr NameTable<RequestKind, 2> kKinds = {
    {{RequestKind::kAcquire, "acquire"}, {RequestKind::kReturn, "return"}}};
constexpr NameTable<RequestState, 3> kStates = {
    {{RequestState::kRunning, "running"},
     {RequestState::kComplete, "complete"},
     {RequestState::kCompleteWithError, "complete_with_error"}}};
constexpr NameTable<AttemptState, 3> kAttemptStates = {{{AttemptState::kPrepared, "prepared"},
                                                        {AttemptState::kSucceeded, "succeeded"},
                                                        {AttemptState::kFailed, "failed"}}};

}  // namespace

std::string_view RequestKindName(RequestKind kind) noexcept {
  return NameOf(kKinds, kind, "acquire");
}
std::string_view RequestStateName(RequestState state) noexcept {
  return NameOf(kStates, state, "running");
}
std::string_view AttemptStateName(AttemptState state) noexcept {
  return NameOf(kAttemptStates, state, "prepared");
}
std::optional<RequestKind> RequestKindFromName(std::string_view name) noexcept {
  return ValueOf(kKinds, name);
}
std::optional<RequestState> RequestStateFromName(std::string_view name) noexcept {
  return ValueOf(kStates, name);
}
std::optional<AttemptState> AttemptStateFromName(std::string_view name) noexcept {
  return ValueOf(kAttemptStates, name);
}

std::string ClientTokenFor(std::string_view request_id, int attempt) {
  return std::string(request_id) + "-" + std::to_string(attempt);
}

}  // namespace ohfp::model
