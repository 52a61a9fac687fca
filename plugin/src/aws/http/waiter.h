// aws/http/waiter.h
//
// Waiter: what every blocking step of one HTTP exchange waits on: a file descriptor becoming ready,
// the exchange's deadline (on the injected clock) passing, or its stop token being triggered. A
// stop request from another thread wakes a waiting poll() at once, through an eventfd that a
// std::stop_callback writes to; no signals are involved.
//
// Thread-safety: one Waiter belongs to one exchange on one thread; its stop token may be triggered
// from any thread.
//
// Example:
//   Waiter waiter(clock, deadline, stop);
//   switch (waiter.Wait(fd, POLLIN)) { case WaitResult::kReady: read(fd, ...); ... }
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"

namespace ohfp::aws::http {

enum class WaitResult : std::uint8_t { kReady, kTimeout, kCancelled };

class Waiter {
 public:
  Waiter(const resilience::Clock& clock, resilience::Deadline deadline, std::stop_token stop);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Waits until `fd` is ready for `events` (POLLIN, POLLOUT; an error or hang-up counts as ready,
  // so the next I/O call reports it), until the earlier of the exchange's deadline and `limit`,
  // or until a stop is requested.
  WaitResult Wait(int fd, short events,
                  resilience::Deadline limit = resilience::Deadline::Infinite()) const;

  bool stop_requested() const noexcept { return stop_.stop_requested(); }
  const resilience::Clock& clock() const noexcept { return clock_; }
  resilience::Deadline deadline() const noexcept { return deadline_; }

 private:
  struct Wake {
    int fd;
    void operator()() const noexcept;
  };

  const resilience::Clock& clock_;
  const resilience::Deadline deadline_;
  const std::stop_token stop_;
  int wake_fd_ = -1;  // an eventfd, only when a stop is possible
  std::optional<std::stop_callback<Wake>> on_stop_;
};

}  // namespace ohfp::aws::http
