// ohfp/resilience/error.h
//
// The library's error vocabulary: a closed set of kinds (ErrorKind) and an Error value that carries
// a kind plus, when known, the service's error code, message, request id, HTTP status and
// retry-after hint. Every layer reads the kind; only the adapter that created an error (the AWS
// error mapper, the store) looks at codes and strings.
//
// Thread-safety: Error is a value type. Copies share an immutable detail block, so copying across
// threads is safe; the With*() builders copy the detail on write.
//
// Example:
//   Error e = Error(ErrorKind::kThrottled, "RequestLimitExceeded", "Request limit exceeded.")
//                 .WithHttpStatus(503).WithRequestId("7a62c49f-...");
//   if (IsRetryableByDefault(e.kind())) { ... }
//   Error rejected(ErrorKind::kCircuitOpen);   // no allocation: no detail block
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ohfp::resilience {

// The closed set of error kinds. Retry, circuit breaker, logs and metrics decide on these, never on
// codes.
enum class ErrorKind : std::uint8_t {
  kThrottled,   // the service asked us to slow down (RequestLimitExceeded, Throttling, HTTP 429)
  kTransient,   // a server-side or network fault that may pass (HTTP 5xx, InternalError, resets)
  kTimeout,     // an attempt or the whole operation ran out of time
  kCapacity,    // the service lacks capacity (InsufficientInstanceCapacity, SpotMaxPriceTooLow)
  kQuota,       // an account limit was reached (InstanceLimitExceeded, VcpuLimitExceeded)
  kValidation,  // the request is wrong (InvalidParameterValue, InvalidAMIID.NotFound)
  kAuthentication,       // who we are was not accepted (AuthFailure, SignatureDoesNotMatch)
  kAuthorization,        // what we asked for is not allowed (UnauthorizedOperation, AccessDenied)
  kNotFound,             // the resource does not exist (InvalidInstanceID.NotFound)
  kIdempotencyMismatch,  // a ClientToken was reused with different parameters
  kAlreadyExists,  // the resource being created exists already (a group name in use): creation by
                   // name is idempotent, so callers may treat it as done
  kClockSkew,      // our clock is off (RequestTimeTooSkewed): correct the offset, then retry
  kCircuitOpen,    // a circuit breaker rejected the call without running it
  kCancelled,      // the caller asked to stop
  kInternal,       // a local failure that is not the service's (store I/O, bad state)
  kUnknown,        // an error nobody classified
};

inline constexpr int kErrorKindCount = static_cast<int>(ErrorKind::kUnknown) + 1;

// The stable snake_case name of a kind: "throttled", "circuit_open", ... Used in logs, metrics and
// JSON.
std::string_view ErrorKindName(ErrorKind kind) noexcept;

// Parses ErrorKindName()'s output back; nullopt for anything else.
std::optional<ErrorKind> ErrorKindFromName(std::string_view name) noexcept;

// Service-side errors: the kinds that say the service (not our request) is unhealthy. An optional
// circuit breaker policy counts only these as failures.
constexpr bool IsServiceError(ErrorKind kind) noexcept {
  return kind == ErrorKind::kThrottled || kind == ErrorKind::kTransient ||
         kind == ErrorKind::kTimeout || kind == ErrorKind::kCapacity;
}

// A set of error kinds, as a bit mask: "which kinds may be retried", "which count as breaker
// failures".
class KindSet {
 public:
  constexpr KindSet() noexcept = default;
  constexpr KindSet(std::initializer_list<ErrorKind> kinds) noexcept {
    for (ErrorKind k : kinds) insert(k);
  }
  static constexpr KindSet All() noexcept {
    KindSet s;
    s.bits_ = (std::uint32_t{1} << kErrorKindCount) - 1;
    return s;
  }
  constexpr bool contains(ErrorKind kind) const noexcept { return (bits_ & Bit(kind)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr bool all() const noexcept { return *this == All(); }
  constexpr KindSet& insert(ErrorKind kind) noexcept {
    bits_ |= Bit(kind);
    return *this;
  }
  constexpr KindSet& erase(ErrorKind kind) noexcept {
    bits_ &= ~Bit(kind);
    return *this;
  }
  friend constexpr bool operator==(KindSet a, KindSet b) noexcept { return a.bits_ == b.bits_; }

 private:
  static constexpr std::uint32_t Bit(ErrorKind kind) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(kind);
  }
  std::uint32_t bits_ = 0;
};

class Error {
 public:
  explicit Error(ErrorKind kind) noexcept : kind_(kind) {}
  Error(ErrorKind kind, std::string code, std::string message);

  ErrorKind kind() const noexcept { return kind_; }
  // The service's error code (e.g. "RequestLimitExceeded"); the kind's name when none was given.
  std::string_view code() const noexcept;
  std::string_view message() const noexcept;
  std::string_view request_id() const noexcept;
  int http_status() const noexcept;  // 0 when not an HTTP error
  std::optional<std::chrono::nanoseconds> retry_after() const noexcept;

  Error WithCode(std::string code) const;
  Error WithMessage(std::string message) const;
  Error WithRequestId(std::string request_id) const;
  Error WithHttpStatus(int status) const;
  Error WithRetryAfter(std::chrono::nanoseconds delay) const;
  Error WithKind(ErrorKind kind) const;

  // "RequestLimitExceeded: Request limit exceeded. (HTTP 503, request id 7a62...)".
  std::string ToString() const;

  friend bool operator==(const Error& a, const Error& b) noexcept;

 private:
  struct Detail {
    std::string code;
    std::string message;
    std::string request_id;
    int http_status = 0;
    std::optional<std::chrono::nanoseconds> retry_after;
  };
  Detail& MutableDetail();

  ErrorKind kind_;
  std::shared_ptr<const Detail> detail_;  // null when only the kind is known
};

}  // namespace ohfp::resilience
