// The request-flow model's design features run alone (no SimGrid): in-process calls (merged
// services), tenants and the users a failure reaches, the cell router (one cell per tenant,
// shuffle sharding), decaying legacy services, and determinism with these features on.
// Stochastic checks use fixed seeds and tolerances of 4 standard deviations of the binomial
// (or Poisson) count they rest on; deterministic ones use exact service times.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

constexpr auto kOverflow = static_cast<size_t>(ErrorCause::QueueOverflow);
constexpr auto kUnavailable = static_cast<size_t>(ErrorCause::Unavailable);

uint64_t errors_of(const ServiceTotals& t) {
  uint64_t e = 0;
  for (auto v : t.errors) e += v;
  return e;
}

CallEdge edge_of(CallMode mode) {
  CallEdge e;
  e.mode = mode;
  return e;
}

FaultSpec crash(const std::string& target, double start, double end) {
  FaultSpec f;
  f.name = "crash " + target;
  f.kind = FaultSpec::Kind::Crash;
  f.target = target;
  f.start = start;
  f.end = end;
  return f;
}

/// Sum of a request-bin field over bins [first, last).
template <typename F>
double request_sum(const RunOutput& out, size_t first, size_t last, F field) {
  double sum = 0;
  for (size_t i = first; i < last && i < out.sink.request_bins.size(); ++i) sum += field(out.sink.request_bins[i][0]);
  return sum;
}

// ---------------------------------------------------------------------------------------------
// In-process calls
// ---------------------------------------------------------------------------------------------

/// a (1 ms) calls b (10 ms) with `mode`, one network hop of 50 ms each way between their hosts
/// (each replica has a host of its own when the platform declares none).
RunOutput hop_run(CallMode mode) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", edge_of(mode)}});
  auto sc = make_scenario("a", 20, 30, 0);
  sc.platform.hop_latency = 50e-3;
  sc.services.push_back({"a", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 100, 100, Distribution::constant(10e-3))});
  return run_model(topo, sc);
}

TEST(DesignSimulation, InProcessCallCrossesNoNetworkHop) {
  const auto sync = hop_run(CallMode::Sync);
  const auto inproc = hop_run(CallMode::InProcess);
  // Sync: 1 ms at a + 50 ms there + 10 ms at b + 50 ms back. In-process: 1 + 10 ms, no hop.
  EXPECT_NEAR(sync.totals.services[0].latency_mean, 111e-3, 1e-9);
  EXPECT_NEAR(inproc.totals.services[0].latency_mean, 11e-3, 1e-9);
  // End to end (the client reaches the entry without a hop) the same.
  EXPECT_NEAR(sync.totals.summary.latency_mean, 111e-3, 1e-9);
  EXPECT_NEAR(inproc.totals.summary.latency_mean, 11e-3, 1e-9);
  // At b itself the visit takes its own 10 ms either way.
  EXPECT_NEAR(sync.totals.services[1].latency_mean, 10e-3, 1e-9);
  EXPECT_NEAR(inproc.totals.services[1].latency_mean, 10e-3, 1e-9);
  EXPECT_GT(inproc.totals.summary.successes, 400u);
}

/// a (1 ms, many workers) calls b (10 ms) with `mode`; b has one worker and no queue places.
RunOutput narrow_callee_run(CallMode mode) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", edge_of(mode)}});
  auto sc = make_scenario("a", 300, 20, 0, 3);
  sc.services.push_back({"a", params(1, 1000, 1000, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 1, 0, Distribution::constant(10e-3))});
  return run_model(topo, sc);
}

TEST(DesignSimulation, InProcessCallNeitherQueuesAtTheCalleeNorTakesItsWorkers) {
  // Offered load at b: 300/s x 10 ms = 3 busy workers; b has one and no queue.
  const auto sync = narrow_callee_run(CallMode::Sync);
  const auto& sb = sync.totals.services[1];
  // Sync calls overflow b: Erlang B with one server, a = 3: 3/4 of the calls (4 sd ~ 0.04).
  EXPECT_NEAR(static_cast<double>(sb.errors[kOverflow]) / static_cast<double>(sb.arrivals), 0.75, 0.04);

  const auto inproc = narrow_callee_run(CallMode::InProcess);
  const auto& a = inproc.totals.services[0];
  const auto& b = inproc.totals.services[1];
  EXPECT_EQ(b.errors[kOverflow], 0u);
  EXPECT_EQ(errors_of(b), 0u);
  EXPECT_EQ(inproc.totals.summary.failures, 0u);
  // Every visit of a ran b's code once: b's own arrivals and completions are counted.
  EXPECT_EQ(b.completions, a.completions);
  EXPECT_GE(b.arrivals, a.completions);
  EXPECT_LE(b.arrivals, a.completions + a.in_flight_end);
  // 300/s over 20 s (Poisson, 4 sd ~ 310): far more than b's one worker could serve (100/s).
  EXPECT_NEAR(static_cast<double>(a.completions), 6000, 310);
  // b's workers stay idle; a's workers hold the whole 11 ms (Little: busy = rate x 11 ms).
  EXPECT_EQ(b.busy_mean, 0.0);
  EXPECT_EQ(b.queue_mean, 0.0);
  EXPECT_NEAR(a.busy_mean, a.arrival_rate * 11e-3, 0.01 * a.arrival_rate * 11e-3 + 0.01);
  EXPECT_NEAR(a.latency_mean, 11e-3, 1e-9);
}

TEST(DesignSimulation, InProcessCalleeComputesAtTheCallersHostSpeed) {
  // a runs on a host of half the reference speed (uncontended: a core per worker); b on its own
  // reference-speed host. A sync call computes b there (10 ms); an in-process one on a's host (20 ms).
  for (const CallMode mode : {CallMode::Sync, CallMode::InProcess}) {
    auto topo = make_topology({"a", "b"}, {{"a", "b", edge_of(mode)}});
    auto sc = make_scenario("a", 20, 20, 0);
    sc.platform.hosts.push_back(HostSpec{"slow", 0.5e9, 16, 1, {}});
    sc.platform.placement.push_back({"a", {"slow"}});
    sc.services.push_back({"a", params(1, 16, 100, Distribution::constant(1e-3))});
    sc.services.push_back({"b", params(1, 16, 100, Distribution::constant(10e-3))});
    const auto out = run_model(topo, sc);
    const double expected = mode == CallMode::Sync ? 2e-3 + 10e-3 : 2e-3 + 20e-3;
    EXPECT_NEAR(out.totals.services[0].latency_mean, expected, 1e-9) << to_string(mode);
  }
}

TEST(DesignSimulation, CrashOfTheCallerKillsItsInProcessWork) {
  // a (1 ms) runs b's 100 ms in-process; a crashes over [10, 20).
  auto topo = make_topology({"a", "b"}, {{"a", "b", edge_of(CallMode::InProcess)}});
  auto sc = make_scenario("a", 100, 30, 0, 5);
  sc.services.push_back({"a", params(1, 1000, 1000, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 1, 0, Distribution::constant(100e-3))});
  sc.faults.push_back(crash("a", 10, 20));
  const auto out = run_model(topo, sc);
  auto failures = [](const RequestBinRow& r) { return static_cast<double>(r.failures); };
  auto successes = [](const RequestBinRow& r) { return static_cast<double>(r.successes); };
  auto arrivals = [](const RequestBinRow& r) { return static_cast<double>(r.arrivals); };
  // Before: nothing fails. During: nothing succeeds, every request sent fails.
  EXPECT_EQ(request_sum(out, 0, 10, failures), 0.0);
  EXPECT_EQ(request_sum(out, 11, 20, successes), 0.0);
  EXPECT_EQ(request_sum(out, 11, 20, failures), request_sum(out, 11, 20, arrivals));
  EXPECT_GT(request_sum(out, 11, 20, failures), 500.0);
  // After the restart it serves again.
  EXPECT_GT(request_sum(out, 21, 30, successes), 500.0);
  // The in-process visits of b running on a's replica at the crash died with it (Poisson with
  // mean 100/s x 0.1 s = 10 of them: none is a chance of e^-10) and failed their requests.
  const auto& b = out.totals.services[1];
  EXPECT_GT(b.errors[kUnavailable], 0u);
  EXPECT_LT(b.errors[kUnavailable], 40u);
  EXPECT_EQ(b.errors[kOverflow], 0u);
  const double bin10 = request_sum(out, 10, 11, failures);
  EXPECT_GE(bin10, static_cast<double>(b.errors[kUnavailable]));
  // b's own rows: its arrivals and completions are counted, bins adding up to the totals.
  uint64_t bin_arrivals = 0, bin_completions = 0;
  for (const auto& bin : out.sink.service_bins) {
    bin_arrivals += bin[1].arrivals;
    bin_completions += bin[1].completions;
  }
  EXPECT_EQ(bin_arrivals, b.arrivals);
  EXPECT_EQ(bin_completions, b.completions);
  EXPECT_GT(b.completions, 1000u);
  // Before the crash each visit of a ran b once.
  double a_before = 0, b_before = 0;
  for (size_t i = 0; i < 9; ++i) {
    a_before += static_cast<double>(out.sink.service_bins[i][0].completions);
    b_before += static_cast<double>(out.sink.service_bins[i][1].completions);
  }
  EXPECT_NEAR(b_before, a_before, 15);  // only visits straddling a bin end differ
}

// An in-process visit still computing when the run ends holds its caller's worker, not one of
// the callee's: it must still count in the callee's in_flight_end, or the callee's totals break
// conservation (arrivals = completions + errors + in flight), which check_results.py checks.
TEST(DesignSimulation, InProcessCalleeTotalsConserveVisitsInFlightAtRunEnd) {
  auto topo = make_topology({"a", "b"}, {{"a", "b", edge_of(CallMode::InProcess)}});
  // 100/s into b's 200 ms: about 20 in-process visits are running at the end (none: e^-20).
  auto sc = make_scenario("a", 100, 10.05, 0, 9);
  sc.services.push_back({"a", params(1, 1000, 1000, Distribution::constant(1e-3))});
  sc.services.push_back({"b", params(1, 1, 0, Distribution::constant(200e-3))});
  const auto out = run_model(topo, sc);
  for (size_t s = 0; s < 2; ++s) {
    const auto& t = out.totals.services[s];
    EXPECT_EQ(t.arrivals, t.completions + errors_of(t) + t.in_flight_end)
        << "service " << s << ": arrivals " << t.arrivals << ", completions " << t.completions << ", errors "
        << errors_of(t) << ", in flight at the end " << t.in_flight_end;
  }
  EXPECT_GT(out.totals.services[0].in_flight_end, 0u);  // the callers are counted
}

// ---------------------------------------------------------------------------------------------
// Tenants: the users a failure reaches
// ---------------------------------------------------------------------------------------------

TEST(DesignSimulation, UsersCountTenantsWithRequestsEndingInTheFaultWindow) {
  // 1000 tenants, 100 requests/s, the window [10, 20): N ~ Poisson(1000) requests, each from a
  // uniform tenant. E[users] = 1000 (1 - e^-1) = 632.1; Var = occupancy variance
  // 1000 e^-1 (1 - 2 e^-1) = 97.2 plus Poisson(N) through the slope e^-1: 0.135 x 1000 = 135,
  // sd 15.2 -> 4 sd = 61. (Over the whole 30 s run it would be 1000 (1 - e^-3) = 950.)
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 100, 30, 0, 2);
  sc.services.push_back({"s", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.workload[0].tenants = 1000;
  sc.faults.push_back(crash("s", 10, 20));
  const System sys = build_system(topo, sc);
  EXPECT_EQ(sys.tenants, 1000u);
  EXPECT_DOUBLE_EQ(sys.user_window_start, 10);
  EXPECT_DOUBLE_EQ(sys.user_window_end, 20);
  const auto out = run_model(topo, sc);
  const auto& sum = out.totals.summary;
  EXPECT_NEAR(static_cast<double>(sum.users), 632.1, 61);
  // The only service is down all the window: every request ending in it failed, every user fails.
  EXPECT_EQ(sum.users_failing, sum.users);
}

TEST(DesignSimulation, CrashOfTheOnlyEntryMakesEveryUserFailing) {
  // 50 tenants, 500/s over a 10 s window: 100 requests per tenant, none missed (50 e^-100).
  auto topo = make_topology({"fe", "db"}, {{"fe", "db", {}}});
  auto sc = make_scenario("fe", 500, 30, 0, 4);
  sc.services.push_back({"fe", params(2, 100, 100, Distribution::constant(1e-3))});
  sc.services.push_back({"db", params(2, 100, 100, Distribution::constant(2e-3))});
  sc.workload[0].tenants = 50;
  sc.faults.push_back(crash("fe", 10, 20));
  const auto out = run_model(topo, sc);
  EXPECT_EQ(out.totals.summary.users, 50u);
  EXPECT_EQ(out.totals.summary.users_failing, 50u);
}

TEST(DesignSimulation, UsersFailingUseTheAnalysisDegradedShare) {
  // Half of the requests fail in the window; 20 tenants with ~200 requests each. Above the
  // default share 0.05 every tenant fails; with a share of 0.8 none does (P(Bin(200, 0.5) > 160)
  // is about 1e-19).
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 400, 30, 0, 6);
  sc.services.push_back({"s", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.workload[0].tenants = 20;
  FaultSpec err;
  err.name = "errors";
  err.kind = FaultSpec::Kind::Error;
  err.target = "s";
  err.error_rate = 0.5;
  err.start = 10;
  err.end = 20;
  sc.faults.push_back(err);
  const auto strict = run_model(topo, sc);
  EXPECT_EQ(strict.totals.summary.users, 20u);
  EXPECT_EQ(strict.totals.summary.users_failing, 20u);
  sc.analysis.degraded_error = 0.8;
  EXPECT_DOUBLE_EQ(build_system(topo, sc).user_failing_share, 0.8);
  const auto lenient = run_model(topo, sc);
  EXPECT_EQ(lenient.totals.summary.users, 20u);
  EXPECT_EQ(lenient.totals.summary.users_failing, 0u);
}

TEST(DesignSimulation, NoFaultNoUsers) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 200, 20, 0);
  sc.services.push_back({"s", params(1, 100, 100, Distribution::constant(1e-3))});
  sc.workload[0].tenants = 100;
  const auto out = run_model(topo, sc);
  EXPECT_GT(out.totals.summary.requests, 3000u);
  EXPECT_EQ(out.totals.summary.users, 0u);
  EXPECT_EQ(out.totals.summary.users_failing, 0u);
}

// ---------------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------------

/// K copies fe0..fe{K-1} of the entry, each calling a shared db; the request type enters at
/// fe0 or at the copy in the tenant's cell.
struct CellSetup {
  Topology topo;
  Scenario sc;
};
CellSetup cell_setup(int cells, int64_t tenants, bool shuffle, uint64_t seed) {
  std::vector<std::string> names;
  std::vector<EdgeSpec> edges;
  for (int c = 0; c < cells; ++c) {
    names.push_back("fe" + std::to_string(c));
    edges.push_back({names.back(), "db", {}});
  }
  names.push_back("db");
  CellSetup s{make_topology(names, edges), make_scenario("fe0", 400, 20, 0, seed)};
  for (int c = 0; c < cells; ++c) {
    s.sc.services.push_back({names[c], params(1, 100, 100, Distribution::constant(1e-3))});
    s.sc.requests[0].cell_entries.push_back(names[c]);
  }
  s.sc.services.push_back({"db", params(1, 100, 100, Distribution::constant(1e-3))});
  s.sc.cells = cells;
  s.sc.shuffle_sharding = shuffle;
  s.sc.workload[0].tenants = tenants;
  return s;
}

TEST(DesignSimulation, CellSystemResolvesTheEntryCopies) {
  auto s = cell_setup(2, 1, false, 1);
  const System sys = build_system(s.topo, s.sc);
  EXPECT_EQ(sys.cells, 2u);
  ASSERT_EQ(sys.request_types[0].cell_entries.size(), 2u);
  EXPECT_EQ(sys.services[sys.request_types[0].cell_entries[0]].name, "fe0");
  EXPECT_EQ(sys.services[sys.request_types[0].cell_entries[1]].name, "fe1");
  // Both copies have their call plan (fe1 is not reachable from the nominal entry fe0).
  EXPECT_EQ(sys.plan(0, sys.request_types[0].cell_entries[1]).stage_count, 1u);
  // A cell entry per cell.
  s.sc.cells = 3;
  EXPECT_THROW(build_system(s.topo, s.sc), InputError);
}

TEST(DesignSimulation, OneTenantAlwaysGoesToTheSameCell) {
  int cell_seen = -1;
  for (const uint64_t seed : {1u, 2u, 3u}) {
    auto s = cell_setup(2, 1, false, seed);
    const auto out = run_model(s.topo, s.sc);
    const auto& t = out.totals.services;
    const uint64_t requests = out.totals.summary.requests;
    ASSERT_GT(requests, 7000u);
    // All arrivals at one copy, none at the other; the db sees every request.
    EXPECT_TRUE((t[0].arrivals == 0) != (t[1].arrivals == 0)) << t[0].arrivals << " / " << t[1].arrivals;
    EXPECT_LE(t[2].arrivals, t[0].arrivals + t[1].arrivals);  // less those still at fe at the end
    EXPECT_GE(t[2].arrivals, t[0].completions + t[1].completions);
    // The router hashes the tenant: the same cell whatever the seed.
    const int cell = t[0].arrivals > 0 ? 0 : 1;
    if (cell_seen >= 0) {
      EXPECT_EQ(cell, cell_seen) << "seed " << seed;
    }
    cell_seen = cell;
  }
}

TEST(DesignSimulation, ManyTenantsSpreadOverBothCells) {
  // 1000 tenants hashed to 2 cells: the tenants in cell 0 ~ Bin(1000, 1/2) (the hash as a
  // random function); each of the n requests goes to cell 0 with that share. The share of fe0
  // has variance 0.25/1000 + 0.25/n; 4 sd with n ~ 8000 is 0.067.
  auto s = cell_setup(2, 1000, false, 8);
  const auto out = run_model(s.topo, s.sc);
  const auto& t = out.totals.services;
  const double n = static_cast<double>(t[0].arrivals + t[1].arrivals);
  ASSERT_GT(n, 7000);
  const double share = static_cast<double>(t[0].arrivals) / n;
  EXPECT_NEAR(share, 0.5, 4 * std::sqrt(0.25 / 1000 + 0.25 / n));
  EXPECT_EQ(out.totals.summary.failures, 0u);
}

TEST(DesignSimulation, ShuffleShardingSpreadsOneTenantOverExactlyTwoCells) {
  // 3 cells, one tenant: its shard is a pair of cells, each request picking one of the two
  // with probability 1/2: Bin(n, 1/2) at each, 4 sd = 2 sqrt(n).
  auto s = cell_setup(3, 1, true, 12);
  const auto out = run_model(s.topo, s.sc);
  const auto& t = out.totals.services;
  int used = 0;
  uint64_t n = 0;
  for (size_t c = 0; c < 3; ++c) {
    used += t[c].arrivals > 0;
    n += t[c].arrivals;
  }
  EXPECT_EQ(used, 2);
  ASSERT_GT(n, 7000u);
  EXPECT_LE(t[3].arrivals, n);  // the db sees them all, less those still at a cell's entry at the end
  EXPECT_GE(t[3].arrivals, t[0].completions + t[1].completions + t[2].completions);
  for (size_t c = 0; c < 3; ++c) {
    if (t[c].arrivals == 0) continue;
    EXPECT_NEAR(static_cast<double>(t[c].arrivals), n / 2.0, 2 * std::sqrt(static_cast<double>(n))) << "cell " << c;
  }
}

// ---------------------------------------------------------------------------------------------
// Decay
// ---------------------------------------------------------------------------------------------

/// One decaying service (1 ms, plenty of workers), 200 requests/s over 100 s.
RunOutput decay_run(Ramp errors, Ramp latency) {
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 200, 100, 0, 21);
  sc.services.push_back({"s", params(1, 1000, 1000, Distribution::constant(1e-3))});
  sc.decays.push_back(ServiceDecay{"s", errors, latency});
  return run_model(topo, sc);
}

TEST(DesignSimulation, DecayErrorRampRaisesTheErrorShareOverTheRun) {
  const auto out = decay_run(Ramp{0, 1}, Ramp{0, 0});
  auto failures = [](const RequestBinRow& r) { return static_cast<double>(r.failures); };
  auto ended = [](const RequestBinRow& r) { return static_cast<double>(r.failures + r.successes); };
  // Requests uniform in time: the failures of a window are Bin(n, mean of the ramp there).
  // First tenth: mean of t/T over [0, 0.1 T] = 0.05; last tenth: 0.95; n ~ 2000: 4 sd = 0.0195.
  const double n_first = request_sum(out, 0, 10, ended);
  const double n_last = request_sum(out, 90, 100, ended);
  ASSERT_GT(n_first, 1500);
  ASSERT_GT(n_last, 1500);
  EXPECT_NEAR(request_sum(out, 0, 10, failures) / n_first, 0.05, 4 * std::sqrt(0.05 * 0.95 / n_first));
  EXPECT_NEAR(request_sum(out, 90, 100, failures) / n_last, 0.95, 4 * std::sqrt(0.05 * 0.95 / n_last));
  // Over the whole run: 1/2 (n ~ 20000: 4 sd = 0.014).
  const double n = request_sum(out, 0, 100, ended);
  EXPECT_NEAR(request_sum(out, 0, 100, failures) / n, 0.5, 4 * std::sqrt(0.25 / n));
  // The failures are the service's injected ones.
  EXPECT_EQ(out.totals.services[0].errors[static_cast<size_t>(ErrorCause::Injected)],
            static_cast<uint64_t>(request_sum(out, 0, 100, failures)));
}

TEST(DesignSimulation, DecayLatencyRampAddsLatencyGrowingOverTime) {
  // 0 -> 100 ms over the 100 s run, on top of 1 ms: a visit computed at t takes 1 ms + 1 ms x t/s.
  // The mean over a window is 1 ms + 1 ms x (mean completion time); the times are uniform, the
  // sd of their mean over ~2000 requests is 10 s / sqrt(12 x 2000) = 0.06 s -> 0.06 ms; tolerance 0.5 ms.
  const auto out = decay_run(Ramp{0, 0}, Ramp{0, 0.1});
  auto latency_sum = [](const RequestBinRow& r) { return r.latency_mean * static_cast<double>(r.successes); };
  auto successes = [](const RequestBinRow& r) { return static_cast<double>(r.successes); };
  const double first = request_sum(out, 0, 10, latency_sum) / request_sum(out, 0, 10, successes);
  const double last = request_sum(out, 90, 100, latency_sum) / request_sum(out, 90, 100, successes);
  EXPECT_NEAR(first, 1e-3 + 5e-3, 0.5e-3);
  EXPECT_NEAR(last, 1e-3 + 95e-3, 0.5e-3);
  // Bin by bin it grows.
  const auto& bins = out.sink.request_bins;
  EXPECT_LT(bins[5][0].latency_mean, bins[50][0].latency_mean);
  EXPECT_LT(bins[50][0].latency_mean, bins[95][0].latency_mean);
  EXPECT_NEAR(bins[50][0].latency_mean, 1e-3 + 50.5e-3, 0.5e-3);
  EXPECT_EQ(out.totals.summary.failures, 0u);
  // Without the decay the same service takes its 1 ms throughout.
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 200, 100, 0, 21);
  sc.services.push_back({"s", params(1, 1000, 1000, Distribution::constant(1e-3))});
  EXPECT_NEAR(run_model(topo, sc).totals.summary.latency_mean, 1e-3, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Determinism with the design features on
// ---------------------------------------------------------------------------------------------

bool same_double(double x, double y) { return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y); }

void expect_same_summary(const RunSummary& x, const RunSummary& y) {
  EXPECT_TRUE(same_double(x.measured_seconds, y.measured_seconds));
  EXPECT_EQ(x.requests, y.requests);
  EXPECT_EQ(x.successes, y.successes);
  EXPECT_EQ(x.failures, y.failures);
  EXPECT_EQ(x.degraded, y.degraded);
  EXPECT_TRUE(same_double(x.throughput, y.throughput));
  EXPECT_TRUE(same_double(x.goodput, y.goodput));
  EXPECT_TRUE(same_double(x.wasted_cpu, y.wasted_cpu));
  EXPECT_EQ(x.users, y.users);
  EXPECT_EQ(x.users_failing, y.users_failing);
  EXPECT_TRUE(same_double(x.error_rate, y.error_rate));
  EXPECT_TRUE(same_double(x.latency_mean, y.latency_mean));
  EXPECT_TRUE(same_double(x.p50, y.p50));
  EXPECT_TRUE(same_double(x.p95, y.p95));
  EXPECT_TRUE(same_double(x.p99, y.p99));
  EXPECT_TRUE(same_double(x.p999, y.p999));
  EXPECT_EQ(x.stopped_early, y.stopped_early);
  EXPECT_EQ(x.stop_reason, y.stop_reason);
  EXPECT_EQ(x.events, y.events);
}

void expect_same_service(const ServiceTotals& x, const ServiceTotals& y, size_t s) {
  EXPECT_EQ(x.arrivals, y.arrivals) << "service " << s;
  EXPECT_EQ(x.completions, y.completions) << "service " << s;
  EXPECT_EQ(x.errors, y.errors) << "service " << s;
  EXPECT_EQ(x.in_flight_end, y.in_flight_end) << "service " << s;
  EXPECT_TRUE(same_double(x.latency_mean, y.latency_mean)) << "service " << s;
  EXPECT_TRUE(same_double(x.busy_mean, y.busy_mean)) << "service " << s;
  EXPECT_TRUE(same_double(x.queue_mean, y.queue_mean)) << "service " << s;
}

/// Cells with shuffle sharding, an in-process call, a decaying shared service and a crash.
CellSetup busy_design(uint64_t seed) {
  auto s = cell_setup(3, 200, true, seed);
  s.topo = make_topology(
      {"fe0", "fe1", "fe2", "db", "lib"},
      {{"fe0", "db", {}}, {"fe1", "db", {}}, {"fe2", "db", {}}, {"db", "lib", edge_of(CallMode::InProcess)}});
  s.sc.services.push_back({"lib", params(1, 1, 0, Distribution::exponential(1e-3))});
  s.sc.decays.push_back(ServiceDecay{"db", Ramp{0, 0.3}, Ramp{0, 5e-3}});
  s.sc.faults.push_back(crash("fe1", 5, 12));
  return s;
}

RunTotals run_system(const System& sys) {
  CollectingSink sink;
  Simulation sim(sys, sink, nullptr);
  sim.run_until(sys.duration);
  return sim.finish(sys.duration);
}

TEST(DesignSimulation, SameSystemRunTwiceGivesIdenticalTotals) {
  const auto s = busy_design(17);
  const System sys = build_system(s.topo, s.sc);
  const auto one = run_system(sys);
  const auto two = run_system(sys);
  ASSERT_GT(one.summary.failures, 0u);
  ASSERT_GT(one.summary.users_failing, 0u);
  expect_same_summary(one.summary, two.summary);
  ASSERT_EQ(one.services.size(), two.services.size());
  for (size_t i = 0; i < one.services.size(); ++i) expect_same_service(one.services[i], two.services[i], i);
  // Another seed differs.
  const auto other = run_system(build_system(busy_design(18).topo, busy_design(18).sc));
  EXPECT_NE(one.summary.events, other.summary.events);
}

TEST(DesignSimulation, UnusedRequestTypeAndServiceLeaveTheRunUnchanged) {
  // Random streams are keyed by names: a request type no source sends and a service nothing
  // calls draw nothing, so the rest of the run is the same (common random numbers).
  const auto base = busy_design(23);
  auto wider = busy_design(23);
  wider.topo.add_service(ServiceNode{"idle", ServiceKind::Service, {}, {}, 0});
  wider.sc.requests.push_back(RequestTypeSpec{"unused", "db", {}, {}, {}, {}, {}});
  wider.sc.services.push_back({"idle", params(1, 4, 4, Distribution::exponential(1e-3))});
  const auto x = run_system(build_system(base.topo, base.sc));
  const auto y = run_system(build_system(wider.topo, wider.sc));
  ASSERT_GT(x.summary.requests, 5000u);
  expect_same_summary(x.summary, y.summary);
  ASSERT_EQ(y.services.size(), x.services.size() + 1);
  for (size_t i = 0; i < x.services.size(); ++i) expect_same_service(x.services[i], y.services[i], i);
  EXPECT_EQ(y.services.back().arrivals, 0u);
  EXPECT_EQ(y.requests[1].successes + y.requests[1].failures, 0u);
}

}  // namespace
}  // namespace rapture
