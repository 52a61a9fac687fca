#include "model/tag.h"

namespace ohfp::model {

std::optional<std::string> TagValue(const std::vector<Tag>& tags, std::string_view key) {
  for (const Tag& t : tags) {
    if (t.key == key) return t.value;
  }
  return std::nullopt;
}

}  // namespace ohfp::model
