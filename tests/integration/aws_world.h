// tests/integration/aws_world.h
//
// AwsWorld: moto on a free 127.0.0.1 port, checking signatures against an IAM user's key,
// optionally ohfp-chaos-proxy in front of it, and an AwsClient wired to one of them with the real
// SocketTransport, the default resilience pipeline (jitter off so tests are exact) and moto's
// current key (credentials(): it changes with every Reset(), the provider follows it). One world
// per test suite; Reset() between tests.
//
// Thread-safety: one world per thread.
//
// Example:
//   AwsWorld world = ...;   // see AwsWorld::Create
//   Result<Reservation> r = ec2::RunInstances(world.client(), request);
#pragma once

#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "aws/socket_transport.h"
#include "moto.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::testing {

struct AwsWorldOptions {
  bool with_proxy = false;
  resilience::ResilienceConfig
      resilience{};  // jitter is forced to none unless set to something else
  MotoOptions moto{};
};

// moto's current key (MotoServer::credentials()), read on every Get(): a Reset() makes a new one.
class MotoCredentialsProvider final : public aws::CredentialsProvider {
 public:
  explicit MotoCredentialsProvider(const MotoServer& moto) : moto_(moto) {}
  resilience::Result<aws::Credentials> Get() override;
  std::string_view name() const noexcept override { return "moto's IAM user"; }

 private:
  const MotoServer& moto_;
};

class AwsWorld {
 public:
  // nullptr and `why` when moto (or the proxy) cannot start.
  static std::unique_ptr<AwsWorld> Create(const AwsWorldOptions& options, std::string* why);

  aws::AwsClient& client() { return *client_; }
  MotoServer& moto() { return *moto_; }
  ChaosProxyProcess* proxy() { return proxy_.get(); }
  // The credentials the world's client signs with: moto's current key.
  aws::CredentialsProvider& credentials() { return *credentials_; }
  resilience::ResiliencePipeline& pipeline() { return *pipeline_; }
  resilience::SystemClock& clock() { return clock_; }
  // A fresh AwsClient over the same transport and pipeline but other credentials (signature tests).
  std::unique_ptr<aws::AwsClient> ClientWith(const std::string& key_id, const std::string& secret);
  // Resets moto (and its key), the proxy (rules, stats, idempotency cache) and the pipeline's
  // breakers. Fails the current test when moto cannot be reset.
  void Reset();

 private:
  AwsWorld() = default;
  resilience::SystemClock clock_{resilience::SystemClock::Resolution::kPrecise};
  resilience::SeededRandom random_{1};
  resilience::InMemoryStateStore store_;
  std::unique_ptr<MotoServer> moto_;
  std::unique_ptr<ChaosProxyProcess> proxy_;
  std::unique_ptr<aws::SocketTransport> transport_;
  std::unique_ptr<MotoCredentialsProvider> credentials_;
  std::vector<std::unique_ptr<aws::StaticCredentialsProvider>> other_credentials_;
  std::unique_ptr<resilience::ResiliencePipeline> pipeline_;
  std::unique_ptr<aws::AwsClient> client_;
  std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints_{};
};

}  // namespace ohfp::testing
