// ohfp/resilience/timeout.h
//
// TimeoutManager: the seed's per-operation timeouts (a default plus set_operation_timeout /
// get_operation_timeout) and execute_with_timeout, enforced by a deadline instead of the seed's
// SIGALRM (which works only on the main thread, in whole seconds, and cannot interrupt I/O safely):
//
//  - The callable receives its Deadline, or a std::stop_token, or nothing; it hands the time left
//    to its I/O (libcurl's CURLOPT_TIMEOUT_MS, a condition variable's wait_until). With a
//    TimerService the stop token is triggered at the deadline by the service's one shared thread;
//    no thread is started per call.
//  - A failure after the deadline becomes kTimeout, "Operation NAME timed out after N seconds"
//    (the seed's text); a success is never thrown away, even if it came late (a late
//    RunInstances success has launched instances).
//  - A callable that takes neither cannot be interrupted; it still gets the timeout verdict on
//    failure.
//
// ExecuteWithAsyncTimeout is the seed's execute_with_async_timeout: the work runs on an Executor,
// the returned future completes with the work's result or, at the deadline, with kTimeout ("Async
// operation timed out after N seconds") while the work's stop token is triggered; a result that
// arrives later is dropped.
//
// Thread-safety: configure with SetOperationTimeout before sharing; afterwards every const method
// and ExecuteWithTimeout are safe from any thread.
//
// Example:
//   TimeoutManager timeouts(clock, 30s);
//   timeouts.SetOperationTimeout("ec2_run_instances", 180s);
//   Result<int> r = timeouts.ExecuteWithTimeout([&](Deadline d) { return http.Post(request, d); },
//                                               "ec2_run_instances");
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/error.h"
#include "ohfp/resilience/exceptions.h"
#include "ohfp/resilience/result.h"
#include "ohfp/resilience/timer_service.h"

namespace ohfp::resilience {

// "Operation NAME timed out after N seconds", keeping `cause`'s code in the message when given.
Error OperationTimeoutError(std::string_view operation, Duration timeout,
                            const Error* cause = nullptr);
// "Async operation timed out after N seconds".
Error AsyncTimeoutError(Duration timeout);
// "30", "0.5", "1.25": seconds as the seed prints them.
std::string FormatSeconds(Duration duration);

class TimeoutManager {
 public:
  // `timers` (optional) triggers stop tokens at deadlines; it must outlive the manager.
  explicit TimeoutManager(Clock& clock, Duration default_timeout = std::chrono::seconds(30),
                          TimerService* timers = nullptr)
      : clock_(clock), default_timeout_(default_timeout), timers_(timers) {}

  void SetOperationTimeout(std::string operation, Duration timeout) {
    timeouts_.insert_or_assign(std::move(operation), timeout);
  }
  Duration GetOperationTimeout(std::string_view operation) const {
    auto it = timeouts_.find(operation);
    return it == timeouts_.end() ? default_timeout_ : it->second;
  }
  Duration default_timeout() const noexcept { return default_timeout_; }

  // Runs `f` under the operation's timeout. `f` takes (Deadline), (std::stop_token) or (), and
  // returns Result<T> (a failure after the deadline becomes kTimeout) or any other type (an
  // exception thrown after the deadline becomes TimeoutError). `stop` lets the caller cancel as
  // well.
  template <class F>
  auto ExecuteWithTimeout(F&& f, std::string_view operation, std::stop_token stop = {}) {
    const Duration timeout = GetOperationTimeout(operation);
    const Deadline deadline = Deadline::After(clock_.Now(), timeout);
    if constexpr (std::is_invocable_v<F&, Deadline>) {
      return Finish(operation, timeout, deadline, stop, [&] { return std::invoke(f, deadline); });
    } else if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      std::stop_source source;
      std::stop_callback forward(stop, [&source] { source.request_stop(); });
      TimerService::Id timer = 0;
      if (timers_ != nullptr)
        timer = timers_->ScheduleAt(deadline.when(), [&source] { source.request_stop(); });
      struct CancelTimer {
        TimerService* timers;
        TimerService::Id id;
        ~CancelTimer() {
          if (timers != nullptr) timers->Cancel(id);
        }
      } cancel_timer{timers_, timer};
      return Finish(operation, timeout, deadline, stop,
                    [&] { return std::invoke(f, source.get_token()); });
    } else {
      static_assert(std::is_invocable_v<F&>,
                    "the callable must take (Deadline), (std::stop_token) or ()");
      return Finish(operation, timeout, deadline, stop, [&] { return std::invoke(f); });
    }
  }

 private:
  template <class Run>
  auto Finish(std::string_view operation, Duration timeout, Deadline deadline,
              const std::stop_token& stop, Run&& run) {
    using R = std::invoke_result_t<Run&>;
    if constexpr (kIsResult<R>) {
      R result = run();
      if (!result.ok() && deadline.Expired(clock_.Now()) && !stop.stop_requested()) {
        return R(OperationTimeoutError(operation, timeout, &result.error()));
      }
      return result;
    } else {
      try {
        return run();
      } catch (const std::logic_error&) {
        throw;
      } catch (const std::exception&) {
        if (deadline.Expired(clock_.Now()) && !stop.stop_requested()) {
          throw TimeoutError(OperationTimeoutError(operation, timeout));
        }
        throw;
      }
    }
  }

  Clock& clock_;
  Duration default_timeout_;
  TimerService* timers_;
  std::map<std::string, Duration, std::less<>> timeouts_;
};

// The seed's execute_with_async_timeout. `work(std::stop_token)` returns Result<T> and runs on
// `executor`; the future holds its result, or kTimeout at `timeout` after the call (the work's
// token is then triggered and its late result dropped). `timers` and `executor` must outlive the
// work.
template <class F>
auto ExecuteWithAsyncTimeout(Executor& executor, TimerService& timers, Clock& clock, F work,
                             Duration timeout)
    -> std::future<std::invoke_result_t<F&, std::stop_token>> {
  using R = std::invoke_result_t<F&, std::stop_token>;
  static_assert(kIsResult<R>, "the work must return Result<T>");
  struct State {
    std::promise<R> promise;
    std::atomic<bool> done{false};
    std::stop_source stop;
    std::atomic<TimerService::Id> timer{0};
  };
  auto state = std::make_shared<State>();
  std::future<R> future = state->promise.get_future();
  state->timer.store(timers.ScheduleAt(Deadline::After(clock.Now(), timeout).when(),
                                       [state, timeout] {
                                         if (!state->done.exchange(true)) {
                                           state->promise.set_value(R(AsyncTimeoutError(timeout)));
                                         }
                                         state->stop.request_stop();
                                       }),
                     std::memory_order_release);
  executor.Post([state, &timers, work = std::move(work)]() mutable {
    R result = work(state->stop.get_token());
    if (!state->done.exchange(true)) {
      timers.Cancel(state->timer.load(std::memory_order_acquire));
      state->promise.set_value(std::move(result));
    }
  });
  return future;
}

}  // namespace ohfp::resilience
