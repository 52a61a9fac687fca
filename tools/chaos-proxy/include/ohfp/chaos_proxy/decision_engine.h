// ohfp/chaos_proxy/decision_engine.h
//
// DecisionEngine decides, for one request, which fault (if any) the proxy injects. It only decides:
// waiting, answering and forwarding are the proxy's job. Rules are tried in order; a rule is a
// candidate when its match fits the request, the time since the origin lies in its window [from,
// from + duration) and it has fired fewer than max_hits times. A candidate with probability p fires
// when a draw from the random source is below p (no draw is taken for p = 0 or p = 1). The first
// rule that fires wins; a candidate that loses its draw passes the request on to the rules after
// it.
//
// Time comes from an injected Clock and draws from an injected RandomSource, so a ManualClock and a
// SeededRandom make every decision reproducible; one sequence of requests with one seed gives one
// sequence of faults.
//
// Thread-safety: all methods are safe from any thread (one mutex; nothing slow runs under it). The
// random source and clock must outlive the engine.
//
// Example:
//   DecisionEngine engine(clock, random, std::move(rules));
//   if (std::optional<Decision> d = engine.Decide(ParseAwsRequest(request))) {
//     Inject(d->fault);   // d->rule_name says which rule fired
//   }
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/rules.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/random.h"

namespace ohfp::chaos_proxy {

struct Decision {
  std::size_t rule_index = 0;
  std::string rule_name;
  Fault fault;
};

struct RuleHits {
  std::string name;
  std::uint64_t hits = 0;
};

class DecisionEngine {
 public:
  // The time origin (t = 0 for the rules' windows) is the clock's time at construction.
  DecisionEngine(const resilience::Clock& clock, resilience::RandomSource& random, RuleSet rules);

  DecisionEngine(const DecisionEngine&) = delete;
  DecisionEngine& operator=(const DecisionEngine&) = delete;

  [[nodiscard]] std::optional<Decision> Decide(const AwsRequest& request);

  // Replaces the rules; the new rules start with no hits. The time origin is kept.
  void ReplaceRules(RuleSet rules);
  // Moves the time origin to now and forgets every hit.
  void Reset();

  RuleSet rules() const;
  std::vector<RuleHits> Hits() const;
  // Time since the origin.
  resilience::Duration Elapsed() const;

 private:
  static bool Matches(const Match& match, const AwsRequest& request);

  const resilience::Clock& clock_;
  resilience::RandomSource& random_;
  mutable std::mutex mu_;
  RuleSet rules_;                    // guarded by mu_
  std::vector<std::uint64_t> hits_;  // guarded by mu_; one per rule
  resilience::MonoTime origin_;      // guarded by mu_
};

}  // namespace ohfp::chaos_proxy
