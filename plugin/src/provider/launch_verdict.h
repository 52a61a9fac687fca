// provider/launch_verdict.h
//
// The one answer, for every API, to "after this failed create call, did the cloud certainly create
// nothing?". It decides what the commands do next, and so prevents both double launches and
// requests that stall:
//
//   kRefused     the cloud answered with an error about the request (invalid parameter, unknown
//                image or instance profile, permission, quota, no capacity, an error code ohfp
//                has no name for), or ohfp failed before sending anything (no credentials, an
//                unreadable user data file): nothing was created. The attempt fails at once, with
//                the cloud's code and message; a capacity refusal moves on to the next subnet.
//   kRetryLater  the cloud answered "not now" (throttled; a clock-skew answer the retries could
//                not correct), or the call was never sent (an open circuit): nothing was created
//                by it, and sending it again later is right. The attempt stays prepared; the next
//                getRequestStatus sends it again with the same ClientToken.
//   kExists      the cloud answered that something with this ClientToken or name exists already
//                (IdempotentParameterMismatch, AlreadyExists): it is found by its tags.
//   kUnknown     no answer: a timeout, a reset, a 5xx that does not say what happened, a success
//                whose body could not be read, or an earlier retry of the same call that went
//                unanswered (AwsClient::Create reports that as unknown whatever came after).
//                The request's tags are looked up, then the same call is sent again with the same
//                ClientToken, which cannot launch twice.
//
// Thread-safety: stateless.
//
// Example:
//   switch (LaunchVerdictOf(launched.error())) { case LaunchVerdict::kRefused: ... }
#pragma once

#include <string_view>

#include "ohfp/resilience/error.h"

namespace ohfp::provider {

enum class LaunchVerdict { kRefused, kRetryLater, kExists, kUnknown };

std::string_view LaunchVerdictName(LaunchVerdict verdict) noexcept;  // refused, retry_later, ...

LaunchVerdict LaunchVerdictOf(const resilience::Error& error) noexcept;

}  // namespace ohfp::provider
