// Load-dependent service time (model/load_cost.hpp): the function on its own, then the model
// driven at loads it holds fixed, where every visit's time is known exactly, and a
// utilisation-dependent queue whose throughput has a closed form.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "model/flow/resource_backend.hpp"
#include "support/model_fixture.hpp"

namespace rapture {
namespace {

using namespace rapture::testing;

LoadCost cost(LoadCost::Variable of, LoadCost::Shape shape, std::vector<double> coefficients,
              std::vector<std::pair<double, double>> points = {}) {
  LoadCost c;
  c.of = of;
  c.shape = shape;
  c.coefficients = std::move(coefficients);
  c.points = std::move(points);
  return c;
}

constexpr auto kU = LoadCost::Variable::Utilisation;

TEST(LoadCost, LinearIsOnePlusSlopeTimesLoad) {
  const auto c = cost(kU, LoadCost::Shape::Linear, {2});
  EXPECT_DOUBLE_EQ(c.multiplier(0), 1);
  EXPECT_DOUBLE_EQ(c.multiplier(0.5), 2);
  EXPECT_DOUBLE_EQ(c.multiplier(1), 3);
}

TEST(LoadCost, PolynomialSumsItsTermsFromTheConstantUp) {
  const auto c = cost(kU, LoadCost::Shape::Polynomial, {1, 0.5, 0.25});
  EXPECT_DOUBLE_EQ(c.multiplier(0), 1);
  EXPECT_DOUBLE_EQ(c.multiplier(2), 1 + 1 + 1);
  EXPECT_DOUBLE_EQ(c.multiplier(4), 1 + 2 + 4);
}

TEST(LoadCost, ExponentialIsEToTheKTimesLoad) {
  const auto c = cost(kU, LoadCost::Shape::Exponential, {3});
  EXPECT_DOUBLE_EQ(c.multiplier(0), 1);
  EXPECT_NEAR(c.multiplier(1), std::exp(3.0), 1e-12);
  EXPECT_NEAR(c.multiplier(0.5), std::exp(1.5), 1e-12);
}

TEST(LoadCost, TableInterpolatesLinearlyAndIsFlatBeyondItsEnds) {
  const auto c = cost(kU, LoadCost::Shape::Table, {}, {{10, 1}, {20, 3}, {40, 4}});
  EXPECT_DOUBLE_EQ(c.multiplier(0), 1);
  EXPECT_DOUBLE_EQ(c.multiplier(10), 1);
  EXPECT_DOUBLE_EQ(c.multiplier(15), 2);
  EXPECT_DOUBLE_EQ(c.multiplier(20), 3);
  EXPECT_DOUBLE_EQ(c.multiplier(30), 3.5);
  EXPECT_DOUBLE_EQ(c.multiplier(1000), 4);
}

TEST(LoadCost, TheCapBoundsEveryShapeAndARunawayExponentialGivesTheCapNotInfinity) {
  auto e = cost(kU, LoadCost::Shape::Exponential, {50});
  EXPECT_DOUBLE_EQ(e.multiplier(1e6), kDefaultLoadCostCap);  // e^(5e7) is +inf in double
  e.cap = 7;
  EXPECT_DOUBLE_EQ(e.multiplier(1), 7);
  const auto p = cost(LoadCost::Variable::InFlight, LoadCost::Shape::Polynomial, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_DOUBLE_EQ(p.multiplier(1e300), kDefaultLoadCostCap);  // overflows to +inf, never NaN
  EXPECT_DOUBLE_EQ(cost(kU, LoadCost::Shape::Linear, {1e300}).multiplier(1e300), kDefaultLoadCostCap);
  EXPECT_DOUBLE_EQ(cost(kU, LoadCost::Shape::Table, {}, {{0, 1}, {1, 500}}).multiplier(1), kDefaultLoadCostCap);
}

TEST(LoadCost, NoShapeIsAMultiplierOfOne) {
  const LoadCost none;
  EXPECT_FALSE(none.active());
  EXPECT_DOUBLE_EQ(none.multiplier(1e9), 1);
}

TEST(LoadCost, ValidateRejectsNegativeNanAndInfiniteCoefficients) {
  for (const double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_THROW(cost(kU, LoadCost::Shape::Linear, {bad}).validate(), std::invalid_argument) << bad;
    EXPECT_THROW(cost(kU, LoadCost::Shape::Exponential, {bad}).validate(), std::invalid_argument) << bad;
    EXPECT_THROW(cost(kU, LoadCost::Shape::Polynomial, {1, bad}).validate(), std::invalid_argument) << bad;
    EXPECT_THROW(cost(kU, LoadCost::Shape::Table, {}, {{0, 1}, {1, bad}}).validate(), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(cost(kU, LoadCost::Shape::Polynomial, {1, 0, 2}).validate());
}

TEST(LoadCost, ValidateRejectsAPolynomialWorthZeroAtNoLoadAndBadTables) {
  EXPECT_THROW(cost(kU, LoadCost::Shape::Polynomial, {0, 1}).validate(), std::invalid_argument);
  EXPECT_THROW(cost(kU, LoadCost::Shape::Polynomial, {}).validate(), std::invalid_argument);
  EXPECT_THROW(cost(kU, LoadCost::Shape::Table, {}, {}).validate(), std::invalid_argument);
  EXPECT_THROW(cost(kU, LoadCost::Shape::Table, {}, {{1, 1}, {0, 2}}).validate(), std::invalid_argument);
  EXPECT_THROW(cost(kU, LoadCost::Shape::Table, {}, {{1, 1}, {1, 2}}).validate(), std::invalid_argument);
  EXPECT_THROW(cost(kU, LoadCost::Shape::Table, {}, {{0, 0}}).validate(), std::invalid_argument);
  auto capped = cost(kU, LoadCost::Shape::Linear, {1});
  capped.cap = 0.5;
  EXPECT_THROW(capped.validate(), std::invalid_argument);
}

// --- The model at a load it holds fixed -----------------------------------------------------
// A closed loop of n users with no think time on one replica: a user's next request arrives the
// instant its previous one ends, so after the first round every visit starts with the same load:
// n <= workers: n busy (itself included), none waiting; n > workers: the visit starts when a
// worker frees, taken from the queue, so workers busy and n - workers - 1 still waiting (the
// user whose request just ended has not resent yet). With a constant demand D each visit then
// lasts exactly D·f(load), and a worker completes one visit per D·f(load).

constexpr double kDemand = 10e-3;

/// One service "s" of one replica with `workers` and a constant demand D, behind a closed loop of
/// `users` with no think time, its demand multiplied by `load_cost`.
Scenario fixed_load_scenario(int64_t users, int64_t workers, const LoadCost& load_cost, double duration = 20) {
  auto sc = make_scenario("s", 1, duration, 0);
  sc.workload[0].kind = WorkloadSpec::Kind::Closed;
  sc.workload[0].users = users;
  sc.workload[0].think = Distribution::constant(0);
  auto p = params(1, workers, 1000, Distribution::constant(kDemand));
  p.load_cost = load_cost;
  sc.services.push_back({"s", p});
  return sc;
}

RunOutput run_fixed_load(int64_t users, int64_t workers, const LoadCost& load_cost) {
  return run_model(make_topology({"s"}, {}), fixed_load_scenario(users, workers, load_cost));
}

/// Completions in bins [first, last) of service 0.
uint64_t completions(const RunOutput& out, size_t first, size_t last) {
  uint64_t n = 0;
  for (size_t b = first; b < last; ++b) n += out.sink.service_bins[b][0].completions;
  return n;
}

TEST(LoadCostModel, AtAFixedUtilisationEveryVisitTakesTheDemandTimesTheFunction) {
  // 3 users on 4 workers: u = 3/4 at every start after the first round; f = 1 + 2u = 2.5.
  const auto out = run_fixed_load(3, 4, cost(kU, LoadCost::Shape::Linear, {2}));
  const double expected = kDemand * 2.5;
  for (size_t b = 1; b < out.sink.service_bins.size(); ++b) {
    EXPECT_NEAR(out.sink.service_bins[b][0].latency_mean, expected, 1e-9) << "bin " << b;
  }
  // Each user completes one visit per D·f: 3 users over bins [1, 20) give 19 s × 3 / 25 ms, ± one per user.
  EXPECT_NEAR(static_cast<double>(completions(out, 1, 20)), 19 * 3 / expected, 3);
}

TEST(LoadCostModel, AtAFixedNumberInFlightEveryVisitTakesTheDemandTimesThePolynomial) {
  // 4 users on 8 workers: 4 in flight at every start; f = 1 + 0.25·4 + 0.0625·16 = 3.
  const auto out =
      run_fixed_load(4, 8, cost(LoadCost::Variable::InFlight, LoadCost::Shape::Polynomial, {1, 0.25, 0.0625}));
  for (size_t b = 1; b < out.sink.service_bins.size(); ++b) {
    EXPECT_NEAR(out.sink.service_bins[b][0].latency_mean, kDemand * 3, 1e-9) << "bin " << b;
  }
}

TEST(LoadCostModel, AtAFixedQueueLengthWorkersCompleteAtTheRateTheTableGives) {
  // 7 users on 2 workers: every visit starts from the queue with 7 - 2 - 1 = 4 still waiting;
  // the table gives f(4) = 1.5 + (4 - 2)·0.5/4 = 1.75, so the service completes 2 / (D·1.75) per second.
  const auto table = cost(LoadCost::Variable::Queue, LoadCost::Shape::Table, {}, {{2, 1.5}, {6, 2}});
  const auto out = run_fixed_load(7, 2, table);
  const double rate = 2 / (kDemand * 1.75);
  EXPECT_NEAR(static_cast<double>(completions(out, 1, 20)), 19 * rate, 2);  // ± one per worker
}

TEST(LoadCostModel, TheCapHoldsInTheRunAsInTheFunction) {
  // u = 3/4 with k = 10: e^7.5 ≈ 1808 is capped at 20.
  auto c = cost(kU, LoadCost::Shape::Exponential, {10});
  c.cap = 20;
  const auto out = run_fixed_load(3, 4, c);
  EXPECT_NEAR(out.sink.service_bins[5][0].latency_mean, kDemand * 20, 1e-9);
}

TEST(LoadCostModel, ASlowdownFaultMultipliesWithTheLoadCost) {
  // u = 3/4, f = 2.5; the host at half speed from 10 s: each visit then takes 2 × 2.5 × D.
  auto sc = fixed_load_scenario(3, 4, cost(kU, LoadCost::Shape::Linear, {2}));
  FaultSpec f;
  f.name = "slow";
  f.kind = FaultSpec::Kind::Slowdown;
  f.target = "s-0";  // the replica's dedicated host
  f.start = 10;
  f.factor = 0.5;
  sc.faults.push_back(f);
  const auto out = run_model(make_topology({"s"}, {}), sc);
  EXPECT_NEAR(out.sink.service_bins[5][0].latency_mean, kDemand * 2.5, 1e-9);
  EXPECT_NEAR(out.sink.service_bins[15][0].latency_mean, 2 * kDemand * 2.5, 1e-9);
}

/// Stands in for SimGrid: records the flops of each execution and runs it on a core of its own.
class RecordingBackend : public ResourceBackend {
 public:
  void start_exec(uint32_t, double flops, uint64_t token) override { execs.push_back({flops, token}); }
  void start_transfer(uint32_t, uint32_t, double, uint64_t) override {}
  void set_speed_level(uint32_t, uint32_t) override {}
  void set_link_factor(uint32_t, double) override {}
  std::vector<std::pair<double, uint64_t>> execs;
};

TEST(LoadCostModel, OnAContendedHostTheExecutionIsGivenTheMultipliedDemand) {
  // Two workers on a one-core host: executions go to the backend. One user: u = 1/2 at every
  // start, f = 1 + 2·0.5 = 2, so each execution carries D × 2 × reference_speed flops.
  const auto topo = make_topology({"s"}, {});
  auto sc = fixed_load_scenario(1, 2, cost(kU, LoadCost::Shape::Linear, {2}), 1);
  sc.platform.hosts.push_back(HostSpec{"box", 1e9, 1, 1, {}});
  sc.platform.placement.push_back({"s", {"box"}});
  const System sys = build_system(topo, sc);
  ASSERT_TRUE(sys.any_contended_host());
  CollectingSink sink;
  RecordingBackend backend;
  Simulation sim(sys, sink, &backend);
  for (int visits = 0; visits < 5; ++visits) {
    while (!sim.run_until(sys.duration)) {}
    const auto [flops, token] = backend.execs.back();
    sim.resume(sim.now() + flops / 1e9, token);
  }
  ASSERT_EQ(backend.execs.size(), 5u);
  for (const auto& [flops, token] : backend.execs) EXPECT_DOUBLE_EQ(flops, kDemand * 2 * sys.reference_speed);
}

// --- A closed form ---------------------------------------------------------------------------

/// Solves the balance equations pi·Q = 0, sum(pi) = 1 of a small CTMC (Gaussian elimination).
template <size_t N>
std::array<double, N> stationary(std::array<std::array<double, N>, N> q) {
  for (size_t i = 0; i < N; ++i) {
    double out = 0;
    for (size_t j = 0; j < N; ++j) out += j == i ? 0 : q[i][j];
    q[i][i] = -out;
  }
  // Rows of the system: columns of Q (pi·Q = 0), the last replaced by the normalisation.
  std::array<std::array<double, N + 1>, N> a{};
  for (size_t j = 0; j < N; ++j) {
    for (size_t i = 0; i < N; ++i) a[j][i] = j + 1 == N ? 1 : q[i][j];
    a[j][N] = j + 1 == N ? 1 : 0;
  }
  for (size_t c = 0; c < N; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < N; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    for (size_t r = 0; r < N; ++r) {
      if (r == c) continue;
      const double k = a[r][c] / a[c][c];
      for (size_t k2 = c; k2 <= N; ++k2) a[r][k2] -= k * a[c][k2];
    }
  }
  std::array<double, N> pi{};
  for (size_t i = 0; i < N; ++i) pi[i] = a[i][N] / a[i][i];
  return pi;
}

TEST(LoadCostModel, AUtilisationDependentTwoServerLossSystemHasTheClosedFormThroughput) {
  // M/M/2/2 (two workers, no queue), Poisson λ, exponential demand of rate μ, cost f(u) = 1 + 2u.
  // A visit that finds both workers idle starts at u = 1/2 and is served at a = μ/f(1/2) = μ/2; one
  // that finds the other worker busy starts at u = 1, served at b = μ/f(1) = μ/3. Each visit's rate is
  // fixed when it starts and service is memoryless, so the state (the kinds of the visits in service)
  // is a Markov chain on {0, A, B, AB, BB}:
  //   0 -λ-> A;  A -a-> 0, A -λ-> AB;  B -b-> 0, B -λ-> BB;  AB -a-> B, AB -b-> A;  BB -2b-> B.
  // Arrivals in AB or BB are refused, so the throughput is λ·(π0 + πA + πB) (PASTA).
  const double lambda = 60, mu = 100, a = mu / 2, b = mu / 3;
  enum { Z, A, B, AB, BB };
  std::array<std::array<double, 5>, 5> q{};
  q[Z][A] = lambda;
  q[A][Z] = a;
  q[A][AB] = lambda;
  q[B][Z] = b;
  q[B][BB] = lambda;
  q[AB][B] = a;
  q[AB][A] = b;
  q[BB][B] = 2 * b;
  const auto pi = stationary(q);
  const double accepted = pi[Z] + pi[A] + pi[B];

  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", lambda, 2010, 10, 17);
  auto p = params(1, 2, 0, Distribution::exponential(1 / mu));
  p.load_cost = cost(kU, LoadCost::Shape::Linear, {2});
  sc.services.push_back({"s", p});
  const auto out = run_model(topo, sc);
  // Acceptance ratio: completions / arrivals over 20 batches of 100 s (the chain mixes in ~0.1 s).
  const auto est = batch_ratio(
      out.sink, 10, 20, [](const auto& row) { return static_cast<double>(row[0].completions); },
      [](const auto& row) { return static_cast<double>(row[0].arrivals); });
  EXPECT_NEAR(est.value, accepted, 4 * est.std_error) << "SE " << est.std_error;
  // About 120,000 arrivals: a standard error of a few tenths of a percent, far below the gap the
  // cost makes: 0.675 accepted here, 0.899 without it (Erlang B: 1 - 0.18 / (1 + 0.6 + 0.18)).
  EXPECT_LT(est.std_error, 0.005);
  EXPECT_NEAR(accepted, 0.675, 0.001);
  EXPECT_NEAR(out.totals.services[0].completions / 2000.0, lambda * accepted, 0.02 * lambda * accepted);
}

TEST(LoadCostModel, ASaturatedSingleWorkerCompletesOnePerDemandTimesTheCostAtFullUtilisation) {
  // One worker, arrivals far above capacity, a deep queue: the worker never idles and every visit
  // starts at u = 1, so the throughput is exactly 1/(E[S]·f(1)) = 1/(1 ms·e^(ln 4)) = 250/s.
  // Completions in T s form a renewal process of exponential gaps: Poisson-like, SD √(250·T);
  // over T = 200 s, 50,000 ± 224, so 4 SD is 1.8 %.
  auto topo = make_topology({"s"}, {});
  auto sc = make_scenario("s", 1000, 210, 10, 5);
  auto p = params(1, 1, 1'000'000, Distribution::exponential(1e-3));
  p.load_cost = cost(kU, LoadCost::Shape::Exponential, {std::log(4.0)});
  sc.services.push_back({"s", p});
  const auto out = run_model(topo, sc);
  const double n = static_cast<double>(completions(out, 10, 210));
  EXPECT_NEAR(n, 250 * 200, 4 * std::sqrt(250 * 200.0));
}

}  // namespace
}  // namespace rapture
