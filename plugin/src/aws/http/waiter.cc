#include "aws/http/waiter.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

namespace ohfp::aws::http {
namespace {

// The longest single poll(): the deadline is re-read from the injected clock at least this often.
constexpr std::int64_t kPollSliceMs = 1000;

}  // namespace

void Waiter::Wake::operator()() const noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(fd, &one, sizeof(one));
}

Waiter::Waiter(const resilience::Clock& clock, resilience::Deadline deadline, std::stop_token stop)
    : clock_(clock), deadline_(deadline), stop_(std::move(stop)) {
  if (stop_.stop_possible()) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ >= 0) on_stop_.emplace(stop_, Wake{wake_fd_});
  }
}

Waiter::~Waiter() {
  on_stop_.reset();  // unregisters (waiting for a running callback) before the fd closes
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

WaitResult Waiter::Wait(int fd, short events, resilience::Deadline limit) const {
  const resilience::Deadline until = deadline_.Min(limit);
  while (true) {
    if (stop_.stop_requested()) return WaitResult::kCancelled;
    const resilience::Duration remaining = until.Remaining(clock_.Now());
    if (remaining <= resilience::Duration::zero()) return WaitResult::kTimeout;
    const std::int64_t ms =
        until.is_infinite()
            ? kPollSliceMs
            : std::clamp<std::int64_t>(
                  std::chrono::ceil<std::chrono::milliseconds>(remaining).count(), 1, kPollSliceMs);
    pollfd fds[2] = {{fd, events, 0}, {wake_fd_, POLLIN, 0}};
    const nfds_t count = wake_fd_ >= 0 ? 2 : 1;
    const int ready = ::poll(fds, count, static_cast<int>(ms));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return WaitResult::kReady;  // let the I/O call report what is wrong
    }
    if (count == 2 && fds[1].revents != 0) return WaitResult::kCancelled;
    if (fds[0].revents != 0) return WaitResult::kReady;
  }
}

}  // namespace ohfp::aws::http
