#include "ohfp/resilience/timer_service.h"

#include <utility>

namespace ohfp::resilience {

TimerService::Id ManualTimerService::ScheduleAt(MonoTime when, std::function<void()> callback) {
  std::lock_guard lock(mu_);
  const Id id = next_id_++;
  timers_.emplace(when, std::make_pair(id, std::move(callback)));
  return id;
}

bool ManualTimerService::Cancel(Id id) {
  std::lock_guard lock(mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return true;
    }
  }
  return false;
}

int ManualTimerService::RunDue() {
  int ran = 0;
  for (;;) {
    std::function<void()> callback;
    {
      std::lock_guard lock(mu_);
      if (timers_.empty() || timers_.begin()->first > clock_.Now()) return ran;
      auto node = timers_.extract(timers_.begin());
      callback = std::move(node.mapped().second);
    }
    callback();  // outside the lock: it may schedule or cancel timers
    ++ran;
  }
}

std::size_t ManualTimerService::pending() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

ThreadPoolExecutor::ThreadPoolExecutor(int threads) {
  const int n = threads < 1 ? 1 : threads;
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Work(); });
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPoolExecutor::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPoolExecutor::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace ohfp::resilience
