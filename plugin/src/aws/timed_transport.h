// aws/timed_transport.h
//
// TimedTransport: an HttpTransport that passes every request to another one and adds up how many
// round trips it made and how long they took. A command logs the totals, so its log line says how
// much of its wall time was AWS and how much was ohfp's own work.
//
// Thread-safety: Send() is safe from any thread when the inner transport's is; Totals() may be
// read at any time.
//
// Example:
//   TimedTransport timed(sockets, precise_clock);
//   AwsClient client(region, endpoints, {.transport = timed, ...});
//   ... commands ...
//   TransportTotals t = timed.Totals();   // t.calls, t.time
#pragma once

#include <atomic>
#include <cstdint>

#include "aws/http_transport.h"
#include "ohfp/resilience/clock.h"

namespace ohfp::aws {

struct TransportTotals {
  std::int64_t calls = 0;
  resilience::Duration time{0};
};

class TimedTransport final : public HttpTransport {
 public:
  TimedTransport(HttpTransport& inner, const resilience::Clock& clock)
      : inner_(inner), clock_(clock) {}

  resilience::Result<HttpResponse> Send(const HttpRequest& request, resilience::Deadline deadline,
                                        std::stop_token stop) override {
    const resilience::MonoTime start = clock_.Now();
    resilience::Result<HttpResponse> r = inner_.Send(request, deadline, stop);
    nanos_.fetch_add((clock_.Now() - start).count(), std::memory_order_relaxed);
    calls_.fetch_add(1, std::memory_order_relaxed);
    return r;
  }

  TransportTotals Totals() const noexcept {
    return {calls_.load(std::memory_order_relaxed),
            resilience::Duration(nanos_.load(std::memory_order_relaxed))};
  }

 private:
  HttpTransport& inner_;
  const resilience::Clock& clock_;
  std::atomic<std::int64_t> calls_{0};
  std::atomic<resilience::Duration::rep> nanos_{0};
};

}  // namespace ohfp::aws
