// tests/integration/recording_client.h
//
// RecordingClient: an AwsClient like an AwsWorld's (its endpoints, clock and pipeline, moto's
// credentials) whose transport is real HTTP (SocketTransport) that also keeps a copy of every
// request's Query parameters, each attempt in order. Tests read the wire where moto silently
// ignores a parameter, or where the order of calls is the point (a fleet's target lowered before
// anything is terminated).
//
// Thread-safety: RecordingTransport may be used from any thread; the rest, one thread.
//
// Example:
//   RecordingClient recording(*world);
//   ec2::CreateFleet(recording.client(), request);
//   std::vector<WireParams> sent = recording.wire().Sent("CreateFleet");
//   EXPECT_EQ(sent.at(0).at("ClientToken"), "req-1-1");
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/socket_transport.h"
#include "aws_world.h"

namespace ohfp::testing {

// The parameters of one Query request, decoded: "Action", "FleetId.1", ...
using WireParams = std::map<std::string, std::string>;

// A form-encoded body ("a=1&b=x%20y") as name -> value ('+' and %XX decoded), as ohfp-chaos-proxy
// decodes the requests it forwards.
WireParams DecodeForm(std::string_view body);

class RecordingTransport final : public aws::HttpTransport {
 public:
  explicit RecordingTransport(const resilience::Clock& clock) : inner_(clock) {}

  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request,
                                             resilience::Deadline deadline,
                                             std::stop_token stop) override;

  // Every request (each attempt), oldest first.
  std::vector<WireParams> All() const;
  // The requests for `action`, oldest first.
  std::vector<WireParams> Sent(std::string_view action) const;
  // Position of the first request for `action` at or after position `from`; -1 when none.
  int IndexOf(std::string_view action, int from = 0) const;
  int Size() const;
  void Clear();

 private:
  aws::SocketTransport inner_;
  mutable std::mutex mu_;
  std::vector<WireParams> sent_;
};

class RecordingClient {
 public:
  explicit RecordingClient(AwsWorld& world);

  aws::AwsClient& client() { return client_; }
  RecordingTransport& wire() { return transport_; }

 private:
  RecordingTransport transport_;
  aws::AwsClient client_;
};

}  // namespace ohfp::testing
