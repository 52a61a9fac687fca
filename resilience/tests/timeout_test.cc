#include "ohfp/resilience/timeout.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "ohfp/resilience/manual_clock.h"

namespace ohfp::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TimeoutManager, OperationTimeoutsFallBackToTheDefault) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(30));
  timeouts.SetOperationTimeout("ec2_run_instances", seconds(180));
  timeouts.SetOperationTimeout("ec2_terminate_instances", seconds(60));
  EXPECT_EQ(timeouts.GetOperationTimeout("ec2_run_instances"), seconds(180));
  EXPECT_EQ(timeouts.GetOperationTimeout("ec2_terminate_instances"), seconds(60));
  EXPECT_EQ(timeouts.GetOperationTimeout("anything_else"), seconds(30));
  timeouts.SetOperationTimeout("ec2_run_instances", seconds(90));
  EXPECT_EQ(timeouts.GetOperationTimeout("ec2_run_instances"), seconds(90));
}

TEST(TimeoutManager, TheCallableReceivesItsDeadline) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(30));
  timeouts.SetOperationTimeout("ec2_run_instances", seconds(180));
  const MonoTime start = clock.Now();
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&](Deadline d) -> Result<int> {
        EXPECT_EQ(d.when(), start + seconds(180));
        return 1;
      },
      "ec2_run_instances");
  EXPECT_TRUE(r.ok());
}

TEST(TimeoutManager, AFailureAfterTheDeadlineIsATimeoutWithTheSeedsMessage) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(30));
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&](Deadline) -> Result<int> {
        clock.Advance(seconds(31));
        return Error(ErrorKind::kTransient, "InternalError", "late");
      },
      "ec2_describe_instances");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(r.error().message(),
            "Operation ec2_describe_instances timed out after 30 seconds (last error: "
            "InternalError: late)");
}

TEST(TimeoutManager, AFailureBeforeTheDeadlineStaysWhatItWas) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(30));
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&]() -> Result<int> { return Error(ErrorKind::kValidation, "InvalidParameterValue", ""); },
      "op");
  EXPECT_EQ(r.error().kind(), ErrorKind::kValidation);
}

TEST(TimeoutManager, ALateSuccessIsKept) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(1));
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&]() -> Result<int> {
        clock.Advance(seconds(5));
        return 9;  // e.g. RunInstances answered late: the instances exist
      },
      "op");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 9);
}

TEST(TimeoutManager, TheStopTokenFiresAtTheDeadline) {
  ManualClock clock;
  ManualTimerService timers(clock);
  TimeoutManager timeouts(clock, seconds(10), &timers);
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&](std::stop_token stop) -> Result<int> {
        EXPECT_EQ(timers.pending(), 1U);
        clock.Advance(seconds(9));
        timers.RunDue();
        EXPECT_FALSE(stop.stop_requested());
        clock.Advance(seconds(1));
        timers.RunDue();
        EXPECT_TRUE(stop.stop_requested());
        return Error(ErrorKind::kCancelled);
      },
      "op");
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(timers.pending(), 0U);
}

TEST(TimeoutManager, TheTimerIsCancelledWhenTheCallReturnsEarly) {
  ManualClock clock;
  ManualTimerService timers(clock);
  TimeoutManager timeouts(clock, seconds(10), &timers);
  Result<int> r = timeouts.ExecuteWithTimeout([](std::stop_token) { return Result<int>(3); }, "op");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(timers.pending(), 0U);
}

TEST(TimeoutManager, TheCallersStopIsACancellationNotATimeout) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(10));
  std::stop_source caller;
  Result<int> r = timeouts.ExecuteWithTimeout(
      [&](std::stop_token stop) -> Result<int> {
        caller.request_stop();
        EXPECT_TRUE(stop.stop_requested());
        clock.Advance(seconds(11));
        return Error(ErrorKind::kCancelled);
      },
      "op", caller.get_token());
  EXPECT_EQ(r.error().kind(), ErrorKind::kCancelled);
}

TEST(TimeoutManager, ExceptionsAfterTheDeadlineBecomeTimeoutError) {
  ManualClock clock;
  TimeoutManager timeouts(clock, seconds(2));
  EXPECT_THROW(timeouts.ExecuteWithTimeout(
                   [&]() -> int {
                     clock.Advance(seconds(3));
                     throw std::runtime_error("socket closed");
                   },
                   "op"),
               TimeoutError);
  EXPECT_THROW(
      timeouts.ExecuteWithTimeout([]() -> int { throw std::runtime_error("early"); }, "op"),
      std::runtime_error);
}

TEST(FormatSeconds, PrintsLikeTheSeed) {
  EXPECT_EQ(FormatSeconds(seconds(30)), "30");
  EXPECT_EQ(FormatSeconds(milliseconds(500)), "0.5");
  EXPECT_EQ(FormatSeconds(milliseconds(1250)), "1.25");
  EXPECT_EQ(FormatSeconds(Duration::zero()), "0");
}

// A work item that blocks until its stop token fires or the test releases it.
class Gate {
 public:
  Result<int> Wait(std::stop_token stop) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [&] { return open_; });
    if (stop.stop_requested()) return Error(ErrorKind::kCancelled);
    return 5;
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool open_ = false;
};

TEST(AsyncTimeout, CompletesWithTimeoutAtTheDeadlineAndCancelsTheWork) {
  ManualClock clock;
  ManualTimerService timers(clock);
  ThreadPoolExecutor executor(1);
  Gate gate;
  std::atomic<bool> saw_stop{false};
  std::future<Result<int>> f = ExecuteWithAsyncTimeout(
      executor, timers, clock,
      [&](std::stop_token stop) {
        Result<int> r = gate.Wait(stop);
        saw_stop = stop.stop_requested();
        return r;
      },
      seconds(5));
  clock.Advance(seconds(5));
  timers.RunDue();
  Result<int> r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(r.error().message(), "Async operation timed out after 5 seconds");
  // The executor's destructor waits for the work, which saw the stop request.
}

TEST(AsyncTimeout, CompletesWithTheResultWhenTheWorkIsFirst) {
  ManualClock clock;
  ManualTimerService timers(clock);
  Result<int> r = Error(ErrorKind::kUnknown);
  {
    ThreadPoolExecutor executor(1);
    std::future<Result<int>> f = ExecuteWithAsyncTimeout(
        executor, timers, clock, [](std::stop_token) { return Result<int>(8); }, seconds(5));
    r = f.get();
  }
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 8);
  EXPECT_EQ(timers.pending(), 0U) << "the timer is cancelled once the work has answered";
}

TEST(ThreadTimerService, RunsCallbacksAndCancelsPendingOnes) {
  SystemClock clock(SystemClock::Resolution::kPrecise);
  ThreadTimerService timers;
  std::promise<void> fired;
  timers.ScheduleAt(clock.Now() + milliseconds(1), [&] { fired.set_value(); });
  bool ran_cancelled = false;
  const TimerService::Id late =
      timers.ScheduleAt(clock.Now() + std::chrono::hours(1), [&] { ran_cancelled = true; });
  EXPECT_EQ(fired.get_future().wait_for(seconds(30)), std::future_status::ready);
  EXPECT_TRUE(timers.Cancel(late));
  EXPECT_FALSE(ran_cancelled);
}

TEST(SystemClock, SleepForEndsEarlyOnStop) {
  SystemClock clock;
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(clock.SleepFor(std::chrono::hours(1), stop.get_token()));
  EXPECT_TRUE(clock.SleepFor(Duration::zero(), {}));
}

}  // namespace
}  // namespace ohfp::resilience
