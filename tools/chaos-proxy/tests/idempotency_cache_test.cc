#include "ohfp/chaos_proxy/idempotency_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using Verdict = IdempotencyCache::Verdict;

HttpResponse Answer(int status, std::string body) {
  return HttpResponse{status, {{"X", "y"}}, std::move(body)};
}

TEST(IdempotencyCache, TheFirstRequestRunsAndARepeatReplaysItsAnswer) {
  IdempotencyCache cache;
  {
    auto ticket = cache.Acquire("RunInstances", "tok", "params-1", {});
    ASSERT_EQ(ticket.verdict(), Verdict::kExecute);
    ticket.Complete(Answer(200, "r-1"));
  }
  EXPECT_EQ(cache.size(), 1u);
  auto repeat = cache.Acquire("RunInstances", "tok", "params-1", {});
  ASSERT_EQ(repeat.verdict(), Verdict::kReplay);
  EXPECT_EQ(repeat.recorded().status, 200);
  EXPECT_EQ(repeat.recorded().body, "r-1");
  EXPECT_EQ(repeat.recorded().headers, (Headers{{"X", "y"}}));
}

TEST(IdempotencyCache, ARepeatWithDifferentParametersIsAMismatch) {
  IdempotencyCache cache;
  cache.Acquire("RunInstances", "tok", "params-1", {}).Complete(Answer(200, "r-1"));
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "params-2", {}).verdict(), Verdict::kMismatch);
  // The original stays: the right parameters still replay.
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "params-1", {}).verdict(), Verdict::kReplay);
}

TEST(IdempotencyCache, FailedAnswersAreNotRecorded) {
  IdempotencyCache cache;
  cache.Acquire("RunInstances", "tok", "params-1", {}).Complete(Answer(503, "throttled"));
  EXPECT_EQ(cache.size(), 0u);
  // Not even the parameters: a corrected retry with the same token runs.
  auto retry = cache.Acquire("RunInstances", "tok", "params-2", {});
  EXPECT_EQ(retry.verdict(), Verdict::kExecute);
}

TEST(IdempotencyCache, AnAbandonedTicketLetsTheNextRequestRun) {
  IdempotencyCache cache;
  { auto ticket = cache.Acquire("RunInstances", "tok", "p", {}); }  // the upstream call failed
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "p", {}).verdict(), Verdict::kExecute);
}

TEST(IdempotencyCache, KeysAreActionAndToken) {
  IdempotencyCache cache;
  cache.Acquire("RunInstances", "tok", "p", {}).Complete(Answer(200, "run"));
  EXPECT_EQ(cache.Acquire("CreateFleet", "tok", "p", {}).verdict(), Verdict::kExecute);
  EXPECT_EQ(cache.Acquire("RunInstances", "TOK", "p", {}).verdict(),
            Verdict::kExecute);  // case-sensitive
  // A token that looks like the end of the action name does not collide.
  cache.Acquire("Run", "Instancestok", "p", {}).Complete(Answer(200, "other"));
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "p", {}).recorded().body, "run");
}

TEST(IdempotencyCache, ConcurrentRequestsWithOneTokenRunOnce) {
  IdempotencyCache cache;
  auto first = cache.Acquire("RunInstances", "tok", "p", {});
  ASSERT_EQ(first.verdict(), Verdict::kExecute);

  Verdict second_verdict = Verdict::kExecute;
  std::string second_body;
  std::thread second([&] {
    auto ticket = cache.Acquire("RunInstances", "tok", "p", {});
    second_verdict = ticket.verdict();
    if (ticket.verdict() == Verdict::kReplay) second_body = ticket.recorded().body;
  });
  ASSERT_TRUE(
      testing::WaitUntil([&] { return cache.waiting() == 1; }));  // it queued behind the first
  first.Complete(Answer(200, "r-1"));
  second.join();
  EXPECT_EQ(second_verdict, Verdict::kReplay);
  EXPECT_EQ(second_body, "r-1");
  EXPECT_EQ(cache.waiting(), 0u);
}

TEST(IdempotencyCache, AWaiterRunsWhenTheRequestAheadFails) {
  IdempotencyCache cache;
  std::optional<IdempotencyCache::Ticket> first(cache.Acquire("RunInstances", "tok", "p", {}));
  Verdict second_verdict = Verdict::kReplay;
  std::thread second([&] {
    auto ticket = cache.Acquire("RunInstances", "tok", "p", {});
    second_verdict = ticket.verdict();
    if (ticket.verdict() == Verdict::kExecute) ticket.Complete(Answer(200, "r-2"));
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return cache.waiting() == 1; }));
  first.reset();  // failed without an answer
  second.join();
  EXPECT_EQ(second_verdict, Verdict::kExecute);
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "p", {}).recorded().body, "r-2");
}

TEST(IdempotencyCache, StoppingCancelsAWaiter) {
  IdempotencyCache cache;
  auto first = cache.Acquire("RunInstances", "tok", "p", {});
  std::stop_source stop;
  Verdict second_verdict = Verdict::kExecute;
  std::thread second([&] {
    second_verdict = cache.Acquire("RunInstances", "tok", "p", stop.get_token()).verdict();
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return cache.waiting() == 1; }));
  stop.request_stop();
  second.join();
  EXPECT_EQ(second_verdict, Verdict::kCancelled);
}

TEST(IdempotencyCache, ManyThreadsWithOneTokenRunOnceAndAllGetTheSameAnswer) {
  IdempotencyCache cache;
  std::atomic<int> executed{0};
  std::vector<std::string> bodies(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] {
      auto ticket = cache.Acquire("RunInstances", "tok", "p", {});
      if (ticket.verdict() == Verdict::kExecute) {
        const int n = executed.fetch_add(1) + 1;
        ticket.Complete(Answer(200, "r-" + std::to_string(n)));
        bodies[i] = "r-" + std::to_string(n);
      } else {
        bodies[i] = ticket.recorded().body;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(executed.load(), 1);
  for (const auto& body : bodies) EXPECT_EQ(body, "r-1");
}

TEST(IdempotencyCache, KeepsAtMostCapacityAnswersForgettingTheOldest) {
  IdempotencyCache cache(2);
  for (const std::string token : {"a", "b", "c"}) {
    cache.Acquire("RunInstances", token, "p", {}).Complete(Answer(200, token));
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Acquire("RunInstances", "a", "p", {}).verdict(), Verdict::kExecute);  // forgotten
  EXPECT_EQ(cache.Acquire("RunInstances", "c", "p", {}).verdict(), Verdict::kReplay);
}

TEST(IdempotencyCache, ClearForgetsRecordedAnswers) {
  IdempotencyCache cache;
  cache.Acquire("RunInstances", "tok", "p", {}).Complete(Answer(200, "r"));
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Acquire("RunInstances", "tok", "p", {}).verdict(), Verdict::kExecute);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
