// The request-flow model run alone (no SimGrid): queueing theory, conservation, Little's
// law, call semantics and determinism. Stochastic checks use fixed seeds and tolerances of
// 4 standard errors from batch means (bins of 1 s, far longer than the queues' correlation
// times), plus the histogram's quantisation where quantiles are read.

#include <gtest/gtest.h>

#include <cstring>

#include "common/error.hpp"
#include "model/flow/request_flow.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

uint64_t errors_of(const ServiceBinRow& r) {
  uint64_t e = 0;
  for (auto v : r.errors) e += v;
  return e;
}

/// Mean response time at service `s` over bins, with its batch-means standard error.
Estimate mean_response(const RunOutput& out, size_t s, size_t warm_bins) {
  return batch_ratio(
      out.sink, warm_bins, 20,
      [s](const std::vector<ServiceBinRow>& b) { return b[s].latency_mean * static_cast<double>(b[s].completions); },
      [s](const std::vector<ServiceBinRow>& b) { return static_cast<double>(b[s].completions); });
}

/// One service "s" behind a closed-loop workload of `users` thinking `think` between requests.
Scenario closed_loop_scenario(double duration, double warmup, uint64_t seed, int64_t users, Distribution think) {
  auto sc = make_scenario("s", 1, duration, warmup, seed);
  sc.workload[0].kind = WorkloadSpec::Kind::Closed;
  sc.workload[0].users = users;
  sc.workload[0].think = std::move(think);
  return sc;
}

TEST(Simulation, MM1MeanResponseTimeMatchesClosedForm) {
  const double lambda = 700, mu = 1000;
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", lambda, 1010, 10);
  sc.services.push_back({"s", params(1, 1, 1'000'000, Distribution::exponential(1 / mu))});
  const auto out = run_model(topo, sc);
  const auto w = mean_response(out, 0, 10);
  const double expected = 1 / (mu - lambda);
  EXPECT_NEAR(w.value, expected, 4 * w.std_error) << "SE " << w.std_error;
  EXPECT_LT(w.std_error, 0.03 * expected);  // the run is long enough for the check to mean something
  EXPECT_NEAR(out.totals.services[0].latency_mean, w.value, 1e-9 + 0.01 * w.value);
  // Utilisation ρ = λ/μ.
  EXPECT_NEAR(out.totals.services[0].busy_mean, lambda / mu, 0.02);
}

TEST(Simulation, MMcMeanResponseTimeMatchesErlangC) {
  const int c = 4;
  const double lambda = 300, mu = 100;
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", lambda, 1010, 10, 7);
  sc.services.push_back({"s", params(1, c, 1'000'000, Distribution::exponential(1 / mu))});
  const auto out = run_model(topo, sc);
  const auto w = mean_response(out, 0, 10);
  const double a = lambda / mu;
  const double expected = erlang_c(c, a) / (c * mu - lambda) + 1 / mu;
  EXPECT_NEAR(w.value, expected, 4 * w.std_error) << "SE " << w.std_error;
  EXPECT_LT(w.std_error, 0.03 * expected);
}

TEST(Simulation, MMcKBlockingProbabilityMatchesClosedForm) {
  const int c = 2, queue = 3;
  const double lambda = 250, mu = 100;
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", lambda, 1010, 10, 3);
  sc.services.push_back({"s", params(1, c, queue, Distribution::exponential(1 / mu))});
  const auto out = run_model(topo, sc);
  const auto p = batch_ratio(
      out.sink, 10, 20,
      [](const auto& b) { return static_cast<double>(b[0].errors[static_cast<size_t>(ErrorCause::QueueOverflow)]); },
      [](const auto& b) { return static_cast<double>(b[0].arrivals); });
  const double expected = mmck_blocking(c, c + queue, lambda / mu);
  EXPECT_NEAR(p.value, expected, 4 * p.std_error) << "SE " << p.std_error;
  EXPECT_GT(expected, 0.1);  // a regime where blocking is substantial
  // Only overflow errors, and every request that overflowed failed end to end.
  EXPECT_EQ(out.totals.services[0].errors[static_cast<size_t>(ErrorCause::QueueOverflow)], [&] {
    uint64_t e = 0;
    for (const auto& b : out.sink.service_bins) e += errors_of(b[0]);
    return e;
  }());
}

TEST(Simulation, LittlesLawHoldsPerService) {
  // A chain with calls: the number in each service (waiting + holding a worker) equals its
  // arrival rate times its response time, blocking on downstream calls included.
  CallEdge e;
  e.probability = 0.8;
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", e}, {"b", "c", {}}});
  auto sc = make_scenario("a", 200, 510, 10, 11);
  sc.platform.hop_latency = 200e-6;
  sc.services.push_back({"a", params(2, 4, 1000, Distribution::exponential(2e-3))});
  sc.services.push_back({"b", params(1, 4, 1000, Distribution::lognormal(4e-3, 0.8))});
  sc.services.push_back({"c", params(1, 2, 1000, Distribution::gamma(3e-3, 2))});
  const auto out = run_model(topo, sc);
  for (size_t s = 0; s < 3; ++s) {
    const auto& t = out.totals.services[s];
    const double l = t.busy_mean + t.queue_mean;
    const double lw = t.arrival_rate * t.latency_mean;
    // Little's law is exact up to the visits in progress at the two ends of the window.
    EXPECT_NEAR(l, lw, 0.02 * lw + 0.01) << "service " << s;
  }
}

TEST(Simulation, ArrivalsEqualCompletionsPlusErrorsPlusInFlight) {
  // Overloaded on purpose so that every term is non-zero at the end.
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 900, 60, 0, 5);
  // a's pool is large enough that b, not a, is the bottleneck; b overflows, a fails downstream.
  sc.services.push_back({"a", params(1, 64, 50, Distribution::exponential(1e-3))});
  sc.services.push_back({"b", params(1, 4, 20, Distribution::exponential(5e-3))});
  const auto out = run_model(topo, sc);
  for (size_t s = 0; s < 2; ++s) {
    const auto& t = out.totals.services[s];
    uint64_t errors = 0;
    for (auto v : t.errors) errors += v;
    EXPECT_EQ(t.arrivals, t.completions + errors + t.in_flight_end) << "service " << s;
    EXPECT_GT(errors, 0u);
    // The bins add up to the totals.
    uint64_t arrivals = 0, completions = 0, bin_errors = 0;
    for (const auto& b : out.sink.service_bins) {
      arrivals += b[s].arrivals;
      completions += b[s].completions;
      bin_errors += errors_of(b[s]);
    }
    EXPECT_EQ(arrivals, t.arrivals);
    EXPECT_EQ(completions, t.completions);
    EXPECT_EQ(bin_errors, errors);
  }
  EXPECT_GT(out.totals.services[1].in_flight_end + out.totals.services[0].in_flight_end, 0u);
}

bool same_bins(const CollectingSink& x, const CollectingSink& y) {
  if (x.service_bins.size() != y.service_bins.size()) return false;
  for (size_t i = 0; i < x.service_bins.size(); ++i) {
    if (std::memcmp(x.service_bins[i].data(), y.service_bins[i].data(),
                    x.service_bins[i].size() * sizeof(ServiceBinRow)) != 0)
      return false;
    if (std::memcmp(x.request_bins[i].data(), y.request_bins[i].data(),
                    x.request_bins[i].size() * sizeof(RequestBinRow)) != 0)
      return false;
  }
  return true;
}

TEST(Simulation, SameSeedGivesIdenticalBinsAnotherSeedDiffers) {
  CallEdge half;
  half.probability = 0.5;
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", half}, {"a", "c", {}}});
  auto sc = make_scenario("a", 300, 30, 0, 42);
  sc.services.push_back({"b", params(3, 2, 10, Distribution::lognormal(5e-3, 1.0))});
  const auto one = run_model(topo, sc);
  const auto two = run_model(topo, sc);
  EXPECT_TRUE(same_bins(one.sink, two.sink));
  sc.seed = 43;
  const auto other = run_model(topo, sc);
  EXPECT_FALSE(same_bins(one.sink, other.sink));
}

/// Latency at the entry with constant times: a computes 1 ms, then calls b (10 ms) and c (20 ms).
double entry_latency(bool parallel) {
  CallEdge e;
  if (parallel) e.group = "fanout";
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", e}, {"a", "c", e}});
  auto sc = make_scenario("a", 5, 20, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(10e-3))});
  sc.services.push_back({"c", params(1, 100, 100, Distribution::constant(20e-3))});
  return run_model(topo, sc).totals.services[0].latency_mean;
}

TEST(Simulation, SequentialCallsAddUpParallelFanOutTakesTheSlowest) {
  EXPECT_NEAR(entry_latency(false), 31e-3, 1e-9);
  EXPECT_NEAR(entry_latency(true), 21e-3, 1e-9);
}

TEST(Simulation, CallProbabilityAndRepeatCount) {
  CallEdge maybe;
  maybe.probability = 0.3;
  CallEdge thrice;
  thrice.calls = 3;
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", maybe}, {"a", "c", thrice}});
  auto sc = make_scenario("a", 500, 100, 0);
  const auto out = run_model(topo, sc);
  const auto& t = out.totals.services;
  const double n = static_cast<double>(t[0].completions);
  // Binomial(n, 0.3): 4 standard deviations.
  EXPECT_NEAR(static_cast<double>(t[1].arrivals), 0.3 * n, 4 * std::sqrt(n * 0.3 * 0.7) + 5);
  // Every completed visit of a made exactly three calls to c (those in flight at most three).
  EXPECT_GE(t[2].arrivals, 3 * t[0].completions);
  EXPECT_LE(t[2].arrivals, 3 * (t[0].completions + t[0].in_flight_end));
}

TEST(Simulation, AsyncCallDoesNotHoldTheCaller) {
  CallEdge async;
  async.mode = CallMode::Async;
  auto topo = make_topology({"a", "q"}, {{"a", "q", async}});
  auto sc = make_scenario("a", 5, 20, 0);
  sc.services.push_back({"a", params(1, 10, 10, Distribution::constant(1e-3))});
  sc.services.push_back({"q", params(1, 10, 10, Distribution::constant(500e-3))});
  const auto out = run_model(topo, sc);
  EXPECT_NEAR(out.totals.services[0].latency_mean, 1e-3, 1e-9);
  EXPECT_GT(out.totals.services[1].completions, 50u);
}

TEST(Simulation, WorkersHeldDuringSyncCallsExhaustTheCallersPool) {
  // a computes almost nothing but waits on a slow b: its 4 workers fill up and its queue
  // overflows, although its own CPU is nearly idle (thread-pool exhaustion).
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 100, 30, 0);
  sc.services.push_back({"a", params(1, 4, 4, Distribution::constant(0.1e-3))});
  sc.services.push_back({"b", params(1, 64, 64, Distribution::constant(100e-3))});
  const auto out = run_model(topo, sc);
  const auto& a = out.totals.services[0];
  EXPECT_GT(a.errors[static_cast<size_t>(ErrorCause::QueueOverflow)], a.arrivals / 2);
  EXPECT_EQ(out.totals.services[1].errors[static_cast<size_t>(ErrorCause::QueueOverflow)], 0u);
}

TEST(Simulation, DownstreamFailureFailsCriticalCallersOnly) {
  CallEdge tolerated;
  tolerated.critical = false;
  for (bool critical : {true, false}) {
    auto topo = make_topology({"a", "b"}, {{"a", "b", critical ? CallEdge{} : tolerated}});
    auto sc = make_scenario("a", 300, 20, 0);
    sc.services.push_back({"b", params(1, 1, 0, Distribution::exponential(10e-3))});  // overflows
    const auto out = run_model(topo, sc);
    const auto& a = out.totals.services[0];
    const auto b_overflow = out.totals.services[1].errors[static_cast<size_t>(ErrorCause::QueueOverflow)];
    EXPECT_GT(b_overflow, 0u);
    if (critical) {
      EXPECT_EQ(a.errors[static_cast<size_t>(ErrorCause::Downstream)], b_overflow);
      EXPECT_EQ(out.totals.summary.failures, a.errors[static_cast<size_t>(ErrorCause::Downstream)]);
    } else {
      EXPECT_EQ(a.errors[static_cast<size_t>(ErrorCause::Downstream)], 0u);
      EXPECT_EQ(out.totals.summary.failures, 0u);
    }
  }
}

TEST(Simulation, ClosedLoopFollowsTheInteractiveResponseTimeLaw) {
  // N users with think time Z: throughput X = N / (R + Z) (exact in expectation).
  auto topo = make_topology({"s"}, {});
  auto sc = closed_loop_scenario(510, 10, 1, 50, Distribution::exponential(0.1));
  sc.services.push_back({"s", params(1, 2, 1000, Distribution::exponential(5e-3))});
  const auto out = run_model(topo, sc);
  const auto& s = out.totals.summary;
  const double n = s.throughput * (s.latency_mean + 0.1);
  EXPECT_NEAR(n, 50.0, 1.0);
  EXPECT_GT(s.latency_mean, 5e-3);  // the two workers saturate: users wait
}

TEST(Simulation, ClosedLoopUsersRejectedWithoutThinkTimeBackOffInsteadOfResendingAtOnce) {
  // 100 users, no think time, an entry holding 2 (one worker, one queue place): before the
  // back-off a rejected user resent at the same instant and the run never left t = 0.
  auto topo = make_topology({"s"}, {});
  auto sc = closed_loop_scenario(10, 0, 3, 100, Distribution::constant(0));
  sc.services.push_back({"s", params(1, 1, 1, Distribution::exponential(10e-3))});
  const auto out = run_model(topo, sc);
  const auto& s = out.totals.summary;
  EXPECT_FALSE(s.stopped_early);
  EXPECT_EQ(out.sink.service_bins.size(), 10u);  // the clock reached the end
  EXPECT_GT(s.failures, 0u);
  // A user fails at most once per back-off: 100 users x 10 s / 10 ms bounds the failures.
  EXPECT_LE(s.failures, static_cast<uint64_t>(100 * 10 / kClosedLoopErrorBackoff));
  EXPECT_LT(out.events, 1'000'000u);
}

TEST(Simulation, RateProfileSpikeRaisesArrivals) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 100, 60, 0);
  sc.workload[0].rate.segments.push_back({20, 30, 1000, 1000});
  const auto out = run_model(topo, sc);
  double before = 0, during = 0;
  for (int i = 0; i < 20; ++i) before += static_cast<double>(out.sink.request_bins[i][0].arrivals);
  for (int i = 20; i < 30; ++i) during += static_cast<double>(out.sink.request_bins[i][0].arrivals);
  // Poisson counts: 4 standard deviations.
  EXPECT_NEAR(before, 2000, 4 * std::sqrt(2000.0));
  EXPECT_NEAR(during, 10000, 4 * std::sqrt(10000.0));
}

TEST(Simulation, RunStopsAtTheInFlightLimitAndKeepsItsResults) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 2000, 100, 0);
  sc.services.push_back({"s", params(1, 1, 100'000'000, Distribution::exponential(1e-3))});
  sc.limits.max_in_flight = 5000;
  const auto out = run_model(topo, sc);
  EXPECT_TRUE(out.totals.summary.stopped_early);
  EXPECT_NE(out.totals.summary.stop_reason.find("in flight"), std::string::npos);
  EXPECT_LT(out.sink.service_bins.size(), 100u);
  EXPECT_GT(out.totals.services[0].arrivals, 5000u);
}

TEST(Simulation, RequestCallCycleIsAnError) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}, {"b", "a", {}}});
  auto sc = make_scenario("a", 10, 10, 0);
  try {
    build_system(topo, sc);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cycle a -> b -> a"), std::string::npos) << e.what();
  }
  sc.requests[0].skip_edges = {{"b", "a"}};
  EXPECT_NO_THROW(build_system(topo, sc));
}

}  // namespace
}  // namespace rapture

namespace rapture {
namespace {

using namespace rapture::testing;

TEST(Simulation, RequestTypeCallsOverrideEdgeSettingsForThatTypeOnly) {
  // The topology says 10 % of visits to a call b; the "always" request type calls it every time.
  CallEdge rare;
  rare.probability = 0.1;
  auto topo = make_topology({"a", "b"}, {{"a", "b", rare}});
  auto sc = make_scenario("a", 200, 50, 0);
  sc.requests.push_back(RequestTypeSpec{"always", "a", {}, {}, {}, {}, {}});
  EdgeOverride sure;
  sure.from = "a";
  sure.to = "b";
  sure.probability = 1.0;
  sc.requests.back().calls.push_back(sure);
  sc.workload[0].mix = {{"always", 1.0}};
  const auto out = run_model(topo, sc);
  const auto& t = out.totals.services;
  EXPECT_GE(t[1].arrivals, t[0].completions);
  // The other request type (r, unused here) still sees 10 %: build its plan and check it.
  const System sys = build_system(topo, sc);
  EXPECT_DOUBLE_EQ(sys.calls[sys.stages[sys.plan(0, 0).first_stage].first_call].probability, 0.1);
  EXPECT_DOUBLE_EQ(sys.calls[sys.stages[sys.plan(1, 0).first_stage].first_call].probability, 1.0);
}

}  // namespace
}  // namespace rapture
