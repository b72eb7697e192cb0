// Arrivals and balancing in the request flow (model alone): an instantaneous burst of N
// requests at time t, and the least-connections balancer (HAProxy's leastconn: a full scan).

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

/// One service behind a slow Poisson source (1/s), 10 s in bins of 100 ms, with `bursts`.
RunOutput run_with_bursts(std::vector<RateProfile::Burst> bursts) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 1, 10, 0, 3);
  sc.bin_width = 0.1;
  sc.workload[0].rate.bursts = std::move(bursts);
  sc.services.push_back({"s", params(1, 8, 100'000, Distribution::exponential(1e-3))});
  return run_model(topo, sc);
}

TEST(Burst, SendsExactlyNRequestsAtTimeTOnTopOfTheRate) {
  // The burst draws nothing from the source's arrival stream, so the run without it has the same
  // Poisson arrivals: the difference, bin by bin, is the burst alone.
  const auto base = run_with_bursts({});
  const auto burst = run_with_bursts({{5.0, 700}, {7.25, 3}});
  ASSERT_EQ(base.sink.service_bins.size(), burst.sink.service_bins.size());
  for (size_t b = 0; b < base.sink.service_bins.size(); ++b) {
    const auto extra = burst.sink.service_bins[b][0].arrivals - base.sink.service_bins[b][0].arrivals;
    EXPECT_EQ(extra, b == 50 ? 700u : b == 72 ? 3u : 0u) << "bin " << b;
  }
  EXPECT_EQ(burst.totals.summary.requests, base.totals.summary.requests + 703);
  // All 700 at once: 8 start, 692 wait, the queue's peak in that bin.
  EXPECT_GE(burst.sink.service_bins[50][0].queue_max, 692u);
}

TEST(Burst, OutsideTheRunOrEmptyIsAnErrorAtTheWorkload) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 1, 10, 0);
  sc.workload[0].rate.bursts = {{10, 5}};
  EXPECT_THROW(build_system(topo, sc), InputError);
  sc.workload[0].rate.bursts = {{1, 0}};
  EXPECT_THROW(build_system(topo, sc), InputError);
}

/// A closed loop of 4 users without think time on 4 single-worker replicas, balanced by `balancer`.
RunOutput run_four_users(Balancer balancer) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 1, 20, 0, 9);
  sc.workload[0].kind = WorkloadSpec::Kind::Closed;
  sc.workload[0].users = 4;
  sc.workload[0].think = Distribution::constant(0);
  auto p = params(4, 1, 100, Distribution::exponential(1e-3));
  p.balancer = balancer;
  sc.services.push_back({"s", p});
  return run_model(topo, sc);
}

TEST(LeastConnections, PicksTheReplicaWithTheFewestOutstandingSoNoRequestEverWaits) {
  // Four users on four one-worker replicas: when a request is sent, the three others are each
  // in service somewhere, so exactly one replica has no outstanding request. A full scan always
  // finds it, so no request ever waits in a queue.
  const auto out = run_four_users(Balancer::LeastConnections);
  ASSERT_GT(out.totals.services[0].completions, 50'000u);
  for (size_t b = 0; b < out.sink.service_bins.size(); ++b) EXPECT_EQ(out.sink.service_bins[b][0].queue_max, 0u);
  EXPECT_EQ(out.totals.services[0].queue_mean, 0.0);
}

TEST(LeastConnections, PowerOfTwoChoicesMissesTheIdleReplicaThatAFullScanFinds) {
  // The same loop under least_outstanding (two random replicas compared): it misses the idle
  // one whenever neither draw is it (probability 1/2 per request), so requests queue.
  const auto out = run_four_users(Balancer::LeastOutstanding);
  EXPECT_GT(out.totals.services[0].queue_mean, 0.1);
}

TEST(LeastConnections, TiesGoRoundRobinSoABurstOnIdleReplicasSpreadsEvenly) {
  // 6 requests at once on 3 idle one-worker replicas with a constant 1 s demand: every pick is a
  // tie broken round robin, 2 per replica: 3 complete at 1 s and 3 at 2 s, and 3 waited.
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 1e-6, 5, 0);
  sc.workload[0].rate.bursts = {{0.5, 6}};
  auto p = params(3, 1, 10, Distribution::constant(1));
  p.balancer = Balancer::LeastConnections;
  sc.services.push_back({"s", p});
  const auto out = run_model(topo, sc);
  EXPECT_EQ(out.sink.service_bins[0][0].queue_max, 3u);
  EXPECT_EQ(out.sink.service_bins[1][0].completions, 3u);
  EXPECT_EQ(out.sink.service_bins[2][0].completions, 3u);
}

}  // namespace
}  // namespace rapture
