// Regressions found in review of the request flow with policies and faults: each test is a
// scenario that once produced a wrong result or a crash.

#include <gtest/gtest.h>

#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

uint64_t ended(const ServiceTotals& t) {
  uint64_t e = t.completions;
  for (auto v : t.errors) e += v;
  return e;
}

void expect_conservation(const RunOutput& out) {
  for (size_t s = 0; s < out.totals.services.size(); ++s) {
    const auto& t = out.totals.services[s];
    EXPECT_EQ(t.arrivals, ended(t) + t.in_flight_end) << "service " << s;
  }
}

TEST(Regression, AReplyOnItsWayWhenTheTryTimesOutDoesNotReachTheCaller) {
  // Round trip 25 ms (10 ms hops, 5 ms work) against a 22 ms per-try timeout: every call
  // times out, although every reply does arrive, 3 ms late.
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 1000, 5, 0);
  sc.platform.hop_latency = 10e-3;
  sc.services.push_back({"a", params(1, 1000, 1000, Distribution::constant(0))});
  sc.services.push_back({"b", params(1, 1000, 1000, Distribution::constant(5e-3))});
  PolicySpec p;
  p.per_try_timeout = 22e-3;
  sc.policy_edges.push_back({{"a", "b"}, p});
  const auto out = run_model(topo, sc);
  EXPECT_EQ(out.totals.summary.successes, 0u);
  EXPECT_GT(out.totals.summary.failures, 4000u);
  expect_conservation(out);
}

TEST(Regression, ACallEndingAtOnceInsideAParallelGroupDoesNotReenterTheVisit) {
  CallEdge g;
  g.group = "g";
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", g}, {"a", "c", g}});
  auto sc = make_scenario("a", 200, 10, 0);
  sc.services.push_back({"a", params(1, 1000, 1000, Distribution::constant(0))});
  sc.services.push_back({"b", params(1, 1000, 1000, Distribution::constant(1e-3))});
  sc.services.back().second.error_rate = 1.0;
  PolicySpec p;
  CircuitBreakerConfig cb = CircuitBreakerConfig::resilience4j();
  cb.window_size = 10;
  cb.minimum_calls = 10;
  cb.wait_in_open = 1000;
  p.circuit_breaker = cb;
  p.fallback = true;
  sc.policy_edges.push_back({{"a", "b"}, p});
  const auto out = run_model(topo, sc);
  EXPECT_EQ(out.totals.summary.failures, 0u);
  EXPECT_EQ(out.totals.summary.degraded, out.totals.summary.successes);
  // Each visit of a calls c exactly once, whatever happens to its call to b.
  EXPECT_EQ(out.totals.services[2].arrivals, out.totals.services[0].arrivals);
  expect_conservation(out);
}

TEST(Regression, ASwallowedVisitsIdReusedByATryAbandonedInTransitIsFreedOnce) {
  CallEdge tolerated;
  tolerated.critical = false;
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", tolerated}, {"a", "c", {}}});
  auto sc = make_scenario("a", 200, 10, 0);
  sc.platform.hop_latency = 20e-3;
  sc.platform.hosts.push_back(HostSpec{"one", 1e9, 10000, 1, {}});
  sc.platform.hosts.push_back(HostSpec{"two", 1e9, 10000, 1, {}});
  sc.platform.placement.push_back({"a", {"one"}});
  sc.platform.placement.push_back({"b", {"one"}});
  sc.platform.placement.push_back({"c", {"two"}});
  PolicySpec p;
  p.per_try_timeout = 10e-3;
  sc.policy_edges.push_back({{"a", "b"}, p});
  sc.policy_edges.push_back({{"a", "c"}, p});
  FaultSpec swallow;
  swallow.name = "swallow";
  swallow.kind = FaultSpec::Kind::Swallow;
  swallow.target = "b";
  swallow.start = 0;
  swallow.end = 10;
  sc.faults.push_back(swallow);
  const auto out = run_model(topo, sc);
  EXPECT_FALSE(out.totals.summary.stopped_early) << out.totals.summary.stop_reason;
  expect_conservation(out);
}

TEST(Regression, ACrashedReplicaIsEjectedAndTheOthersServeItsShare) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 400, 30, 0);
  sc.services.push_back({"b", params(4, 100, 100, Distribution::constant(1e-3))});
  ProtectionSpec prot;
  prot.service = "b";
  OutlierConfig oc = OutlierConfig::envoy();
  oc.max_ejection_percent = 25;
  prot.outlier_ejection = oc;
  sc.protections.push_back(prot);
  FaultSpec crash;
  crash.name = "crash";
  crash.kind = FaultSpec::Kind::Crash;
  crash.target = "b";
  crash.replica = 0;
  crash.start = 0;
  crash.end = 30;
  sc.faults.push_back(crash);
  const System sys = build_system(topo, sc);
  CollectingSink sink;
  Simulation sim(sys, sink, nullptr);
  sim.run_until(30);
  const auto totals = sim.finish(30);
  // Replica arrivals are not in the totals; the service's are: with the crashed replica
  // ejected, b's completions come from the three others. Unavailable errors stop early.
  const auto& b = totals.services[1];
  EXPECT_LT(b.errors[static_cast<size_t>(ErrorCause::Unavailable)], 50u);
  EXPECT_GT(b.completions, 11000u);
}

TEST(Regression, VisitsKilledByACrashStayCountedUntilTheirEnd) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 20, 5, 0);
  sc.services.push_back({"s", params(1, 100, 100, Distribution::constant(1.0))});
  FaultSpec crash;
  crash.name = "crash";
  crash.kind = FaultSpec::Kind::Crash;
  crash.target = "s";
  crash.start = 4.5;
  crash.end = 100;
  sc.faults.push_back(crash);
  const auto out = run_model(topo, sc);
  expect_conservation(out);
  EXPECT_GT(out.totals.services[0].in_flight_end, 0u);
}

}  // namespace
}  // namespace rapture
