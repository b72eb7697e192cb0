// The tolerance policies in the request flow (model alone, no SimGrid): retry amplification,
// timeouts and wasted work, deadlines that include retries, breakers composed with retries
// and fallbacks, bulkheads.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

PolicySpec retries(int64_t attempts, RetryOn on = {}) {
  PolicySpec p;
  RetryPolicy r;
  r.max_attempts = attempts;
  r.retry_on = on;
  r.backoff.kind = Backoff::Kind::None;
  p.retry = r;
  return p;
}

void on_edge(Scenario& sc, const std::string& from, const std::string& to, PolicySpec p) {
  sc.policy_edges.push_back({{from, to}, std::move(p)});
}

uint64_t ended(const ServiceTotals& t) {
  uint64_t e = t.completions;
  for (auto v : t.errors) e += v;
  return e;
}

TEST(Tolerance, RetriesAtEveryHopMultiplyAttemptsAtTheFailingService) {
  // A chain of d = 3 calls, each retried r = 2 times on error; the last service fails every
  // visit: (r + 1)^d = 27 visits of it per request.
  auto topo = make_topology({"s0", "s1", "s2", "s3"}, {{"s0", "s1", {}}, {"s1", "s2", {}}, {"s2", "s3", {}}});
  auto sc = make_scenario("s0", 20, 50, 0);
  for (auto& s : {"s0", "s1", "s2", "s3"})
    sc.services.push_back({s, params(1, 1000, 1000, Distribution::constant(1e-4))});
  sc.services.back().second.error_rate = 1.0;
  for (auto [a, b] : {std::pair{"s0", "s1"}, {"s1", "s2"}, {"s2", "s3"}}) on_edge(sc, a, b, retries(3));
  const auto out = run_model(topo, sc);
  const auto& t = out.totals.services;
  const uint64_t done = ended(t[0]);
  ASSERT_GT(done, 500u);
  EXPECT_GE(t[3].arrivals, 27 * done);
  EXPECT_LE(t[3].arrivals, 27 * (done + t[0].in_flight_end));
  EXPECT_NEAR(out.totals.requests[0].visits_per_request[3], 27.0, 27.0 * t[0].in_flight_end / done + 1e-9);
  EXPECT_NEAR(out.totals.requests[0].visits_per_request[2], 9.0, 9.0 * t[0].in_flight_end / done + 1e-9);
  EXPECT_EQ(out.totals.summary.successes, 0u);
  EXPECT_EQ(t[3].errors[static_cast<size_t>(ErrorCause::Injected)], t[3].arrivals - t[3].in_flight_end);
}

TEST(Tolerance, PerTryTimeoutFailsTheCallerAndTheLateWorkIsWasted) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 10, 60, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(100e-3))});
  PolicySpec p;
  p.per_try_timeout = 30e-3;
  on_edge(sc, "a", "b", p);
  const auto out = run_model(topo, sc);
  const auto& a = out.totals.services[0];
  const auto& b = out.totals.services[1];
  EXPECT_EQ(a.completions, 0u);
  EXPECT_EQ(a.errors[static_cast<size_t>(ErrorCause::Timeout)], ended(a));
  // b finishes every orphaned visit: 100 ms of wasted CPU each.
  EXPECT_NEAR(b.wasted_cpu, 0.1 * static_cast<double>(b.completions), 1e-6);
  EXPECT_GT(b.completions, 400u);
  // The caller waited the timeout, not the callee: 1 ms compute + 30 ms.
  uint64_t bins_with_failures = 0;
  for (const auto& row : out.sink.request_bins) bins_with_failures += row[0].failures > 0;
  EXPECT_GT(bins_with_failures, 50u);
}

TEST(Tolerance, TheDeadlineIncludesRetriesAndBackoff) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 10, 30, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(0))});
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(100e-3))});
  PolicySpec p = retries(10);
  p.retry->backoff.kind = Backoff::Kind::Constant;
  p.retry->backoff.base = 5e-3;
  p.per_try_timeout = 20e-3;
  p.deadline = 55e-3;
  on_edge(sc, "a", "b", p);
  const auto out = run_model(topo, sc);
  // Tries at 0, 25 and 50 ms (20 ms timeouts, 5 ms backoff); the deadline at 55 ms ends the
  // third and leaves no time for a fourth, although ten attempts are allowed.
  const double calls = static_cast<double>(ended(out.totals.services[0]));
  EXPECT_NEAR(static_cast<double>(out.totals.services[1].arrivals) / calls, 3.0,
              3.0 * static_cast<double>(out.totals.services[0].in_flight_end) / calls + 1e-9);
  for (const auto& row : out.sink.request_bins) {
    if (row[0].failures == 0) continue;
    EXPECT_EQ(row[0].successes, 0u);
  }
  EXPECT_EQ(out.totals.services[0].errors[static_cast<size_t>(ErrorCause::Timeout)], ended(out.totals.services[0]));
}

PolicySpec breaker_policy(bool retry_on_open, bool fallback) {
  PolicySpec p = retries(3, RetryOn{true, true, true, retry_on_open});
  CircuitBreakerConfig cb = CircuitBreakerConfig::resilience4j();
  cb.window_size = 10;
  cb.minimum_calls = 10;
  cb.wait_in_open = 1000;  // stays open for the rest of the run
  p.circuit_breaker = cb;
  p.fallback = fallback;
  return p;
}

TEST(Tolerance, RetryOnAnOpenCircuitFailsFast) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 50, 20, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});  // one breaker
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.back().second.error_rate = 1.0;
  on_edge(sc, "a", "b", breaker_policy(false, false));
  const auto out = run_model(topo, sc);
  // The breaker opens after 10 recorded failures; b sees nothing after that.
  EXPECT_EQ(out.totals.services[1].arrivals, 10u);
  const auto& a = out.totals.services[0];
  EXPECT_GT(a.errors[static_cast<size_t>(ErrorCause::CircuitOpen)], 900u);
  EXPECT_EQ(out.totals.summary.successes, 0u);
}

TEST(Tolerance, AnOpenCircuitWithAFallbackAnswersDegraded) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 50, 20, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});  // one breaker
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.back().second.error_rate = 1.0;
  on_edge(sc, "a", "b", breaker_policy(true, true));
  const auto out = run_model(topo, sc);
  const auto& s = out.totals.summary;
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.degraded, s.successes);
  EXPECT_GT(s.successes, 900u);
  // Retrying on the open circuit changes nothing downstream: still only the 10 that opened it.
  EXPECT_EQ(out.totals.services[1].arrivals, 10u);
}

TEST(Tolerance, BulkheadRejectsCallsBeyondItsConcurrency) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 100, 20, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});  // one bulkhead
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(50e-3))});
  PolicySpec p;
  p.bulkhead = 2;  // at most 2 concurrent calls: 40/s at 50 ms each
  on_edge(sc, "a", "b", p);
  const auto out = run_model(topo, sc);
  const auto& a = out.totals.services[0];
  EXPECT_GT(a.errors[static_cast<size_t>(ErrorCause::Rejected)], 800u);
  EXPECT_LE(out.totals.services[1].busy_mean, 2.0 + 1e-9);
}

TEST(Tolerance, ARetryBudgetBoundsRetriesUnderFailure) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 100, 30, 0);
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.back().second.error_rate = 1.0;
  PolicySpec p = retries(5);
  RetryBudgetConfig grpc = RetryBudgetConfig::preset("grpc");
  p.budget = RetryBudget(grpc);
  on_edge(sc, "a", "b", p);
  const auto out = run_model(topo, sc);
  // Without a budget b would see 5 tries per call; gRPC throttling stops retries once the
  // tokens fall to half: a handful of retries in all.
  const double tries = static_cast<double>(out.totals.services[1].arrivals);
  const double calls = static_cast<double>(ended(out.totals.services[0]));
  EXPECT_LT(tries, calls + 20);
  EXPECT_GE(tries, calls);
}

TEST(Tolerance, ARetryQuotaStopsRetriesAfterItsTokensAndLetsFirstTriesThrough) {
  // b fails every visit; 3 attempts per call. AWS's quota: 500 tokens, 5 per retry after an
  // error, none given back without a success: exactly 100 retries, then first tries only.
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 100, 30, 0);
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});  // one replica: one quota
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.back().second.error_rate = 1.0;
  PolicySpec p = retries(3);
  p.retry_quota = RetryQuotaConfig::preset("aws");
  on_edge(sc, "a", "b", p);
  const auto out = run_model(topo, sc);
  const auto& edge = out.totals.edges[0];
  ASSERT_GT(edge.calls, 2000u);
  EXPECT_EQ(edge.retries, 100u);
  EXPECT_EQ(edge.attempts, edge.calls + 100);  // every first try went
}

}  // namespace
}  // namespace rapture

namespace rapture {
namespace {

using namespace rapture::testing;

TEST(Tolerance, AdmissionControlRefusesBeyondItsConcurrency) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 400, 30, 0);
  sc.services.push_back({"s", params(1, 4, 1000, Distribution::exponential(20e-3))});  // capacity 200/s
  ProtectionSpec p;
  p.service = "s";
  AdmissionConfig admission;
  admission.max_concurrent = 8;
  p.admission = admission;
  sc.protections.push_back(p);
  const auto out = run_model(topo, sc);
  const auto& s = out.totals.services[0];
  EXPECT_GT(s.errors[static_cast<size_t>(ErrorCause::Rejected)], 4000u);
  // At most 8 in the service: 4 computing, 4 waiting.
  for (const auto& b : out.sink.service_bins) EXPECT_LE(b[0].queue_max, 4u);
}

TEST(Tolerance, CoDelKeepsTheStandingQueueShortUnderOverload) {
  auto run = [](bool codel) {
    auto topo = make_topology({"s"}, {});
    auto sc = make_scenario("s", 300, 60, 10);
    sc.services.push_back({"s", params(1, 4, 100000, Distribution::exponential(20e-3))});  // 200/s
    if (codel) {
      ProtectionSpec p;
      p.service = "s";
      p.shedding = ProtectionSpec::Shedding::CoDel;
      sc.protections.push_back(p);
    }
    return run_model(topo, sc);
  };
  const auto plain = run(false);
  const auto shed = run(true);
  // Without shedding the queue grows without bound (~100/s); CoDel drops until the sojourn
  // time is back near its 5 ms target, so completed requests stay fast.
  EXPECT_GT(plain.totals.services[0].latency_mean, 5.0);
  EXPECT_LT(shed.totals.services[0].latency_mean, 0.2);
  EXPECT_GT(shed.totals.services[0].errors[static_cast<size_t>(ErrorCause::Rejected)], 3000u);
}

TEST(Tolerance, OutlierEjectionStopsTrafficToAFailingReplica) {
  // Ten replicas of b; replica 0 sits on a host 1000x slower with one worker and no queue, so
  // it rejects nearly every call (5xx). Envoy ejects it (10 % of 10 replicas = one ejection).
  auto run = [](bool eject) {
    auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
    auto sc = make_scenario("a", 200, 60, 0);
    sc.services.push_back({"b", params(10, 1, 0, Distribution::constant(1e-3))});
    sc.platform.hosts.push_back(HostSpec{"slow", 1e6, 1, 1, {}});
    sc.platform.hosts.push_back(HostSpec{"fast", 1e9, 1, 9, {}});
    sc.platform.placement.push_back({"b", {"slow", "fast"}});
    if (eject) {
      ProtectionSpec p;
      p.service = "b";
      p.outlier_ejection = OutlierConfig::envoy();
      sc.protections.push_back(p);
    }
    return run_model(topo, sc);
  };
  const auto plain = run(false);
  const auto ejected = run(true);
  const auto overflow = [](const RunOutput& o) {
    return o.totals.services[1].errors[static_cast<size_t>(ErrorCause::QueueOverflow)];
  };
  EXPECT_GT(overflow(plain), 1000u);
  EXPECT_LT(overflow(ejected), overflow(plain) / 5);
}

}  // namespace
}  // namespace rapture

namespace rapture {
namespace {

using namespace rapture::testing;

/// a -> b -> c; c takes 200 ms; a gives its call 50 ms; b's call to c has a (long) timeout.
RunOutput deadline_chain(bool propagate) {
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", {}}, {"b", "c", {}}});
  auto sc = make_scenario("a", 10, 30, 0);
  for (auto& s : {"a", "b", "c"}) sc.services.push_back({s, params(1, 100, 100, Distribution::constant(0))});
  sc.services.back().second.service_time = Distribution::constant(200e-3);
  PolicySpec outer;
  outer.deadline = 50e-3;
  outer.propagate_deadline = propagate;
  on_edge(sc, "a", "b", outer);
  PolicySpec inner;
  inner.per_try_timeout = 10.0;
  on_edge(sc, "b", "c", inner);
  return run_model(topo, sc);
}

TEST(Tolerance, APropagatedDeadlineCutsTheCalleesOwnCalls) {
  const auto with = deadline_chain(true);
  const auto without = deadline_chain(false);
  const auto timeouts = [](const RunOutput& o, size_t s) {
    return o.totals.services[s].errors[static_cast<size_t>(ErrorCause::Timeout)];
  };
  // Either way a gives up at 50 ms.
  EXPECT_EQ(timeouts(with, 0), ended(with.totals.services[0]));
  EXPECT_EQ(timeouts(without, 0), ended(without.totals.services[0]));
  // With propagation b stops waiting for c at the same deadline; without, b waits the full
  // 200 ms for a reply nobody wants.
  EXPECT_EQ(timeouts(with, 1), ended(with.totals.services[1]));
  EXPECT_EQ(timeouts(without, 1), 0u);
  EXPECT_GT(without.totals.services[1].completions, 250u);
}

TEST(Tolerance, CancellationDropsAbandonedTriesBeforeTheyRun) {
  auto run = [](bool cancel) {
    auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
    auto sc = make_scenario("a", 20, 30, 0);
    sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(0))});
    sc.services.push_back({"b", params(1, 1, 1000, Distribution::constant(100e-3))});  // 10/s for 20/s
    PolicySpec p;
    p.per_try_timeout = 30e-3;
    p.cancel_on_timeout = cancel;
    on_edge(sc, "a", "b", p);
    return run_model(topo, sc);
  };
  const auto kept = run(false);
  const auto cancelled = run(true);
  // Without cancellation b works through a growing backlog of abandoned tries (10/s too
  // many for 30 s); with it, the tries that waited past their timeout are dropped unserved
  // (cause: timeout at b) and the backlog does not build.
  EXPECT_EQ(kept.totals.services[1].errors[static_cast<size_t>(ErrorCause::Timeout)], 0u);
  EXPECT_GT(kept.totals.services[1].in_flight_end, 200u);
  EXPECT_GT(cancelled.totals.services[1].errors[static_cast<size_t>(ErrorCause::Timeout)], 200u);
  EXPECT_LT(cancelled.totals.services[1].in_flight_end, 10u);
}

TEST(Tolerance, AdaptiveLifoServesFreshRequestsUnderOverload) {
  auto run = [](bool adaptive) {
    auto topo = make_topology({"s"}, {});
    auto sc = make_scenario("s", 300, 60, 10);
    sc.services.push_back({"s", params(1, 4, 100000, Distribution::exponential(20e-3))});  // 200/s
    if (adaptive) {
      ProtectionSpec p;
      p.service = "s";
      p.shedding = ProtectionSpec::Shedding::AdaptiveLifo;
      sc.protections.push_back(p);
    }
    return run_model(topo, sc);
  };
  const auto fifo = run(false);
  const auto lifo = run(true);
  EXPECT_GT(fifo.totals.services[0].latency_mean, 5.0);  // FIFO: everyone waits behind the backlog
  EXPECT_LT(lifo.totals.services[0].latency_mean, 0.1);  // served fresh, stale ones shed
  EXPECT_GT(lifo.totals.services[0].errors[static_cast<size_t>(ErrorCause::Rejected)], 3000u);
}

}  // namespace
}  // namespace rapture
