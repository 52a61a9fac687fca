// ohfp/chaos_proxy/log_sink.h
//
// LogSink turns the proxy's events into one human-readable line each, for stderr:
//   2026-01-01T00:00:12.345Z chaos-proxy t=12.345s fault=throttle rule=slow-ec2
//       action=DescribeInstances service=ec2 status=503
// (on one line). The wall-clock timestamp comes from the injected Clock.
//
// Thread-safety: OnEvent() is safe from any thread; each line is written whole, under a mutex.
//
// Example:
//   LogSink log(clock, std::cerr);
//   ChaosProxy proxy(clock, random, upstream, rules, options, quiet ? nullptr : &log);
#pragma once

#include <mutex>
#include <ostream>
#include <string>

#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/resilience/clock.h"

namespace ohfp::chaos_proxy {

// The line for `event`, without timestamp or newline: "fault=throttle rule=... action=...
// status=503".
std::string FormatEvent(const ProxyEvent& event);

class LogSink final : public EventSink {
 public:
  LogSink(const resilience::Clock& clock, std::ostream& out) : clock_(clock), out_(out) {}
  void OnEvent(const ProxyEvent& event) override;

 private:
  const resilience::Clock& clock_;
  std::mutex mu_;
  std::ostream& out_;  // guarded by mu_
};

}  // namespace ohfp::chaos_proxy
