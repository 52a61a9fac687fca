// The one file of the library that reads the real clock or waits for real time.
#include <time.h>

#include <condition_variable>
#include <mutex>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/timer_service.h"

namespace ohfp::resilience {
namespace {

std::int64_t ReadNs(clockid_t id) noexcept {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

MonoTime SystemClock::Now() const noexcept {
  // CLOCK_MONOTONIC_COARSE shares CLOCK_MONOTONIC's origin (std::chrono::steady_clock's), at tick
  // resolution.
  return MonoTime(Duration(
      ReadNs(resolution_ == Resolution::kCoarse ? CLOCK_MONOTONIC_COARSE : CLOCK_MONOTONIC)));
}

SysTime SystemClock::SystemNow() const noexcept {
  return SysTime(Duration(
      ReadNs(resolution_ == Resolution::kCoarse ? CLOCK_REALTIME_COARSE : CLOCK_REALTIME)));
}

bool SystemClock::SleepFor(Duration duration, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  if (duration <= Duration::zero()) return true;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // wait_for with a stop token returns true only if the predicate (never true here) held; stop ends
  // it early.
  cv.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

ThreadTimerService::ThreadTimerService() : thread_([this](std::stop_token stop) { Run(stop); }) {}

ThreadTimerService::~ThreadTimerService() {
  thread_.request_stop();
  {
    std::lock_guard lock(mu_);
    timers_.clear();
  }
  cv_.notify_all();
}

TimerService::Id ThreadTimerService::ScheduleAt(MonoTime when, std::function<void()> callback) {
  Id id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    timers_.emplace(when, std::make_pair(id, std::move(callback)));
  }
  cv_.notify_all();
  return id;
}

bool ThreadTimerService::Cancel(Id id) {
  std::unique_lock lock(mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return true;
    }
  }
  if (running_ == id && std::this_thread::get_id() != thread_.get_id()) {
    done_cv_.wait(lock, [&] { return running_ != id; });
  }
  return false;
}

void ThreadTimerService::Run(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (timers_.empty()) {
      cv_.wait(lock, stop, [&] { return !timers_.empty(); });
      continue;
    }
    const MonoTime next = timers_.begin()->first;
    // steady_clock is CLOCK_MONOTONIC, the origin of SystemClock::Now().
    if (std::chrono::steady_clock::now() < next) {
      cv_.wait_until(lock, stop, next,
                     [&] { return !timers_.empty() && timers_.begin()->first < next; });
      continue;
    }
    auto node = timers_.extract(timers_.begin());
    running_ = node.mapped().first;
    lock.unlock();
    node.mapped().second();
    lock.lock();
    running_ = 0;
    done_cv_.notify_all();
  }
}

}  // namespace ohfp::resilience
