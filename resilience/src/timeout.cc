#include "ohfp/resilience/timeout.h"

#include <cstdio>

namespace ohfp::resilience {

std::string FormatSeconds(Duration duration) {
  const double seconds = ToSeconds(duration);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  std::string s(buf);
  // Trim trailing zeros and a trailing point: "30.000" -> "30", "0.500" -> "0.5".
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s.empty() ? "0" : s;
}

Error OperationTimeoutError(std::string_view operation, Duration timeout, const Error* cause) {
  std::string message = "Operation " + std::string(operation) + " timed out after " +
                        FormatSeconds(timeout) + " seconds";
  if (cause != nullptr) {
    message += " (last error: ";
    message += cause->ToString();
    message += ")";
  }
  return Error(ErrorKind::kTimeout, "timeout", std::move(message));
}

Error AsyncTimeoutError(Duration timeout) {
  return Error(ErrorKind::kTimeout, "timeout",
               "Async operation timed out after " + FormatSeconds(timeout) + " seconds");
}

}  // namespace ohfp::resilience
