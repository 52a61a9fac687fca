// Test helpers for the chaos proxy: an in-process fake Upstream, a recording EventSink, request
// builders (as HTTP and as the proxy parses them), a throttling section parsed, and a bounded wait
// for conditions set by other threads.
//
// Thread-safety: FakeUpstream and RecordingSink are safe from any thread.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/chaos_proxy/throttling_config.h"
#include "ohfp/chaos_proxy/upstream.h"

namespace ohfp::chaos_proxy::testing {

inline HttpRequest FormRequest(std::string body, std::string host = "ec2.us-east-1.amazonaws.com") {
  return HttpRequest{"POST",
                     "/",
                     {{"Host", std::move(host)},
                      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                      {"X-Amz-Date", "20260101T000000Z"}},
                     std::move(body)};
}

inline HttpRequest Ec2Request(const std::string& action, const std::string& extra = "") {
  return FormRequest("Action=" + action + "&Version=2016-11-15" +
                     (extra.empty() ? "" : "&" + extra));
}

inline HttpRequest AutoScalingRequest(const std::string& action, const std::string& extra = "") {
  return FormRequest(
      "Action=" + action + "&Version=2011-01-01" + (extra.empty() ? "" : "&" + extra),
      "autoscaling.us-east-1.amazonaws.com");
}

// Those requests as the proxy parses them.
inline AwsRequest Ec2(const std::string& action, const std::string& extra = "") {
  return ParseAwsRequest(Ec2Request(action, extra));
}
inline AwsRequest Asg(const std::string& action) {
  return ParseAwsRequest(AutoScalingRequest(action));
}

// A "throttling" section that parses without errors (a test failure otherwise).
inline ThrottlingConfig ThrottlingSection(std::string_view section) {
  std::vector<ConfigError> errors;
  auto config = ParseThrottlingSection(nlohmann::json::parse(section), errors);
  EXPECT_TRUE(errors.empty()) << errors.front().ToString();
  return config.value_or(ThrottlingConfig{});
}

// Waits until `condition` holds, re-checking after yielding; gives up after a generous bound so
// that a broken build fails instead of hanging. The bound is not a timing expectation: passing runs
// never come near it.
inline bool WaitUntil(const std::function<bool()>& condition,
                      std::chrono::seconds bound = std::chrono::seconds(30)) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// A TCP socket bound to a free port on 127.0.0.1; listening when asked. Closed on destruction.
class BoundSocket {
 public:
  explicit BoundSocket(bool listen) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (listen) ::listen(fd_, 1);
  }
  ~BoundSocket() { ::close(fd_); }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// A port on 127.0.0.1 where nothing listens (bound for a moment, then released).
inline int UnusedPort() { return BoundSocket(false).port(); }

// An Upstream that records what it receives and answers like EC2 would: each executed RunInstances
// gets a new reservation id. Optionally holds every call until Release(), to test requests in
// flight.
class FakeUpstream final : public Upstream {
 public:
  UpstreamResult Forward(const HttpRequest& request, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    requests_.push_back(request);
    const int call = static_cast<int>(requests_.size());
    ++in_flight_;
    cv_.notify_all();
    cv_.wait(lock, stop, [this] { return !hold_; });
    --in_flight_;
    if (stop.stop_requested()) return UpstreamResult{std::nullopt, "cancelled", true};
    if (fail_) return UpstreamResult{std::nullopt, "Connection", false};
    HttpResponse response{
        status_,
        {{"Content-Type", "text/xml;charset=UTF-8"}, {"X-Upstream-Call", std::to_string(call)}},
        "<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-" +
            std::to_string(call) + "</requestId><reservationId>r-" + std::to_string(call) +
            "</reservationId></RunInstancesResponse>"};
    return UpstreamResult{std::move(response), "", false};
  }

  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  // Blocks until `n` calls are inside Forward() (bounded, see WaitUntil).
  bool WaitForInFlight(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return in_flight_ >= n; });
  }
  void set_status(int status) {
    std::lock_guard lock(mu_);
    status_ = status;
  }
  void set_fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::size_t calls() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::vector<HttpRequest> requests_;
  int in_flight_ = 0;
  bool hold_ = false;
  bool fail_ = false;
  int status_ = 200;
};

class RecordingSink final : public EventSink {
 public:
  void OnEvent(const ProxyEvent& event) override {
    std::lock_guard lock(mu_);
    events_.push_back(event);
  }
  std::vector<ProxyEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ProxyEvent> events_;
};

}  // namespace ohfp::chaos_proxy::testing
