#include "base/ids.h"

namespace ohfp::base {

std::string RandomId(std::string_view prefix, resilience::RandomSource& random) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto hex = [&](int digits) {
    std::string s;
    for (int i = 0; i < digits; ++i) {
      s += kDigits[static_cast<std::size_t>(random.NextDouble() * 16.0) & 15U];
    }
    return s;
  };
  std::string id(prefix);
  id += "-" + hex(8) + "-" + hex(4) + "-4" + hex(3) + "-";
  id += "89ab"[static_cast<std::size_t>(random.NextDouble() * 4) & 3U];
  id += hex(3) + "-" + hex(12);
  return id;
}

}  // namespace ohfp::base
