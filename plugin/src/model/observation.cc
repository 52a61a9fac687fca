#include "model/observation.h"

namespace ohfp::model {

const Instance* Observation::Find(std::string_view instance_id) const {
  for (const Instance& i : instances) {
    if (i.id == instance_id) return &i;
  }
  return nullptr;
}

}  // namespace ohfp::model
