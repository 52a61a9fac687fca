#include "ohfp/chaos_proxy/throttle_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

namespace ohfp::chaos_proxy {
namespace {

using nlohmann::json;

json CountersToJson(const ThrottleCounters& c) {
  return {{"accepted", c.accepted},
          {"throttled", c.throttled},
          {"throttled_on_resources", c.throttled_on_resources},
          {"resource_tokens", c.resource_tokens}};
}

void Add(ThrottleCounters& into, const ThrottleCounters& c) {
  into.accepted += c.accepted;
  into.throttled += c.throttled;
  into.throttled_on_resources += c.throttled_on_resources;
  into.resource_tokens += c.resource_tokens;
}

}  // namespace

double TokenBucket::Level(resilience::MonoTime now) const noexcept {
  if (now <= updated_) return level_;
  const double refilled = level_ + resilience::ToSeconds(now - updated_) * limits_.refill_rate;
  return std::min(limits_.capacity, refilled);
}

void TokenBucket::Refill(resilience::MonoTime now) noexcept {
  if (now <= updated_) return;
  level_ = Level(now);
  updated_ = now;
}

void TokenBucket::Take(double tokens) noexcept {
  // Has() allows kEpsilon of rounding; the level never goes below zero because of it.
  level_ = std::max(0.0, level_ - tokens);
}

ThrottleModel::ThrottleModel(const resilience::Clock& clock, std::optional<ThrottlingConfig> config)
    : clock_(clock), config_(std::move(config)), origin_(clock.Now()) {}

ThrottleDecision ThrottleModel::Admit(const AwsRequest& request) {
  std::lock_guard lock(mu_);
  if (!config_) return {};
  const std::optional<RequestBuckets> plan = BucketsFor(*config_, request);
  if (!plan) return {};
  // Read under the lock, so that buckets only ever see time move forward.
  const resilience::MonoTime now = clock_.Now();

  std::vector<TokenBucket*> buckets;
  buckets.reserve(plan->uses.size());
  for (const BucketUse& use : plan->uses) {
    auto it = buckets_.find(use.name);
    if (it == buckets_.end()) {
      it = buckets_.emplace(use.name, BucketState{TokenBucket(use.limits, now), use}).first;
    }
    it->second.bucket.Refill(now);
    buckets.push_back(&it->second.bucket);
  }

  ThrottleDecision decision;
  decision.modelled = true;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (!buckets[i]->Has(plan->uses[i].cost)) {
      decision.throttled = true;
      decision.bucket = plan->uses[i].name;
      decision.kind = plan->uses[i].kind;
      break;
    }
  }
  std::uint64_t resource_tokens = 0;
  if (!decision.throttled) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      buckets[i]->Take(plan->uses[i].cost);
      if (plan->uses[i].kind == BucketKind::kResource) {
        resource_tokens += static_cast<std::uint64_t>(plan->uses[i].cost);
      }
    }
  }
  CountLocked(ActionKey{request.service, request.action}, decision.throttled, decision.kind,
              resource_tokens, now);
  return decision;
}

void ThrottleModel::CountLocked(const ActionKey& key, bool throttled, BucketKind kind,
                                std::uint64_t resource_tokens, resilience::MonoTime now) {
  ThrottleCounters delta;
  if (throttled) {
    delta.throttled = 1;
    delta.throttled_on_resources = kind == BucketKind::kResource ? 1 : 0;
  } else {
    delta.accepted = 1;
    delta.resource_tokens = resource_tokens;
  }
  Add(totals_, delta);
  Add(actions_[key], delta);

  const auto second =
      std::chrono::floor<std::chrono::seconds>(std::max(now - origin_, resilience::Duration{0}))
          .count();
  SeriesCounts& point = series_[static_cast<std::int64_t>(second)][key];
  (throttled ? point.throttled : point.accepted) += 1;
  while (series_.size() > kMaxSeriesSeconds) series_.erase(series_.begin());
}

void ThrottleModel::ClearLocked() {
  buckets_.clear();  // buckets are created full when next used
  totals_ = ThrottleCounters{};
  actions_.clear();
  series_.clear();
}

void ThrottleModel::Configure(std::optional<ThrottlingConfig> config) {
  std::lock_guard lock(mu_);
  if (config == config_) return;
  config_ = std::move(config);
  ClearLocked();
}

void ThrottleModel::Reset() {
  std::lock_guard lock(mu_);
  origin_ = clock_.Now();
  ClearLocked();
}

bool ThrottleModel::enabled() const {
  std::lock_guard lock(mu_);
  return config_.has_value();
}

std::optional<ThrottlingConfig> ThrottleModel::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

ThrottleCounters ThrottleModel::Totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

ThrottleCounters ThrottleModel::ForAction(Service service, std::string_view action) const {
  std::lock_guard lock(mu_);
  const auto it = actions_.find(ActionKey{service, std::string(action)});
  return it == actions_.end() ? ThrottleCounters{} : it->second;
}

std::optional<double> ThrottleModel::BucketLevel(std::string_view name) const {
  std::lock_guard lock(mu_);
  const auto it = buckets_.find(name);
  if (it == buckets_.end()) return std::nullopt;
  return it->second.bucket.Level(clock_.Now());
}

json ThrottleModel::ToJson() const {
  std::lock_guard lock(mu_);
  if (!config_) return json{{"enabled", false}};
  const resilience::MonoTime now = clock_.Now();

  json services = json::object();
  std::map<Service, ThrottleCounters> service_totals;
  for (const auto& [key, counters] : actions_) {
    const std::string service(ServiceName(key.first));
    const std::string action = key.second.empty() ? "(no action)" : key.second;
    services[service]["actions"][action] = CountersToJson(counters);
    Add(service_totals[key.first], counters);
  }
  for (const auto& [service, counters] : service_totals) {
    services[std::string(ServiceName(service))]["totals"] = CountersToJson(counters);
  }

  json buckets = json::object();
  for (const auto& [name, state] : buckets_) {
    const BucketUse& use = state.use;
    buckets[name] = {{"service", std::string(ServiceName(use.service))},
                     {"action", use.action},
                     {"kind", std::string(BucketKindName(use.kind))},
                     {"category", std::string(ThrottleCategoryName(use.category))},
                     // Whole tokens: scaled sizes are rounded, overrides are integers.
                     {"capacity", static_cast<std::int64_t>(use.limits.capacity)},
                     {"refill_rate", use.limits.refill_rate},
                     {"level", state.bucket.Level(now)}};
  }

  json points = json::array();
  for (const auto& [second, by_action] : series_) {
    json point = {{"second", second}};
    std::uint64_t accepted = 0;
    std::uint64_t throttled = 0;
    json point_services = json::object();
    for (const auto& [key, counts] : by_action) {
      point_services[std::string(ServiceName(key.first))][key.second] = {
          {"accepted", counts.accepted}, {"throttled", counts.throttled}};
      accepted += counts.accepted;
      throttled += counts.throttled;
    }
    point["accepted"] = accepted;
    point["throttled"] = throttled;
    point["services"] = std::move(point_services);
    points.push_back(std::move(point));
  }

  return json{{"enabled", true},
              {"model", config_->model},
              {"scale", config_->scale},
              {"totals", CountersToJson(totals_)},
              {"services", std::move(services)},
              {"buckets", std::move(buckets)},
              {"series", {{"interval_seconds", 1}, {"points", std::move(points)}}}};
}

}  // namespace ohfp::chaos_proxy
