#include "model/installation.h"

#include "model/names.h"

namespace ohfp::model {

namespace {

constexpr internal::NameTable<StoreStanding, 4> kStandings = {
    {{StoreStanding::kEstablished, "established"},
     {StoreStanding::kNew, "new"},
     {StoreStanding::kLost, "lost"},
     {StoreStanding::kForeign, "foreign"}}};

}  // namespace

std::string_view StoreStandingName(StoreStanding standing) noexcept {
  return internal::NameOf(kStandings, standing, "new");
}

StoreStanding JudgeStore(const std::optional<std::string>& store_id,
                         const std::optional<std::string>& marker_id) {
  if (store_id) {
    if (marker_id && *marker_id != *store_id) return StoreStanding::kForeign;
    return StoreStanding::kEstablished;
  }
  return marker_id ? StoreStanding::kLost : StoreStanding::kNew;
}

}  // namespace ohfp::model
