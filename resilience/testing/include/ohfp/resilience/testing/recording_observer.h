// ohfp/resilience/testing/recording_observer.h
//
// RecordingObserver: keeps every event as a short line of text ("retry ec2_run_instances attempt=1
// delay=2s"), so tests can assert the exact sequence of what the library reported.
//
// Thread-safety: safe from any thread.
//
// Example:
//   RecordingObserver events;
//   ResiliencePipeline pipeline(config, {.clock = clock, .random = rng, .store = store,
//                                        .observer = &events});
//   ...
//   EXPECT_THAT(events.lines(),
//               ElementsAre("attempt ec2_run_instances 1 RequestLimitExceeded", ...));
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "ohfp/resilience/circuit_state.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/timeout.h"

namespace ohfp::resilience::testing {

class RecordingObserver final : public ResilienceObserver {
 public:
  void OnAttempt(const AttemptEvent& e) override {
    Add("attempt " + std::string(e.operation) + " " + std::to_string(e.attempt) + " " +
        (e.error == nullptr ? std::string("ok") : std::string(e.error->code())));
  }
  void OnRetry(const RetryEvent& e) override {
    Add("retry " + std::string(e.operation) + " after=" + std::to_string(e.attempt) +
        " delay=" + FormatSeconds(e.delay) + "s");
  }
  void OnCircuitStateChange(const CircuitStateChange& e) override {
    Add("circuit " + std::string(e.service) + " " + std::string(CircuitStateName(e.from)) + "->" +
        std::string(CircuitStateName(e.to)));
  }
  void OnCircuitFailure(const CircuitFailureEvent& e) override {
    Add("failure " + std::string(e.service) + " " + std::to_string(e.failure_count) + "/" +
        std::to_string(e.failure_threshold));
  }
  void OnRejected(const RejectedEvent& e) override { Add("rejected " + std::string(e.operation)); }
  void OnTimeout(const TimeoutEvent& e) override {
    Add("timeout " + std::string(e.operation) + " attempts=" + std::to_string(e.attempts));
  }
  void OnResult(const ResultEvent& e) override {
    Add("result " + std::string(e.operation) + " " +
        (e.error == nullptr ? std::string("ok") : std::string(e.error->code())) +
        " attempts=" + std::to_string(e.attempts));
  }
  void OnAlert(const AlertEvent& e) override {
    Add(std::string("alert ") +
        (e.kind == AlertEvent::Kind::kCircuitOpen ? "circuit_open " : "consecutive_failures ") +
        std::string(e.service) + " " + std::to_string(e.consecutive_failures));
  }
  void OnRateLimitWait(const RateLimitWaitEvent& e) override {
    Add("wait " + std::string(e.operation) + " attempt=" + std::to_string(e.attempt) + " " +
        std::string(e.bucket) + " " + FormatSeconds(e.wait) + "s");
  }
  void OnRateChange(const RateChangeEvent& e) override {
    Add(std::string("rate ") + std::string(e.key) + (e.lowered ? " lowered " : " restored ") +
        FormatRate(e.from) + "->" + FormatRate(e.to));
  }
  void OnStoreError(std::string_view service, const Error& error) override {
    Add("store_error " + std::string(service) + " " + std::string(error.code()));
  }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  // Lines that start with `prefix`.
  std::vector<std::string> lines(const std::string& prefix) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const std::string& l : lines_) {
      if (l.rfind(prefix, 0) == 0) out.push_back(l);
    }
    return out;
  }
  void clear() {
    std::lock_guard lock(mu_);
    lines_.clear();
  }

 private:
  static std::string FormatRate(double rate) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", rate);
    return buffer;
  }
  void Add(std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
  }
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace ohfp::resilience::testing
