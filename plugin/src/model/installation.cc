#include "model/installation.h"

namespace ohfp::model {

std::string_view StoreStandingName(StoreStanding standing) noexcept {
  switch (standing) {
    case StoreStanding::kEstablished:
      return "established";
    case StoreStanding::kNew:
      return "new";
    case StoreStanding::kLost:
      return "lost";
    case StoreStanding::kForeign:
      return "foreign";
  }
  return "new";
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
