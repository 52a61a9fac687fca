#include "store/request_rules.h"

#include <algorithm>
#include <string>

namespace ohfp::store::internal {

bool ChecksCapacity(const NewAcquire& n) noexcept { return n.max_number >= 0 && !n.adopted; }

resilience::Status CheckCapacity(const NewAcquire& n, int held) {
  const int available = std::max(0, n.max_number - held);
  if (n.machine_count <= available) return resilience::OkStatus();
  return resilience::Error(resilience::ErrorKind::kValidation, "NotEnoughCapacity",
                           "template " + n.template_id + " has " + std::to_string(available) +
                               " machine(s) available (" + std::to_string(held) +
                               " held of maxNumber " + std::to_string(n.max_number) + "); " +
                               std::to_string(n.machine_count) + " requested");
}

model::AttemptState FirstAttemptState(const NewAcquire& n) noexcept {
  return n.adopted ? model::AttemptState::kSucceeded : model::AttemptState::kPrepared;
}

model::Request AcquiredRequest(const NewAcquire& n) {
  model::Request r;
  r.id = n.id;
  r.template_id = n.template_id;
  r.machine_count = n.machine_count;
  r.provider_api = n.provider_api;
  r.image_id = n.image_id;
  r.created_at = r.updated_at = n.now;
  if (n.adopted) r.polled_at = n.now;
  r.owner = n.owner;
  return r;
}

model::Request ReturnRequest(std::string_view id, int machine_count,
                             const model::ProcessIdentity& owner, model::Timestamp now) {
  model::Request r;
  r.id = std::string(id);
  r.kind = model::RequestKind::kReturn;
  r.machine_count = machine_count;
  r.created_at = r.updated_at = now;
  r.owner = owner;
  return r;
}

model::Attempt PreparedAttempt(std::string_view request_id, int number,
                               std::string_view client_token, model::Timestamp now) {
  return {std::string(request_id),
          number,
          std::string(client_token),
          model::AttemptState::kPrepared,
          "",
          now,
          now};
}

}  // namespace ohfp::store::internal
