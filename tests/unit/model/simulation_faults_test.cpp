// The fault timeline in the request flow (model alone): each fault changes what it should,
// where and when it should, and nothing else.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;
using Kind = FaultSpec::Kind;

FaultSpec fault(Kind kind, const std::string& target, double start, double end) {
  FaultSpec f;
  f.name = "f" + std::to_string(static_cast<int>(kind)) + target + std::to_string(start);
  f.kind = kind;
  f.target = target;
  f.start = start;
  f.end = end;
  return f;
}

uint64_t errors(const ServiceBinRow& r, ErrorCause c) { return r.errors[static_cast<size_t>(c)]; }

/// Sum of a per-bin quantity of service s over bins [from, to).
template <typename F>
double sum_bins(const RunOutput& o, size_t s, int from, int to, F f) {
  double total = 0;
  for (int b = from; b < to; ++b) total += f(o.sink.service_bins[static_cast<size_t>(b)][s]);
  return total;
}

TEST(Faults, ACrashRefusesCallsAndTheServiceRestartsOnTime) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 100, 30, 0);
  sc.services.push_back({"s", params(2, 8, 100, Distribution::exponential(5e-3))});
  sc.faults.push_back(fault(Kind::Crash, "s", 10, 20));
  const auto out = run_model(topo, sc);
  const auto unavailable = [](const ServiceBinRow& r) {
    return static_cast<double>(errors(r, ErrorCause::Unavailable));
  };
  const auto arrivals = [](const ServiceBinRow& r) { return static_cast<double>(r.arrivals); };
  EXPECT_EQ(sum_bins(out, 0, 0, 10, unavailable), 0);
  EXPECT_EQ(sum_bins(out, 0, 11, 20, unavailable), sum_bins(out, 0, 11, 20, arrivals));
  EXPECT_EQ(sum_bins(out, 0, 20, 30, unavailable), 0);
  EXPECT_GT(sum_bins(out, 0, 20, 30, [](const ServiceBinRow& r) { return static_cast<double>(r.completions); }), 900);
  const auto& t = out.totals.services[0];
  uint64_t all_errors = 0;
  for (auto v : t.errors) all_errors += v;
  EXPECT_EQ(t.arrivals, t.completions + all_errors + t.in_flight_end);
}

TEST(Faults, ACrashOfOneReplicaLeavesTheOthersServing) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 400, 30, 0);
  sc.services.push_back({"s", params(4, 8, 100, Distribution::exponential(5e-3))});
  auto f = fault(Kind::Crash, "s", 10, 20);
  f.replica = 0;
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  const double refused = sum_bins(
      out, 0, 11, 20, [](const ServiceBinRow& r) { return static_cast<double>(errors(r, ErrorCause::Unavailable)); });
  const double arrived =
      sum_bins(out, 0, 11, 20, [](const ServiceBinRow& r) { return static_cast<double>(r.arrivals); });
  EXPECT_NEAR(refused / arrived, 0.25, 0.01);  // round robin: exactly one call in four
}

TEST(Faults, InjectedLatencyAddsToTheVisitsDuringTheFault) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 50, 30, 0);
  sc.services.push_back({"s", params(1, 100, 100, Distribution::constant(1e-3))});
  auto f = fault(Kind::Latency, "s", 10, 20);
  f.latency = Distribution::constant(50e-3);
  auto g = fault(Kind::Latency, "s", 15, 20);  // overlapping: the two add up
  g.latency = Distribution::constant(20e-3);
  sc.faults.push_back(f);
  sc.faults.push_back(g);
  const auto out = run_model(topo, sc);
  EXPECT_NEAR(out.sink.service_bins[5][0].latency_mean, 1e-3, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[12][0].latency_mean, 51e-3, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[17][0].latency_mean, 71e-3, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[25][0].latency_mean, 1e-3, 1e-9);
}

TEST(Faults, ErrorInjectionFailsItsShareOfVisits) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 500, 40, 0);
  auto f = fault(Kind::Error, "s", 10, 30);
  f.error_rate = 0.3;
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  const double failed = sum_bins(
      out, 0, 11, 29, [](const ServiceBinRow& r) { return static_cast<double>(errors(r, ErrorCause::Injected)); });
  const double ended =
      failed + sum_bins(out, 0, 11, 29, [](const ServiceBinRow& r) { return static_cast<double>(r.completions); });
  // Binomial: 4 standard deviations.
  EXPECT_NEAR(failed / ended, 0.3, 4 * std::sqrt(0.3 * 0.7 / ended));
  EXPECT_EQ(sum_bins(out, 0, 0, 10,
                     [](const ServiceBinRow& r) { return static_cast<double>(errors(r, ErrorCause::Injected)); }),
            0);
}

TEST(Faults, AHostSlowdownSlowsOnlyTheReplicasOnThatHost) {
  auto topo = make_topology({"a", "b"}, {});
  auto sc = make_scenario("a", 20, 30, 0);
  sc.requests.push_back(RequestTypeSpec{"rb", "b", {}, {}, {}, {}, {}});
  sc.workload.push_back(sc.workload[0]);
  sc.workload[1].mix = {{"rb", 1.0}};
  sc.services.push_back({"a", params(1, 4, 100, Distribution::constant(10e-3))});
  sc.services.push_back({"b", params(1, 4, 100, Distribution::constant(10e-3))});
  sc.platform.hosts.push_back(HostSpec{"ha", 1e9, 4, 1, {}});
  sc.platform.hosts.push_back(HostSpec{"hb", 1e9, 4, 1, {}});
  sc.platform.placement.push_back({"a", {"ha"}});
  sc.platform.placement.push_back({"b", {"hb"}});
  auto f = fault(Kind::Slowdown, "ha", 10, 20);
  f.factor = 0.5;
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  EXPECT_NEAR(out.sink.service_bins[15][0].latency_mean, 20e-3, 1e-9);  // half speed: twice as long
  EXPECT_NEAR(out.sink.service_bins[15][1].latency_mean, 10e-3, 1e-9);  // the other host: unchanged
  EXPECT_NEAR(out.sink.service_bins[25][0].latency_mean, 10e-3, 1e-9);
}

TEST(Faults, QueueAndWorkerShrinksLastAsLongAsTheFault) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 300, 30, 0);
  sc.services.push_back({"s", params(1, 8, 1000, Distribution::exponential(10e-3))});  // 800/s
  auto q = fault(Kind::QueueShrink, "s", 5, 10);
  q.size = 0;
  auto w = fault(Kind::WorkerShrink, "s", 5, 10);
  w.size = 2;  // 200/s for 300/s, and nowhere to wait: overflow
  sc.faults.push_back(q);
  sc.faults.push_back(w);
  const auto out = run_model(topo, sc);
  const auto overflow = [](const ServiceBinRow& r) {
    return static_cast<double>(errors(r, ErrorCause::QueueOverflow));
  };
  EXPECT_EQ(sum_bins(out, 0, 0, 5, overflow), 0);
  EXPECT_GT(sum_bins(out, 0, 6, 10, overflow), 300);
  EXPECT_EQ(sum_bins(out, 0, 11, 30, overflow), 0);
  for (int b = 6; b < 10; ++b) EXPECT_LE(out.sink.service_bins[static_cast<size_t>(b)][0].busy_mean, 2.0 + 1e-9);
}

TEST(Faults, AHostFailureTakesDownEveryReplicaOnIt) {
  auto topo = make_topology({"a", "b"}, {});
  auto sc = make_scenario("a", 50, 30, 0);
  sc.requests.push_back(RequestTypeSpec{"rb", "b", {}, {}, {}, {}, {}});
  sc.workload.push_back(sc.workload[0]);
  sc.workload[1].mix = {{"rb", 1.0}};
  sc.platform.hosts.push_back(HostSpec{"shared", 1e9, 64, 1, {}});
  sc.platform.hosts.push_back(HostSpec{"other", 1e9, 64, 1, {}});
  sc.platform.placement.push_back({"a", {"shared"}});
  sc.platform.placement.push_back({"b", {"shared", "other"}});  // b's replica 1 elsewhere
  sc.faults.push_back(fault(Kind::HostFailure, "shared", 10, 20));
  const auto out = run_model(topo, sc);
  const auto share = [&](size_t s) {
    return sum_bins(out, s, 11, 20,
                    [](const ServiceBinRow& r) { return static_cast<double>(errors(r, ErrorCause::Unavailable)); }) /
           sum_bins(out, s, 11, 20, [](const ServiceBinRow& r) { return static_cast<double>(r.arrivals); });
  };
  EXPECT_DOUBLE_EQ(share(0), 1.0);
  EXPECT_NEAR(share(1), 0.5, 0.02);
}

TEST(Faults, ASwallowingDependencyIsNoticedOnlyByTimeouts) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 50, 30, 0);
  PolicySpec p;
  p.per_try_timeout = 100e-3;
  sc.policy_edges.push_back({{"a", "b"}, p});
  sc.faults.push_back(fault(Kind::Swallow, "b", 10, 20));
  const auto out = run_model(topo, sc);
  const auto timeouts = [](const ServiceBinRow& r) { return static_cast<double>(errors(r, ErrorCause::Timeout)); };
  EXPECT_EQ(sum_bins(out, 0, 0, 10, timeouts), 0);
  EXPECT_GT(sum_bins(out, 0, 11, 20, timeouts), 400);
  // b itself reports nothing wrong: it completes every visit.
  uint64_t b_errors = 0;
  for (auto v : out.totals.services[1].errors) b_errors += v;
  EXPECT_EQ(b_errors, 0u);
}

TEST(Faults, ALoadSpikeMultipliesArrivals) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 100, 30, 0);
  auto f = fault(Kind::LoadSpike, "", 10, 20);
  f.factor = 3;
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  const auto arrivals = [](const ServiceBinRow& r) { return static_cast<double>(r.arrivals); };
  EXPECT_NEAR(sum_bins(out, 0, 0, 10, arrivals), 1000, 4 * std::sqrt(1000.0));
  EXPECT_NEAR(sum_bins(out, 0, 10, 20, arrivals), 3000, 4 * std::sqrt(3000.0));
}

TEST(Faults, UnknownTargetsAndContradictoryShrinksAreErrors) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 10, 10, 0);
  sc.faults.push_back(fault(Kind::Crash, "nope", 1, 2));
  EXPECT_THROW(build_system(topo, sc), InputError);
  sc.faults = {fault(Kind::Slowdown, "no-host", 1, 2)};
  EXPECT_THROW(build_system(topo, sc), InputError);
  auto a = fault(Kind::QueueShrink, "s", 1, 5);
  a.size = 3;
  auto b = fault(Kind::QueueShrink, "s", 4, 6);
  b.size = 7;
  sc.faults = {a, b};
  try {
    build_system(topo, sc);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("contradicts"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rapture

namespace rapture {
namespace {

using namespace rapture::testing;
using Kind = FaultSpec::Kind;

FaultSpec net_fault(Kind kind, const std::string& target, double start, double end) {
  FaultSpec f;
  f.name = "n" + std::to_string(static_cast<int>(kind)) + target;
  f.kind = kind;
  f.target = target;
  f.start = start;
  f.end = end;
  return f;
}

TEST(Faults, LatencyOnAnEdgeDelaysOnlyThatEdgesCalls) {
  auto topo = make_topology({"a", "b", "c"}, {{"a", "b", {}}, {"a", "c", {}}});
  auto sc = make_scenario("a", 20, 30, 0);
  for (auto& s : {"a", "b", "c"}) sc.services.push_back({s, params(1, 100, 100, Distribution::constant(1e-3))});
  auto f = net_fault(Kind::Latency, "a -> b", 10, 20);
  f.latency = Distribution::constant(40e-3);
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  // a: 1 ms + b (1 ms) + c (1 ms); during the fault 40 ms more on the way to b only.
  EXPECT_NEAR(out.sink.service_bins[5][0].latency_mean, 3e-3, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[15][0].latency_mean, 43e-3, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[15][1].latency_mean, 1e-3, 1e-9);  // b itself is not slower
}

TEST(Faults, APartitionDropsMessagesOnlyTimeoutsNotice) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 50, 30, 0);
  sc.platform.hosts.push_back(HostSpec{"ha", 1e9, 1000, 1, {}});
  sc.platform.hosts.push_back(HostSpec{"hb", 1e9, 1000, 1, {}});
  sc.platform.placement.push_back({"a", {"ha"}});
  sc.platform.placement.push_back({"b", {"hb"}});
  PolicySpec p;
  p.per_try_timeout = 100e-3;
  sc.policy_edges.push_back({{"a", "b"}, p});
  sc.faults.push_back(net_fault(Kind::Partition, "hb", 10, 20));
  const auto out = run_model(topo, sc);
  const auto& a = out.totals.services[0];
  EXPECT_GT(a.errors[static_cast<size_t>(ErrorCause::Timeout)], 400u);
  // b sees nothing during the partition, and reports nothing wrong.
  double b_during = 0;
  for (int bin = 11; bin < 20; ++bin)
    b_during += static_cast<double>(out.sink.service_bins[static_cast<size_t>(bin)][1].arrivals);
  EXPECT_EQ(b_during, 0);
  uint64_t b_errors = 0;
  for (auto v : out.totals.services[1].errors) b_errors += v;
  EXPECT_EQ(b_errors, 0u);
}

TEST(Faults, AMixShiftChangesTheRequestMixWhileItLasts) {
  auto topo = make_topology({"a", "b"}, {});
  auto sc = make_scenario("a", 200, 30, 0);
  sc.requests.push_back(RequestTypeSpec{"rb", "b", {}, {}, {}, {}, {}});
  auto f = net_fault(Kind::MixShift, "", 10, 20);
  f.mix = {{"rb", 1.0}};
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  EXPECT_EQ(out.sink.service_bins[15][1].arrivals, out.sink.request_bins[15][1].arrivals);
  EXPECT_EQ(out.sink.service_bins[15][0].arrivals, 0u);
  EXPECT_EQ(out.sink.service_bins[25][1].arrivals, 0u);
  EXPECT_GT(out.sink.service_bins[25][0].arrivals, 100u);
}

}  // namespace
}  // namespace rapture

namespace rapture {
namespace {

using namespace rapture::testing;

TEST(Faults, ADegradedLinkAddsLatencyToEveryHopThroughIt) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", {}}});
  auto sc = make_scenario("a", 20, 30, 0);
  sc.platform.hop_latency = 1e-3;
  sc.platform.hosts.push_back(HostSpec{"ha", 1e9, 1000, 1, {}});
  sc.platform.hosts.push_back(HostSpec{"hb", 1e9, 1000, 1, {}});
  sc.platform.placement.push_back({"a", {"ha"}});
  sc.platform.placement.push_back({"b", {"hb"}});
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(0))});
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(0))});
  FaultSpec f;
  f.name = "slow-link";
  f.kind = FaultSpec::Kind::LinkDegradation;
  f.target = "hb";
  f.start = 10;
  f.end = 20;
  f.latency = Distribution::constant(10e-3);
  sc.faults.push_back(f);
  const auto out = run_model(topo, sc);
  EXPECT_NEAR(out.sink.service_bins[5][0].latency_mean, 2e-3, 1e-9);    // two 1 ms hops
  EXPECT_NEAR(out.sink.service_bins[15][0].latency_mean, 22e-3, 1e-9);  // both hops cross hb's link
}

}  // namespace
}  // namespace rapture
