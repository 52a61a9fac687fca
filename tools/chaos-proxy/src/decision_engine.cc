#include "ohfp/chaos_proxy/decision_engine.h"

#include <algorithm>

namespace ohfp::chaos_proxy {

DecisionEngine::DecisionEngine(const resilience::Clock& clock, resilience::RandomSource& random,
                               RuleSet rules)
    : clock_(clock),
      random_(random),
      rules_(std::move(rules)),
      hits_(rules_.rules.size(), 0),
      origin_(clock.Now()) {}

bool DecisionEngine::Matches(const Match& match, const AwsRequest& request) {
  if (match.service && *match.service != request.service) return false;
  if (match.actions.empty()) return true;
  return std::find(match.actions.begin(), match.actions.end(), request.action) !=
         match.actions.end();
}

std::optional<Decision> DecisionEngine::Decide(const AwsRequest& request) {
  const resilience::MonoTime now = clock_.Now();
  std::lock_guard lock(mu_);
  const resilience::Duration elapsed = now - origin_;
  for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
    const Rule& rule = rules_.rules[i];
    if (!Matches(rule.match, request)) continue;
    if (elapsed < rule.from) continue;
    if (rule.duration && elapsed >= rule.from + *rule.duration) continue;
    if (rule.max_hits && hits_[i] >= *rule.max_hits) continue;
    if (rule.probability <= 0.0) continue;
    if (rule.probability < 1.0 && random_.NextDouble() >= rule.probability) continue;
    ++hits_[i];
    return Decision{i, rule.name, rule.fault};
  }
  return std::nullopt;
}

void DecisionEngine::ReplaceRules(RuleSet rules) {
  std::lock_guard lock(mu_);
  rules_ = std::move(rules);
  hits_.assign(rules_.rules.size(), 0);
}

void DecisionEngine::Reset() {
  const resilience::MonoTime now = clock_.Now();
  std::lock_guard lock(mu_);
  origin_ = now;
  std::fill(hits_.begin(), hits_.end(), 0);
}

RuleSet DecisionEngine::rules() const {
  std::lock_guard lock(mu_);
  return rules_;
}

std::vector<RuleHits> DecisionEngine::Hits() const {
  std::lock_guard lock(mu_);
  std::vector<RuleHits> out;
  out.reserve(rules_.rules.size());
  for (std::size_t i = 0; i < rules_.rules.size(); ++i)
    out.push_back({rules_.rules[i].name, hits_[i]});
  return out;
}

resilience::Duration DecisionEngine::Elapsed() const {
  const resilience::MonoTime now = clock_.Now();
  std::lock_guard lock(mu_);
  return now - origin_;
}

}  // namespace ohfp::chaos_proxy
