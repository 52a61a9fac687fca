#include "aws_world.h"

#include <gtest/gtest.h>

namespace ohfp::testing {

std::unique_ptr<AwsWorld> AwsWorld::Create(const AwsWorldOptions& options, std::string* why) {
  std::unique_ptr<AwsWorld> w(new AwsWorld());
  w->moto_ = MotoServer::Start(options.moto, why);
  if (!w->moto_) return nullptr;
  std::string target = w->moto_->url();
  if (options.with_proxy) {
    w->proxy_ = ChaosProxyProcess::Start({.upstream = target}, why);
    if (!w->proxy_) return nullptr;
    target = w->proxy_->url();
  }
  aws::MapEnvironment env;
  aws::EndpointOverrides overrides;
  overrides.global = target;
  auto endpoints = aws::ResolveEndpoints("us-east-1", overrides, env);
  if (!endpoints.ok()) {
    if (why != nullptr) *why = endpoints.error().ToString();
    return nullptr;
  }
  w->endpoints_ = *endpoints;
  w->transport_ = std::make_unique<aws::SocketTransport>(w->clock_);
  w->credentials_ = std::make_unique<MotoCredentialsProvider>(*w->moto_);
  w->pipeline_ = std::make_unique<resilience::ResiliencePipeline>(
      options.resilience, resilience::PipelineDependencies{w->clock_, w->random_, w->store_});
  w->client_ =
      std::make_unique<aws::AwsClient>("us-east-1", w->endpoints_,
                                       aws::AwsClientDependencies{.transport = *w->transport_,
                                                                  .credentials = *w->credentials_,
                                                                  .clock = w->clock_,
                                                                  .pipeline = *w->pipeline_});
  return w;
}

std::unique_ptr<aws::AwsClient> AwsWorld::ClientWith(const std::string& key_id,
                                                     const std::string& secret) {
  other_credentials_.push_back(std::make_unique<aws::StaticCredentialsProvider>(
      aws::Credentials{.access_key_id = key_id, .secret_access_key = secret}));
  return std::make_unique<aws::AwsClient>(
      "us-east-1", endpoints_,
      aws::AwsClientDependencies{.transport = *transport_,
                                 .credentials = *other_credentials_.back(),
                                 .clock = clock_,
                                 .pipeline = *pipeline_});
}

resilience::Result<aws::Credentials> MotoCredentialsProvider::Get() {
  const MotoCredentials key = moto_.credentials();
  return aws::Credentials{.access_key_id = key.access_key_id,
                          .secret_access_key = key.secret_access_key,
                          .source = "moto"};
}

void AwsWorld::Reset() {
  std::string why;
  EXPECT_TRUE(moto_->Reset(&why)) << why;
  if (proxy_) {
    proxy_->SetRules(R"({"rules": []})");
    proxy_->Reset();
  }
  for (const std::string& service : pipeline_->breakers().Services()) {
    (void)pipeline_->breakers().Get(service).Reset();
  }
}

}  // namespace ohfp::testing
