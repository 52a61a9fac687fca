// tests/integration/world_suite.h
//
// WorldSuite<Suite>: the GoogleTest fixture of a suite whose tests share one AwsWorld (moto, and
// ohfp-chaos-proxy in front of it when asked). The world starts once, before the suite's first
// test, with Suite::WorldOptions() (when it cannot start, every test fails saying why); it is
// Reset() before each test and stopped after the suite. With it come what tests against moto and
// the proxy ask of that world: the proxy's rules and counts, EC2 instance states, the calls the
// resilience pipeline made per operation.
//
// Thread-safety: one suite at a time, as GoogleTest runs them.
//
// Example:
//   class AsgProviderTest : public WorldSuite<AsgProviderTest> {
//    public:
//     static AwsWorldOptions WorldOptions() { return {.with_proxy = true, .resilience = ...}; }
//   };
//   TEST_F(AsgProviderTest, X) {
//     Rules({Rule("DetachInstances", {{"type", "throttle"}}, 2)});
//     PluginWorld plugin(*world_, {...});
//     ...
//     EXPECT_EQ(Count("DetachInstances", "forwarded"), 1);
//   }
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "aws_world.h"

namespace ohfp::testing {

// The pipeline of tests that let faults be retried quickly: `max_attempts` attempts, 10 ms
// backoff doubling up to 50 ms, no jitter, breakers that open only after 100 failures.
resilience::ResilienceConfig FastRetries(int max_attempts);
// The same, every operation's timeout `timeout`.
resilience::ResilienceConfig FastRetries(int max_attempts, std::chrono::seconds timeout);

// A proxy rule: `fault` for requests of `action`, at most `max_hits` times when given.
nlohmann::json Rule(const std::string& action, nlohmann::json fault, int max_hits = -1);
// A proxy rule that answers `action` itself with `body` (HTTP 200), as AWS would; at most
// `max_hits` times when given.
nlohmann::json Respond(const std::string& action, const std::string& body, int max_hits = -1);
// An EC2 answer to `action` with `inner` inside its response element; the proxy replaces
// {{request_id}} with a fresh id.
std::string Ec2Answer(const std::string& action, const std::string& inner);

// Per resilience operation: its service (breaker) and how many calls it made.
using OperationCounts = std::map<std::string, std::pair<std::string, std::uint64_t>>;

// What WorldSuite's helpers do, for one world.
void SetProxyRules(AwsWorld& world, const std::vector<nlohmann::json>& rules);
nlohmann::json ProxyStats(AwsWorld& world);
int ProxyCount(AwsWorld& world, const std::string& action, const std::string& what);
std::map<std::string, std::string> InstanceStates(AwsWorld& world,
                                                  const std::vector<std::string>& ids);
OperationCounts OperationsOf(AwsWorld& world);

template <class Suite>
class WorldSuite : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    std::string why;
    world_ = AwsWorld::Create(Suite::WorldOptions(), &why);
    failure_ = why;
  }
  static void TearDownTestSuite() { world_.reset(); }

 protected:
  void SetUp() override {
    ASSERT_NE(world_, nullptr) << failure_;
    world_->Reset();
  }

  static aws::AwsClient& client() { return world_->client(); }
  // Replaces the proxy's rules. A vector, not a json: a braced list of one json would be that
  // json itself (an object, which the proxy refuses), and {} would be null.
  static void Rules(const std::vector<nlohmann::json>& rules) { SetProxyRules(*world_, rules); }
  static nlohmann::json Stats() { return ProxyStats(*world_); }
  // What the proxy counted for `action` since the last reset: "requests" or "forwarded".
  static int Count(const std::string& action, const std::string& what = "requests") {
    return ProxyCount(*world_, action, what);
  }
  // Instance id -> EC2 state, of those moto shows.
  static std::map<std::string, std::string> StatesOf(const std::vector<std::string>& ids) {
    return InstanceStates(*world_, ids);
  }
  static OperationCounts Operations() { return OperationsOf(*world_); }

  static inline std::unique_ptr<AwsWorld> world_;
  static inline std::string failure_;
};

}  // namespace ohfp::testing
