#include "recording_client.h"

#include <utility>

#include "ohfp/chaos_proxy/aws_request.h"

namespace ohfp::testing {

WireParams DecodeForm(std::string_view body) {
  WireParams params;
  for (auto& [name, value] : chaos_proxy::ParseFormUrlEncoded(body))
    params[name] = std::move(value);
  return params;
}

resilience::Result<aws::HttpResponse> RecordingTransport::Send(const aws::HttpRequest& request,
                                                               resilience::Deadline deadline,
                                                               std::stop_token stop) {
  {
    std::lock_guard lock(mu_);
    sent_.push_back(DecodeForm(request.body));
  }
  return inner_.Send(request, deadline, std::move(stop));
}

std::vector<WireParams> RecordingTransport::All() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::vector<WireParams> RecordingTransport::Sent(std::string_view action) const {
  std::lock_guard lock(mu_);
  std::vector<WireParams> out;
  for (const WireParams& p : sent_) {
    if (auto it = p.find("Action"); it != p.end() && it->second == action) out.push_back(p);
  }
  return out;
}

int RecordingTransport::IndexOf(std::string_view action, int from) const {
  std::lock_guard lock(mu_);
  for (std::size_t i = static_cast<std::size_t>(from); i < sent_.size(); ++i) {
    if (auto it = sent_[i].find("Action"); it != sent_[i].end() && it->second == action) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RecordingTransport::Size() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(sent_.size());
}

void RecordingTransport::Clear() {
  std::lock_guard lock(mu_);
  sent_.clear();
}

RecordingClient::RecordingClient(AwsWorld& world)
    : transport_(world.clock()),
      client_("us-east-1",
              {world.client().endpoint(aws::AwsService::kEc2),
               world.client().endpoint(aws::AwsService::kAutoScaling),
               world.client().endpoint(aws::AwsService::kCloudWatch)},
              {.transport = transport_,
               .credentials = world.credentials(),
               .clock = world.clock(),
               .pipeline = world.pipeline()}) {}

}  // namespace ohfp::testing
