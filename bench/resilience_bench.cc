// Micro-benchmarks of the resilience layer's hot paths. Every figure is meant to be read as a ratio
// to BM_BareCall, measured in the same run: a call through std::function that the compiler cannot
// inline. The rate limiter's figures are read against their own baselines from the same run: the
// pipeline without it (BM_PipelineSuccess) in memory, and on SQLite (with the plugin built) a
// breaker read from the SqliteStateStore (BM_SqliteBreakerRead) and a pipeline call with the
// SQLite store but no limiter (BM_SqlitePipelineSuccess).
//
//   build/default/bench/ohfp_resilience_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true python3 bench/ratios.py < results.json     (see
//   docs/benchmarks.md)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "ohfp/resilience/circuit_breaker.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/retry.h"
#include "ohfp/resilience/simulation.h"
#include "ohfp/resilience/state_store.h"
#include "ohfp/resilience/timeout.h"
#ifdef OHFP_BENCH_SQLITE
#include "store/sqlite_state_store.h"
#endif

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;

[[gnu::noinline]] Result<int> Work() { return Result<int>(1); }

// The protected operation: a std::function the optimizer cannot see through.
std::function<Result<int>()> Operation() {
  std::function<Result<int>()> f = Work;
  benchmark::DoNotOptimize(f);
  return f;
}

// Objects shared by the threads of a multi-threaded benchmark.
struct Shared {
  SystemClock clock;
  InMemoryStateStore store;
  CircuitBreaker breaker{"aws_ec2", {}, store, clock};
};
Shared& SharedBreaker() {
  static Shared shared;  // one breaker for every thread of BM_CircuitBreakerClosed/threads:2
  return shared;
}

void BM_BareCall(benchmark::State& state) {
  auto fn = Operation();
  for (auto _ : state) {
    Result<int> r = fn();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_BareCall);
BENCHMARK(BM_BareCall)->Threads(2);

void BM_CircuitBreakerClosed(benchmark::State& state) {
  auto fn = Operation();
  CircuitBreaker& breaker = SharedBreaker().breaker;
  for (auto _ : state) {
    Result<int> r = breaker.Call(fn);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CircuitBreakerClosed);
BENCHMARK(BM_CircuitBreakerClosed)->Threads(2);

void BM_CircuitBreakerOpenRejected(benchmark::State& state) {
  auto fn = Operation();
  SystemClock clock;
  InMemoryStateStore store;
  CircuitBreaker breaker("aws_ec2", {.failure_threshold = 1, .reset_timeout = seconds(3600)}, store,
                         clock);
  (void)breaker.Call([] { return Result<int>(Error(ErrorKind::kThrottled)); });
  for (auto _ : state) {
    Result<int> r = breaker.Call(fn);
    benchmark::DoNotOptimize(r);
  }
  if (breaker.state() != CircuitState::kOpen) state.SkipWithError("the circuit was not open");
}
BENCHMARK(BM_CircuitBreakerOpenRejected);

void BM_RetrySuccess(benchmark::State& state) {
  auto fn = Operation();
  SystemClock clock;
  SeededRandom rng(1);
  ExponentialBackoffStrategy retry = MakeAwsRetryStrategy(RetryOptions{}, clock, rng);
  for (auto _ : state) {
    Result<int> r = retry.Execute(fn);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_RetrySuccess);

void BM_TimeoutSuccess(benchmark::State& state) {
  auto fn = Operation();
  SystemClock clock;
  TimeoutManager timeouts(clock, seconds(30));
  timeouts.SetOperationTimeout("ec2_run_instances", seconds(180));
  for (auto _ : state) {
    Result<int> r =
        timeouts.ExecuteWithTimeout([&](Deadline) { return fn(); }, "ec2_run_instances");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TimeoutSuccess);

// A pipeline call in memory: `config`, `observer` attached when not null, `resources` instance
// tokens (Execute(op, fn) takes one).
void MemoryPipeline(benchmark::State& state, const ResilienceConfig& config,
                    ResilienceObserver* observer, ResiliencePipeline::Resources resources) {
  auto fn = Operation();
  SystemClock clock;
  SeededRandom rng(1);
  InMemoryStateStore store;
  ResiliencePipeline pipeline(config, {clock, rng, store, observer});
  const resilience::Operation& op = pipeline.operation("ec2_run_instances");
  for (auto _ : state) {
    Result<int> r = pipeline.Execute(op, resources, fn);
    benchmark::DoNotOptimize(r);
  }
}

void BM_PipelineSuccess(benchmark::State& state) {
  MemoryPipeline(state, ResilienceConfig{}, nullptr, {1});
}
BENCHMARK(BM_PipelineSuccess);

// The same, with an observer attached (what the plugin runs: events go to the log adapter).
void BM_PipelineSuccessObserved(benchmark::State& state) {
  ResilienceObserver quiet;  // every method is a no-op
  MemoryPipeline(state, ResilienceConfig{}, &quiet, {1});
}
BENCHMARK(BM_PipelineSuccessObserved);

// A rate limiter whose buckets always have tokens: RunInstances' request and instance buckets,
// as the plugin configures them, but large enough never to make a caller wait.
ResilienceConfig Limited() {
  ResilienceConfig config;
  config.rate_limiter.enabled = true;
  config.rate_limiter.scope = "123456789012/us-east-1";
  config.rate_limiter.buckets = {
      {"ec2:RunInstances", {.capacity = 1e12, .refill_rate = 1e12}},
      {"ec2:RunInstances:instances", {.capacity = 1e12, .refill_rate = 1e12}}};
  config.rate_limiter.operations = {
      {"ec2_run_instances",
       {.buckets = {"ec2:RunInstances"}, .resource_buckets = {"ec2:RunInstances:instances"}}}};
  return config;
}

// Acquire() alone, tokens available, in memory.
void BM_LimiterAcquire(benchmark::State& state) {
  SystemClock clock;
  InMemoryStateStore store;
  RateLimiter limiter(Limited().rate_limiter, store, clock);
  const RateLimiter::Plan plan = limiter.PlanFor("ec2_run_instances");
  for (auto _ : state) {
    RateLimiter::Grant g = limiter.Acquire(plan, 2, std::chrono::seconds(30));
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_LimiterAcquire);

// The whole pipeline with the limiter on (in memory): compare with BM_PipelineSuccess.
void BM_PipelineSuccessLimited(benchmark::State& state) {
  MemoryPipeline(state, Limited(), nullptr, {2});
}
BENCHMARK(BM_PipelineSuccessLimited);

#ifdef OHFP_BENCH_SQLITE
// A state database in a fresh temporary directory, removed at the end, as an ohfp process opens
// it (WAL, synchronous=NORMAL).
class TempDatabase {
 public:
  TempDatabase() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ohfp-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~TempDatabase() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<store::SqliteStateStore> Open() const {
    Result<std::unique_ptr<store::SqliteStateStore>> s =
        store::SqliteStateStore::Open(dir_ / "ohfp-state.db");
    return s.ok() ? std::move(*s) : nullptr;
  }

 private:
  std::filesystem::path dir_;
};

// Baseline: what every pipeline call on the plugin's store already does at least once.
void BM_SqliteBreakerRead(benchmark::State& state) {
  TempDatabase db;
  auto store = db.Open();
  if (store == nullptr) return state.SkipWithError("cannot open the database");
  for (auto _ : state) {
    Result<BreakerRecord> r = store->ReadBreaker("aws_ec2");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SqliteBreakerRead)->Unit(benchmark::kMicrosecond);

// Acquire() alone on SQLite: one BEGIN IMMEDIATE transaction reading and writing two records.
void BM_SqliteLimiterAcquire(benchmark::State& state) {
  TempDatabase db;
  auto store = db.Open();
  if (store == nullptr) return state.SkipWithError("cannot open the database");
  SystemClock clock;
  RateLimiter limiter(Limited().rate_limiter, *store, clock);
  const RateLimiter::Plan plan = limiter.PlanFor("ec2_run_instances");
  for (auto _ : state) {
    RateLimiter::Grant g = limiter.Acquire(plan, 2, std::chrono::seconds(30));
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_SqliteLimiterAcquire)->Unit(benchmark::kMicrosecond);

// A pipeline call on the plugin's store (the breaker re-reads its record), without and with the
// limiter: the difference is what the limiter adds to an AWS call in an ohfp process.
void SqlitePipeline(benchmark::State& state, bool limited) {
  auto fn = Operation();
  TempDatabase db;
  auto store = db.Open();
  if (store == nullptr) return state.SkipWithError("cannot open the database");
  SystemClock clock;
  SeededRandom rng(1);
  ResilienceConfig config = limited ? Limited() : ResilienceConfig{};
  ResiliencePipeline pipeline(config, {clock, rng, *store});
  const resilience::Operation& op = pipeline.operation("ec2_run_instances", "aws_ec2");
  for (auto _ : state) {
    Result<int> r = pipeline.Execute(op, ResiliencePipeline::Resources{2}, fn);
    benchmark::DoNotOptimize(r);
  }
}
void BM_SqlitePipelineSuccess(benchmark::State& state) { SqlitePipeline(state, false); }
void BM_SqlitePipelineSuccessLimited(benchmark::State& state) { SqlitePipeline(state, true); }
BENCHMARK(BM_SqlitePipelineSuccess)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SqlitePipelineSuccessLimited)->Unit(benchmark::kMicrosecond);
#endif

// Whole-outage replay: 50 provisioning calls while EC2 throttles for 90 s, on virtual time.
void BM_SimulateThrottleStorm(benchmark::State& state) {
  ResilienceConfig config;
  config.circuit_breaker.services["aws_ec2"] = {
      .failure_threshold = 3, .reset_timeout = seconds(30), .half_open_max_probes = 1};
  config.retry.retry_on_circuit_open = true;
  config.retry.default_backoff.jitter = JitterMode::kFull;
  config.timeout.operations["ec2_run_instances"] = seconds(300);
  std::vector<SimCall> calls(50, SimCall{.operation = "ec2_run_instances"});
  const std::vector<SimFault> faults = {{.service = "aws_ec2",
                                         .from = Duration::zero(),
                                         .until = seconds(90),
                                         .outcome = "RequestLimitExceeded"}};
  for (auto _ : state) {
    Simulator sim(config, 7);
    Result<SimReport> r = sim.Run(calls, faults, [](const SimEvent&) {});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SimulateThrottleStorm)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ohfp::resilience

BENCHMARK_MAIN();
