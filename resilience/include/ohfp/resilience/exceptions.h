// ohfp/resilience/exceptions.h
//
// The seed's exception hierarchy, for callers who prefer exceptions. Inside the library errors are
// values (Result<T>); these types exist at the API edge:
//
//   ResilienceError
//   ├── RetryableError ── TimeoutError, RateLimitError
//   ├── NonRetryableError ── AuthenticationError, AuthorizationError
//   └── CircuitBreakerOpenError
//   ServiceError   the analogue of botocore's ClientError: a service's answer with an AWS error
//                  code
//   DomainError    the analogue of the seed's DomainException: never retried
//
// Every ResilienceError and ServiceError carries the Error value it came from.
//
// Thread-safety: value types.
//
// Example:
//   try { ThrowError(result.error()); }
//   catch (const CircuitBreakerOpenError& e) { fallback(); }
//   catch (const RetryableError& e) { log(e.error().code()); }
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "ohfp/resilience/error.h"

namespace ohfp::resilience {

class ResilienceError : public std::runtime_error {
 public:
  explicit ResilienceError(Error error);
  ResilienceError(ErrorKind kind, const std::string& message);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

class RetryableError : public ResilienceError {
 public:
  using ResilienceError::ResilienceError;
};
class NonRetryableError : public ResilienceError {
 public:
  using ResilienceError::ResilienceError;
};
class CircuitBreakerOpenError : public ResilienceError {
 public:
  using ResilienceError::ResilienceError;
};
class TimeoutError : public RetryableError {
 public:
  using RetryableError::RetryableError;
};
class RateLimitError : public RetryableError {
 public:
  using RetryableError::RetryableError;
};
class AuthenticationError : public NonRetryableError {
 public:
  using NonRetryableError::NonRetryableError;
};
class AuthorizationError : public NonRetryableError {
 public:
  using NonRetryableError::NonRetryableError;
};

// A service's error answer with its code (the seed's botocore ClientError).
class ServiceError : public std::runtime_error {
 public:
  explicit ServiceError(Error error);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// A business-rule failure (the seed's DomainException). Never retried.
class DomainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws the exception type that matches the error's kind: kCircuitOpen -> CircuitBreakerOpenError,
// kTimeout -> TimeoutError, kThrottled -> RateLimitError, kAuthentication/kClockSkew ->
// AuthenticationError, kAuthorization -> AuthorizationError, kTransient/kCapacity ->
// RetryableError, kValidation/kNotFound/kQuota/kIdempotencyMismatch/kAlreadyExists ->
// NonRetryableError, anything else -> ResilienceError.
[[noreturn]] void ThrowError(const Error& error);

// The error value an exception stands for: the carried Error for ResilienceError and ServiceError;
// kValidation for DomainError; kUnknown with the exception's what() for any other std::exception.
Error ErrorFromException(const std::exception& exception);

// The seed's ErrorClassifier.should_retry for exceptions: NonRetryableError no; RetryableError yes;
// DomainError no; ServiceError by its code's classification; CircuitBreakerOpenError and any other
// std::exception yes (the seed's "default to retryable for unknown exceptions"). Bugs are not
// errors: the retry executors never catch std::logic_error or std::bad_alloc in the first place.
bool ShouldRetryException(const std::exception& exception) noexcept;

}  // namespace ohfp::resilience
