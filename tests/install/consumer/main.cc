// A circuit breaker from the installed ohfp resilience library, on a manual clock: three failures
// open it, calls are then rejected without running, after reset_timeout one call half-opens it and
// its success closes it. Prints each step; exits 1 at the first surprise.
#include <ohfp/resilience/circuit_breaker.h>
#include <ohfp/resilience/manual_clock.h>
#include <ohfp/resilience/state_store.h>

#include <cstdio>
#ifndef OHFP_CONSUMER_NO_TESTING
#include <ohfp/resilience/testing/recording_observer.h>
#endif

namespace r = ohfp::resilience;

namespace {

bool Expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  return ok;
}

}  // namespace

int main() {
  r::ManualClock clock;
  r::InMemoryStateStore store;
#ifndef OHFP_CONSUMER_NO_TESTING
  r::testing::RecordingObserver events;
  r::ResilienceObserver* observer = &events;
#else
  r::ResilienceObserver* observer = nullptr;
#endif
  r::CircuitBreaker breaker("ec2",
                            {.failure_threshold = 3, .reset_timeout = std::chrono::seconds(30)},
                            store, clock, observer);
  int calls = 0;
  const auto fail = [&] {
    ++calls;
    return r::Result<int>(r::Error(r::ErrorKind::kThrottled, "RequestLimitExceeded", "slow down"));
  };
  const auto succeed = [&] {
    ++calls;
    return r::Result<int>(42);
  };
  bool ok = true;
  for (int i = 0; i < 3; ++i)
    ok = breaker.Call(fail).error().kind() == r::ErrorKind::kThrottled && ok;
  ok = Expect(ok && breaker.state() == r::CircuitState::kOpen, "three failures open the circuit") &&
       ok;
  const r::Result<int> rejected = breaker.Call(succeed);
  ok = Expect(!rejected.ok() && rejected.error().kind() == r::ErrorKind::kCircuitOpen && calls == 3,
              "an open circuit rejects without calling") &&
       ok;
  clock.Advance(std::chrono::seconds(31));
  const r::Result<int> probe = breaker.Call(succeed);
  ok = Expect(probe.ok() && *probe == 42 && calls == 4, "after reset_timeout a probe runs") && ok;
  ok = Expect(breaker.state() == r::CircuitState::kClosed, "its success closes the circuit") && ok;
#ifndef OHFP_CONSUMER_NO_TESTING
  for (const std::string& line : events.lines()) std::printf("  event: %s\n", line.c_str());
  ok = Expect(!events.lines().empty(), "the observer from ohfp::resilience_testing saw events") &&
       ok;
#endif
  return ok ? 0 : 1;
}
