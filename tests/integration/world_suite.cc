#include "world_suite.h"

#include "aws/ec2/instances.h"

namespace ohfp::testing {

resilience::ResilienceConfig FastRetries(int max_attempts) {
  resilience::ResilienceConfig c;
  c.retry.default_backoff = {std::chrono::milliseconds(10), std::chrono::milliseconds(50), 2.0,
                             resilience::JitterMode::kNone};
  c.retry.default_max_attempts = max_attempts;
  c.circuit_breaker.defaults.failure_threshold = 100;
  return c;
}

resilience::ResilienceConfig FastRetries(int max_attempts, std::chrono::seconds timeout) {
  resilience::ResilienceConfig c = FastRetries(max_attempts);
  c.timeout.default_timeout = timeout;
  return c;
}

nlohmann::json Rule(const std::string& action, nlohmann::json fault, int max_hits) {
  nlohmann::json rule = {{"match", {{"action", action}}}, {"fault", std::move(fault)}};
  if (max_hits >= 0) rule["max_hits"] = max_hits;
  return rule;
}

nlohmann::json Respond(const std::string& action, const std::string& body, int max_hits) {
  return Rule(action, {{"type", "respond"}, {"status", 200}, {"body", body}}, max_hits);
}

std::string Ec2Answer(const std::string& action, const std::string& inner) {
  return "<" + action +
         "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{{request_id}}"
         "</requestId>" +
         inner + "</" + action + "Response>";
}

void SetProxyRules(AwsWorld& world, const std::vector<nlohmann::json>& rules) {
  ASSERT_NE(world.proxy(), nullptr) << "this world has no proxy";
  nlohmann::json body = {{"rules", nlohmann::json::array()}};
  for (const nlohmann::json& r : rules) body["rules"].push_back(r);
  std::string why;
  ASSERT_TRUE(world.proxy()->SetRules(body.dump(), &why)) << why;
}

nlohmann::json ProxyStats(AwsWorld& world) { return nlohmann::json::parse(world.proxy()->Stats()); }

int ProxyCount(AwsWorld& world, const std::string& action, const std::string& what) {
  const nlohmann::json stats = ProxyStats(world);
  const auto& actions = stats["actions"];
  return actions.contains(action) ? actions[action][what].get<int>() : 0;
}

std::map<std::string, std::string> InstanceStates(AwsWorld& world,
                                                  const std::vector<std::string>& ids) {
  std::map<std::string, std::string> states;
  auto found = aws::ec2::DescribeInstances(world.client(), {.instance_ids = ids});
  EXPECT_TRUE(found.ok()) << found.error().ToString();
  if (found.ok()) {
    for (const aws::ec2::Instance& i : *found) states[i.instance_id] = i.state;
  }
  return states;
}

OperationCounts OperationsOf(AwsWorld& world) {
  OperationCounts out;
  for (const auto& op : world.pipeline().monitor().Operations()) {
    out[op.operation] = {op.service, op.total_operations};
  }
  return out;
}

}  // namespace ohfp::testing
