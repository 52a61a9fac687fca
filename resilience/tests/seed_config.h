// resilience/tests/seed_config.h
//
// The configuration the pipeline and simulation tests start from: the operation table the plugin
// gives the library for the seed's names, and the seed's numbers for aws_ec2 and
// ec2_run_instances, without jitter so that delays are exact.
//
// Thread-safety: functions returning new values.
//
// Example:
//   ResilienceConfig c = NoJitterSeedConfig();
//   c.circuit_breaker.enabled = false;
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "ohfp/resilience/config.h"

namespace ohfp::resilience::testing {

// The operation table the plugin gives the library for the seed's names.
inline std::map<std::string, std::string, std::less<>> SeedServices() {
  return {{"ec2_*", "aws_ec2"},
          {"autoscaling_*", "aws_autoscaling"},
          {"spot_fleet_*", "aws_spot_fleet"}};
}

// aws_ec2 opens after 3 failures for 30 s; ec2_run_instances: 5 attempts from 2 s up to 120 s,
// 180 s in all; no jitter.
inline ResilienceConfig NoJitterSeedConfig() {
  using std::chrono::seconds;
  ResilienceConfig c;
  c.operation_services = SeedServices();
  c.circuit_breaker.services["aws_ec2"] = {
      .failure_threshold = 3, .reset_timeout = seconds(30), .half_open_timeout = seconds(15)};
  c.retry.default_backoff.jitter = JitterMode::kNone;
  c.retry.operations["ec2_run_instances"] = {
      .max_attempts = 5, .base_delay = seconds(2), .max_delay = seconds(120)};
  c.timeout.operations["ec2_run_instances"] = seconds(180);
  return c;
}

}  // namespace ohfp::resilience::testing
