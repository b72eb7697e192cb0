// What can we stop doing: every tolerance policy a scenario configures is removed on its own, at
// the level it is written, and the scenario read with the ablation's overrides resolves to calls
// that lack that policy and keep every other.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analysis/policy_ablation.hpp"
#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture {
namespace {

constexpr const char* kChain = R"(digraph chain { a -> b; b -> c; c [kind=db]; })";

const std::string kScenario = R"(name: chain
topology: chain.dot
duration: 60s
requests: {r: {entry: a}}
workload: [{request: r, arrivals: {kind: poisson, rate: 100/s}}]
policies:
  defaults: {retry: envoy, timeout: {per_try: 300ms}}
  by_kind:
    db: {circuit_breaker: resilience4j, budget: grpc}
  edges:
    "a -> b": {fallback: true, bulkhead: 10, retry_quota: aws}
protection:
  c: {shedding: codel}
)";

class PolicyAblationTest : public ::testing::Test {
 protected:
  Topology topology = read_topology_dot(kChain, "chain.dot");
  Scenario scenario = parse_scenario(kScenario, "chain.yaml", ".", {});
  System before = build_system(topology, scenario);

  [[nodiscard]] const PolicyAblation& named(const std::vector<PolicyAblation>& all, const std::string& name) const {
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const PolicyAblation& a) { return a.design.name == name; });
    if (it == all.end()) throw std::runtime_error("no ablation " + name);
    return *it;
  }
  /// The system of the scenario read with `a`'s overrides, as its design would be run.
  [[nodiscard]] System without(const PolicyAblation& a) const {
    return build_system(topology, parse_scenario(kScenario, "chain.yaml", ".", a.design.set));
  }
  static const EdgePolicy& edge(const System& sys, const std::string& name) {
    for (const auto& e : sys.edge_policies) {
      if (e.name == name) return e;
    }
    throw std::runtime_error("no edge " + name);
  }
};

TEST_F(PolicyAblationTest, EveryConfiguredPolicyIsRemovedOnItsOwnAtTheLevelItIsWritten) {
  std::vector<std::string> names;
  for (const auto& a : policy_ablations(scenario)) names.push_back(a.design.name);
  EXPECT_EQ(names, (std::vector<std::string>{"without-retries-defaults", "without-backoff-defaults",
                                             "without-timeouts-defaults", "without-circuit_breaker-db",
                                             "without-retry_budget-db", "without-retry_quota-a-b",
                                             "without-fallback-a-b", "without-bulkhead-a-b", "without-shedding-c"}));
}

TEST_F(PolicyAblationTest, WithoutRetriesEveryCallTriesOnceAndKeepsItsTimeoutsAndBackoff) {
  const System sys = without(named(policy_ablations(scenario), "without-retries-defaults"));
  for (const char* e : {"a -> b", "b -> c"}) {
    SCOPED_TRACE(e);
    EXPECT_EQ(edge(sys, e).retry.max_attempts, 1);
    EXPECT_EQ(edge(before, e).retry.max_attempts, 2);  // Envoy's preset: one retry
    EXPECT_DOUBLE_EQ(edge(sys, e).retry.per_try_timeout, edge(before, e).retry.per_try_timeout);
    EXPECT_DOUBLE_EQ(edge(sys, e).retry.deadline, 15.0);
    EXPECT_EQ(edge(sys, e).retry.backoff.kind, edge(before, e).retry.backoff.kind);
  }
}

TEST_F(PolicyAblationTest, WithoutBackoffRetriesGoAtOnceAsManyTimes) {
  const System sys = without(named(policy_ablations(scenario), "without-backoff-defaults"));
  EXPECT_EQ(edge(sys, "a -> b").retry.backoff.kind, Backoff::Kind::None);
  EXPECT_EQ(edge(sys, "a -> b").retry.max_attempts, 2);
}

TEST_F(PolicyAblationTest, WithoutTimeoutsNeitherThePresetsRouteTimeoutNorThePerTryOneRemains) {
  const System sys = without(named(policy_ablations(scenario), "without-timeouts-defaults"));
  EXPECT_DOUBLE_EQ(edge(before, "a -> b").retry.per_try_timeout, 0.3);
  EXPECT_DOUBLE_EQ(edge(sys, "a -> b").retry.per_try_timeout, 0);
  EXPECT_DOUBLE_EQ(edge(sys, "a -> b").retry.deadline, 0);
  EXPECT_EQ(edge(sys, "a -> b").retry.max_attempts, 2);
}

TEST_F(PolicyAblationTest, WithoutTheBreakerOnCallsToDatabasesOnlyThoseCallsLoseIt) {
  const auto all = policy_ablations(scenario);
  const System sys = without(named(all, "without-circuit_breaker-db"));
  EXPECT_TRUE(edge(before, "b -> c").circuit_breaker.has_value());
  EXPECT_FALSE(edge(sys, "b -> c").circuit_breaker.has_value());
  EXPECT_TRUE(edge(sys, "b -> c").budget.has_value());  // the level's other policy stays
  const System unbudgeted = without(named(all, "without-retry_budget-db"));
  EXPECT_EQ(edge(unbudgeted, "b -> c").budget->config().kind, RetryBudgetConfig::Kind::None);
  EXPECT_TRUE(edge(unbudgeted, "b -> c").circuit_breaker.has_value());
}

TEST_F(PolicyAblationTest, PerEdgePoliciesAndSheddingAreRemovedWhereTheyAreWritten) {
  const auto all = policy_ablations(scenario);
  EXPECT_FALSE(edge(without(named(all, "without-fallback-a-b")), "a -> b").fallback);
  EXPECT_EQ(edge(without(named(all, "without-bulkhead-a-b")), "a -> b").bulkhead, 0);
  EXPECT_FALSE(edge(without(named(all, "without-retry_quota-a-b")), "a -> b").retry_quota.has_value());
  EXPECT_TRUE(edge(without(named(all, "without-retry_quota-a-b")), "a -> b").fallback);
  const System unshed = without(named(all, "without-shedding-c"));
  EXPECT_EQ(unshed.services[2].protection.shedding, ProtectionSpec::Shedding::None);
  EXPECT_EQ(before.services[2].protection.shedding, ProtectionSpec::Shedding::CoDel);
}

TEST_F(PolicyAblationTest, AScenarioWithoutPoliciesHasNothingToRemove) {
  const std::string plain = kScenario.substr(0, kScenario.find("policies:"));
  EXPECT_TRUE(policy_ablations(parse_scenario(plain, "chain.yaml", ".", {})).empty());
}

TEST_F(PolicyAblationTest, ARetryPolicyWrittenOutReadsBackToItself) {
  RetryPolicy p = RetryPolicy::preset("grpc");
  p.max_attempts = 3;
  const Scenario s = parse_scenario(kScenario, "chain.yaml", ".", {"policies.defaults.retry=" + retry_policy_yaml(p)});
  const RetryPolicy& q = *s.policy_all.retry;
  EXPECT_EQ(q.max_attempts, p.max_attempts);
  EXPECT_EQ(q.backoff.kind, p.backoff.kind);
  EXPECT_DOUBLE_EQ(q.backoff.base, p.backoff.base);
  EXPECT_DOUBLE_EQ(q.backoff.cap, p.backoff.cap);
  EXPECT_DOUBLE_EQ(q.backoff.jitter, p.backoff.jitter);
  EXPECT_DOUBLE_EQ(q.deadline, p.deadline);
  EXPECT_EQ(q.propagate_deadline, p.propagate_deadline);
  EXPECT_EQ(q.cancel_on_timeout, p.cancel_on_timeout);
  EXPECT_EQ(q.retry_on.overflow, p.retry_on.overflow);
  EXPECT_EQ(q.retry_on.error, p.retry_on.error);
}

}  // namespace
}  // namespace rapture
