// Small text helpers shared by the library's exporters (monitor JSON and Prometheus text).
// Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ohfp::resilience::internal {

// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);
// A finite double as JSON (shortest round-trip form); non-finite values as 0.
std::string JsonNumber(double value);
// `s` escaped for a Prometheus label value (backslash, quote, newline).
std::string PrometheusLabel(std::string_view s);

}  // namespace ohfp::resilience::internal
