// micro_bench: Google Benchmark timings of the model's hot paths — what one event costs,
// piece by piece — and of a whole model run, reported as simulated service calls per
// second (bench/README.md). The whole-process comparison with SimPy and a hand-written
// loop is bench/run_chain.py; these say where inside rapture the time per event goes.
//
//   build/release/bench/micro_bench [--benchmark_filter=REGEX] [--benchmark_repetitions=N]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/distribution.hpp"
#include "model/event_queue.hpp"
#include "model/log_histogram.hpp"
#include "model/policy/circuit_breaker.hpp"
#include "model/policy/load_shedding.hpp"
#include "model/policy/retry_budget.hpp"
#include "model/policy/retry_policy.hpp"
#include "model/random_stream.hpp"
#include "model/simulation.hpp"
#include "model/system.hpp"
#include "model_fixture.hpp"  // tests/support: builds a Topology and a Scenario in code

namespace {

using namespace rapture;

/// Discards bins: the benchmark measures the model, not a sink.
class NullSink final : public BinSink {
 public:
  void write_bin(int64_t, std::span<const ServiceBinRow>, std::span<const RequestBinRow>) override {}
};

/// Exponential increments drawn up front, so that the queue benchmark times the heap and
/// not the generator; 4096 of them cycle, more than the heap's depth can correlate with.
std::vector<double> exponential_table(double mean) {
  RandomStream rng(1, "bench", "table");
  const Distribution d = Distribution::exponential(mean);
  std::vector<double> out(4096);
  for (auto& x : out) x = d.sample(rng);
  return out;
}

// The "hold" model of priority-queue benchmarks: pop the earliest event, push one a random
// time later, so the heap stays at its size — the pattern of a simulation in steady state.
void BM_EventQueuePushPop(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  const auto inc = exponential_table(1e-3 * static_cast<double>(size));
  EventQueue q;
  for (size_t i = 0; i < size; ++i) q.push(inc[i & 4095], EventKind{0}, static_cast<uint32_t>(i));
  size_t k = 0;
  for (auto _ : state) {
    const Event e = q.pop();
    q.push(e.time + inc[k++ & 4095], e.kind, e.id);
  }
  benchmark::DoNotOptimize(q.next_time());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EventQueuePushPop)->Arg(100)->Arg(10'000)->Arg(1'000'000);

// Recording a latency into a bin's histogram: done at every completed visit and request.
void BM_LogHistogramRecord(benchmark::State& state) {
  RandomStream rng(1, "bench", "latency");
  const Distribution d = Distribution::lognormal(5e-3, 1.0);  // spans several octaves
  std::vector<double> values(4096);
  for (auto& x : values) x = d.sample(rng);
  LogHistogram h;
  size_t k = 0;
  for (auto _ : state) h.record(values[k++ & 4095]);
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LogHistogramRecord);

// One draw of a service time: done at every visit.
void BM_DistributionSample(benchmark::State& state, Distribution d) {
  RandomStream rng(1, "bench", "service_time");
  double sum = 0;
  for (auto _ : state) sum += d.sample(rng);
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_DistributionSample, exp, Distribution::exponential(1e-3));
BENCHMARK_CAPTURE(BM_DistributionSample, lognormal, Distribution::lognormal(1e-3, 0.6));

void BM_RandomStreamUniform(benchmark::State& state) {
  RandomStream rng(1, "bench", "uniform");
  double sum = 0;
  for (auto _ : state) sum += rng.uniform();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RandomStreamUniform);

/// Runs the model alone (no SimGrid, as the command does when no host is contended) and
/// reports simulated service calls per second of CPU time.
void run_system(benchmark::State& state, const System& sys, double calls_per_request) {
  NullSink sink;
  uint64_t requests = 0, events = 0;
  for (auto _ : state) {
    Simulation sim(sys, sink, nullptr);
    sim.run_until(sys.duration);
    const RunTotals t = sim.finish(sys.duration);
    requests += t.summary.requests;
    events += sim.events();
  }
  state.counters["calls/s"] =
      benchmark::Counter(calls_per_request * static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  // kInvert turns the rate into seconds per call (printed with an SI prefix: 250n = 250 ns).
  state.counters["per_call"] = benchmark::Counter(calls_per_request * static_cast<double>(requests),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The chain of bench/chain/chain.yaml (5 services, 8 workers, exp(1 ms), 100 µs hops,
// 500 requests/s), 20 simulated seconds = 10,000 requests = 50,000 service calls per iteration.
void BM_SimulationChain(benchmark::State& state) {
  std::vector<std::string> names{"s1", "s2", "s3", "s4", "s5"};
  std::vector<testing::EdgeSpec> edges;
  for (size_t i = 0; i + 1 < names.size(); ++i) edges.push_back({names[i], names[i + 1], {}});
  const Topology topo = testing::make_topology(names, edges);
  Scenario sc = testing::make_scenario("s1", 500, static_cast<double>(state.range(0)), 0);
  sc.platform.hop_latency = 100e-6;
  for (const auto& n : names)
    sc.services.push_back({n, testing::params(1, 8, 100'000'000, Distribution::exponential(1e-3))});
  const System sys = build_system(topo, sc);
  run_system(state, sys, 5.0);
}
BENCHMARK(BM_SimulationChain)->Arg(20)->Unit(benchmark::kMillisecond);

// A load-balancing decision per call: one entry service calling a service of 16 replicas,
// by balancer. The difference from round_robin is the policy's cost per call.
void BM_SimulationBalancer(benchmark::State& state) {
  const auto balancer = static_cast<Balancer>(state.range(0));
  const Topology topo = testing::make_topology({"front", "back"}, {{"front", "back", {}}});
  Scenario sc = testing::make_scenario("front", 2000, 10, 0);
  sc.platform.hop_latency = 100e-6;
  sc.services.push_back({"front", testing::params(1, 64, 100'000'000, Distribution::exponential(1e-3))});
  auto back = testing::params(16, 2, 100'000'000, Distribution::exponential(5e-3));
  back.balancer = balancer;
  sc.services.push_back({"back", back});
  const System sys = build_system(topo, sc);
  state.SetLabel(balancer == Balancer::RoundRobin ? "round_robin"
                 : balancer == Balancer::Random   ? "random"
                                                  : "least_outstanding");
  run_system(state, sys, 2.0);
}
BENCHMARK(BM_SimulationBalancer)
    ->Arg(static_cast<int>(Balancer::RoundRobin))
    ->Arg(static_cast<int>(Balancer::Random))
    ->Arg(static_cast<int>(Balancer::LeastOutstanding))
    ->Unit(benchmark::kMillisecond);

// Every caller-side policy on one edge (retries on error, per-try timeout, deadline, budget,
// breaker, bulkhead, fallback) and outlier ejection at the callee, which fails 5 % of its
// visits: the path of a call through the policies' state machines and timers, per call.
void BM_SimulationPolicies(benchmark::State& state) {
  const Topology topo = testing::make_topology({"front", "back"}, {{"front", "back", {}}});
  Scenario sc = testing::make_scenario("front", 2000, 10, 0);
  sc.platform.hop_latency = 100e-6;
  sc.services.push_back({"front", testing::params(1, 64, 100'000'000, Distribution::exponential(1e-3))});
  auto back = testing::params(4, 4, 100'000'000, Distribution::exponential(2e-3));
  back.error_rate = 0.05;
  sc.services.push_back({"back", back});
  PolicySpec p;
  RetryPolicy retry;
  retry.max_attempts = 3;
  retry.backoff = Backoff{Backoff::Kind::FullJitter, 1e-3, 2, 10e-3};
  p.retry = retry;
  p.per_try_timeout = 20e-3;
  p.deadline = 100e-3;
  p.budget = RetryBudget::preset("envoy");
  p.circuit_breaker = CircuitBreakerConfig::resilience4j();
  p.bulkhead = 50;
  p.fallback = true;
  sc.policy_edges.push_back({{"front", "back"}, p});
  ProtectionSpec prot;
  prot.service = "back";
  prot.outlier_ejection = OutlierConfig::envoy();
  sc.protections.push_back(prot);
  const System sys = build_system(topo, sc);
  run_system(state, sys, 2.0);
}
BENCHMARK(BM_SimulationPolicies)->Unit(benchmark::kMillisecond);

// ---- Policy decisions: what one call under a tolerance policy adds, piece by piece ----

// A closed resilience4j breaker (count-based window of 100, minimum 100 calls) asked for one
// call and told of its success: the work every try of an edge with a breaker does when all is well.
void BM_CircuitBreakerClosed(benchmark::State& state) {
  CircuitBreaker cb(CircuitBreakerConfig::resilience4j());
  double now = 0;
  for (int i = 0; i < 100; ++i) {  // fill the window, so that every on_success evaluates the rates
    cb.try_acquire(now);
    cb.on_success(now, 1e-3);
  }
  uint64_t admitted = 0;
  for (auto _ : state) {
    now += 1e-4;
    admitted += cb.try_acquire(now) ? 1 : 0;
    cb.on_success(now, 1e-3);
  }
  benchmark::DoNotOptimize(admitted);
  if (cb.state() != CircuitBreaker::State::Closed) state.SkipWithError("the breaker left the closed state");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CircuitBreakerClosed);

// A retry decided under a retry budget: allow_retry + on_retry, and on_retry_done so that
// Envoy's concurrent-retry count stays level (100 requests active: 20 retries allowed; gRPC:
// a full bucket of 10 tokens). The cost a budget adds to each retry, on top of the retry itself.
void BM_RetryBudgetRetry(benchmark::State& state, const char* preset) {
  RetryBudget b = RetryBudget::preset(preset);
  double now = 0;
  for (int i = 0; i < 100; ++i) b.on_request(now);
  uint64_t allowed = 0;
  for (auto _ : state) {
    now += 1e-4;
    if (b.allow_retry(now)) {
      ++allowed;
      b.on_retry(now);
      b.on_retry_done();
    }
  }
  benchmark::DoNotOptimize(allowed);
  if (allowed != static_cast<uint64_t>(state.iterations())) state.SkipWithError("the budget refused a retry");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_RetryBudgetRetry, envoy, "envoy");
BENCHMARK_CAPTURE(BM_RetryBudgetRetry, grpc, "grpc");

// One full-jitter back-off draw (Envoy's 25 ms base, x2, 250 ms cap), retries 1 to 4 in turn:
// a uniform draw and a pow, the price of each retry's wait.
void BM_BackoffFullJitter(benchmark::State& state) {
  const Backoff backoff{Backoff::Kind::FullJitter, 0.025, 2, 0.25};
  RandomStream rng(1, "bench", "backoff");
  double sum = 0;
  int k = 0;
  for (auto _ : state) sum += backoff.delay(1 + (k++ & 3), sum, rng);
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BackoffFullJitter);

// CoDel's decision at each dequeue (5 ms target, 100 ms interval), one dequeue every 0.2 ms,
// on a queue that alternates ~410 ms of standing queue (waits above the target) and ~410 ms of
// short waits, so that it enters, stays in and leaves the dropping state: what CoDel shedding
// adds to every request taken from a queue. Counter `dropped`: the share of dequeues dropped.
void BM_CoDelDequeue(benchmark::State& state) {
  auto sojourn = exponential_table(0.005);
  for (size_t i = 0; i < sojourn.size(); ++i) sojourn[i] = i < 2048 ? 0.0075 + sojourn[i] : 0.2 * sojourn[i];
  CoDel codel;
  double now = 0;
  uint64_t dropped = 0;
  size_t k = 0;
  for (auto _ : state) {
    now += 2e-4;
    dropped += codel.on_dequeue(now, sojourn[k++ & 4095], 1) ? 1 : 0;
  }
  benchmark::DoNotOptimize(dropped);
  state.counters["dropped"] =
      static_cast<double>(dropped) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CoDelDequeue);

}  // namespace

BENCHMARK_MAIN();
