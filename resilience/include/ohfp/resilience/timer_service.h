// ohfp/resilience/timer_service.h
//
// TimerService runs callbacks at points in monotonic time; Executor runs tasks. Both serve the
// asynchronous timeout (timeout.h) and the stop-token form of TimeoutManager::ExecuteWithTimeout.
// One timer thread serves every timeout in a process: no thread is started per call.
//
//  - ThreadTimerService: one background thread, for real time (use with SystemClock).
//  - ManualTimerService: fires due timers when RunDue() is called, for a ManualClock.
//  - ThreadPoolExecutor: a fixed number of worker threads.
//
// Thread-safety: all methods are safe from any thread. Callbacks run on the timer's thread
// (RunDue()'s caller for the manual one) and must not block for long.
//
// Example:
//   ThreadTimerService timers;
//   TimerService::Id id = timers.ScheduleAt(clock.Now() + 5s, [] { std::puts("five seconds"); });
//   timers.Cancel(id);
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::resilience {

class TimerService {
 public:
  using Id = std::uint64_t;
  virtual ~TimerService() = default;
  // Runs `callback` at (or soon after) `when`. Never runs it inline.
  virtual Id ScheduleAt(MonoTime when, std::function<void()> callback) = 0;
  // Cancels timer `id`. Returns true if the callback will not run. If it is running on another
  // thread, waits for it to finish first (so the caller may free what it uses) and returns false.
  virtual bool Cancel(Id id) = 0;
};

class ThreadTimerService final : public TimerService {
 public:
  ThreadTimerService();
  ~ThreadTimerService() override;  // cancels pending timers and joins the thread
  ThreadTimerService(const ThreadTimerService&) = delete;
  ThreadTimerService& operator=(const ThreadTimerService&) = delete;

  Id ScheduleAt(MonoTime when, std::function<void()> callback) override;
  bool Cancel(Id id) override;

 private:
  void Run(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::multimap<MonoTime, std::pair<Id, std::function<void()>>> timers_;
  Id next_id_ = 1;
  Id running_ = 0;  // the id whose callback is running, 0 for none
  std::condition_variable_any done_cv_;
  std::jthread thread_;  // last: started after the members it uses
};

class ManualTimerService final : public TimerService {
 public:
  explicit ManualTimerService(const ManualClock& clock) noexcept : clock_(clock) {}

  Id ScheduleAt(MonoTime when, std::function<void()> callback) override;
  bool Cancel(Id id) override;
  // Runs, in time order, every callback due at clock.Now(). Returns how many ran.
  int RunDue();
  std::size_t pending() const;

 private:
  const ManualClock& clock_;
  mutable std::mutex mu_;
  std::multimap<MonoTime, std::pair<Id, std::function<void()>>> timers_;
  Id next_id_ = 1;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Post(std::function<void()> task) = 0;
};

class ThreadPoolExecutor final : public Executor {
 public:
  explicit ThreadPoolExecutor(int threads);
  ~ThreadPoolExecutor() override;  // runs the tasks already posted, then joins
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  void Post(std::function<void()> task) override;

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ohfp::resilience
