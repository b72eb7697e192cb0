// From findings to candidate redesigns: an analysis written by hand for a small shop (the
// StyleFlow shape: search and recommendations on one host, checkout calling recommendations
// with retries), each kind of finding it holds, the candidates each rule makes, and every
// candidate read back by the scenario reader and applied to the graph.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analysis/redesign_rules.hpp"
#include "io/design_writer.hpp"
#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"
#include "model/design/design.hpp"
#include "model/system.hpp"

namespace rapture {
namespace {

constexpr const char* kShop = R"(digraph shop {
  fe [kind=frontend]; index [kind=db];
  fe -> search; fe -> checkout; checkout -> reco; search -> index;
})";

const std::string kScenario = R"(name: shop
topology: shop.dot
duration: 100s
requests: {browse: {entry: fe, edges: ["fe -> search", "search -> index"]}, buy: {entry: fe, edges: ["fe -> checkout", "checkout -> reco"]}}
workload:
  - {request: browse, arrivals: {kind: poisson, rate: 100/s}, tenants: 400}
  - {request: buy, arrivals: {kind: poisson, rate: 10/s}}
platform:
  hosts: [{name: app-2, speed: 1Gf, cores: 4}]
  placement: {search: app-2, reco: app-2}
policies:
  edges: {"checkout -> reco": {retry: {max_attempts: 3, per_try_timeout: 200ms}}}
faults: [{name: crawler, kind: latency, target: search, start: 40s, duration: 20s, latency: 50ms}]
)";

PropagationNode node(uint32_t service, double onset, Health worst, Cause cause) {
  PropagationNode n;
  n.service = service;
  n.onset = onset;
  n.worst = worst;
  n.cause = cause;
  return n;
}

class RedesignRulesTest : public ::testing::Test {
 protected:
  Topology topology = read_topology_dot(kShop, "shop.dot");
  Scenario scenario = parse_scenario(kScenario, "shop.yaml", ".", {});
  System sys = build_system(topology, scenario);
  SystemGraph graph = build_system_graph(sys);

  [[nodiscard]] uint32_t id(const std::string& name) const {
    for (uint32_t s = 0; s < sys.services.size(); ++s) {
      if (sys.services[s].name == name) return s;
    }
    ADD_FAILURE() << "no service " << name;
    return 0;
  }

  /// What the analysis of the crawler run found: search loaded by the fault, reco failing
  /// through host app-2, checkout through its call into reco, reco's queue full and its callers
  /// retrying, the front end reaching every request type, and a loop after the fault.
  [[nodiscard]] CascadeReport analysis() const {
    CascadeReport r;
    PropagationNode search = node(id("search"), 40, Health::Degraded, Cause::Fault);
    search.via = "crawler";
    PropagationNode reco = node(id("reco"), 41, Health::Failed, Cause::Emergent);
    reco.mechanism = Mechanism::SharedHost;
    reco.parent = id("search");
    reco.via = "host app-2";
    PropagationNode checkout = node(id("checkout"), 42, Health::Failed, Cause::Dependency);
    checkout.parent = id("reco");
    checkout.via = "checkout -> reco";
    r.propagation = {search, reco, checkout};
    r.journal.push_back({41, Category::QueueExhaustion, Signal::QueueSaturated, "reco", 1.0, NAN, "reco's queue"});
    r.journal.push_back({41, Category::RetryAmplification, Signal::RetrySpike, "checkout -> reco", 2.5, 1, "retries"});
    r.journal.push_back({42, Category::ArchitecturalHotSpot, Signal::HotSpot, "fe", 1.0, NAN, "fe everywhere"});
    r.verdict.kind = RecoveryKind::Sustained;
    r.verdict.sustained_by = SustainingEffect::Retries;
    r.verdict.saturated = {id("reco")};
    r.blast_radius_types = 1.0;
    return r;
  }

  [[nodiscard]] std::vector<Candidate> candidates(const std::vector<Finding>& findings) const {
    return candidates_for(findings, {sys, graph, 4});
  }
};

const Finding* find(const std::vector<Finding>& fs, FindingKind kind) {
  const auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.kind == kind; });
  return it == fs.end() ? nullptr : &*it;
}

std::vector<std::string> names_from(const std::vector<Candidate>& cs, size_t finding) {
  std::vector<std::string> out;
  for (const auto& c : cs) {
    if (c.finding == finding) out.push_back(c.design.name);
  }
  return out;
}

size_t index_of(const std::vector<Finding>& fs, const Finding* f) { return static_cast<size_t>(f - fs.data()); }

TEST_F(RedesignRulesTest, AnEmergentFailureThroughASharedHostStatesTheBrokenAssumptionAndSeparatesEitherService) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::SharedHost);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->service, "reco");
  EXPECT_EQ(f->other, "search");
  EXPECT_EQ(f->host, "app-2");
  EXPECT_EQ(f->assumption, "search and reco were assumed independent: they share host app-2");
  EXPECT_EQ(names_from(candidates(fs), index_of(fs, f)),
            (std::vector<std::string>{"separate-reco", "separate-search"}));
}

TEST_F(RedesignRulesTest, AFailureCarriedByACallIntoACollateralVictimCanBeDroppedMadeAsyncOrGivenAFallback) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::CallPropagation);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->calls, std::vector<std::string>{"checkout -> reco"});
  EXPECT_EQ(names_from(candidates(fs), index_of(fs, f)),
            (std::vector<std::string>{"drop-checkout-reco", "async-checkout-reco", "fallback-checkout-reco"}));
}

TEST_F(RedesignRulesTest, ACallIntoTheFaultsOwnTargetIsOfferedOnlyAFallback) {
  // fe's call into search, the service the fault is aimed at: dropping it would drop the feature.
  CascadeReport r;
  PropagationNode search = node(id("search"), 40, Health::Failed, Cause::Fault);
  PropagationNode fe = node(id("fe"), 41, Health::Failed, Cause::Dependency);
  fe.parent = id("search");
  fe.via = "fe -> search";
  r.propagation = {search, fe};
  const auto fs = findings_of(sys, graph, r);
  ASSERT_EQ(fs.size(), 1U);
  EXPECT_EQ(names_from(candidates(fs), 0), std::vector<std::string>{"fallback-fe-search"});
}

TEST_F(RedesignRulesTest, AFullQueueBuffersTheCallsIntoItAtTheServicesOwnDrainRate) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::QueueSaturation);
  ASSERT_NE(f, nullptr);
  const auto cs = candidates(fs);
  const auto it =
      std::find_if(cs.begin(), cs.end(), [](const Candidate& c) { return c.design.name == "buffer-checkout-reco"; });
  ASSERT_NE(it, cs.end());
  ASSERT_EQ(it->design.recomposition.size(), 1U);
  const Transformation& t = it->design.recomposition.front();
  EXPECT_EQ(t.kind, Transformation::Kind::Buffer);
  const ServiceConfig& reco = sys.services[id("reco")];
  EXPECT_EQ(t.consumers.value_or(0), reco.replicas * reco.workers);
}

TEST_F(RedesignRulesTest, RetryAmplificationYieldsARetryBudgetAndNoRetriesOnTheRetryingCallsOnly) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::RetryAmplification);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->calls, std::vector<std::string>{"checkout -> reco"});
  const auto cs = candidates(fs);
  EXPECT_EQ(names_from(cs, index_of(fs, f)), (std::vector<std::string>{"retry-budget-reco", "no-retries-reco"}));
  const auto budget =
      std::find_if(cs.begin(), cs.end(), [](const Candidate& c) { return c.design.name == "retry-budget-reco"; });
  EXPECT_EQ(budget->design.set, std::vector<std::string>{"policies.edges.\"checkout -> reco\".budget=linkerd"});
}

TEST_F(RedesignRulesTest, AMetastableLoopAddsLoadSheddingAtTheSaturatedService) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::MetastableLoop);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->service, "reco");
  // The budget and no-retry designs were made for the retry finding already: names are unique.
  EXPECT_EQ(names_from(candidates(fs), index_of(fs, f)), std::vector<std::string>{"shed-reco"});
}

TEST_F(RedesignRulesTest, AHotSpotOnEveryRequestTypeYieldsCellsWithItsDependenciesSharedAndASplitByRequestType) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::HotSpot);
  ASSERT_NE(f, nullptr);
  const auto cs = candidates(fs);
  EXPECT_EQ(names_from(cs, index_of(fs, f)), (std::vector<std::string>{"cells-fe", "split-fe"}));
  const auto cells = std::find_if(cs.begin(), cs.end(), [](const Candidate& c) { return c.design.name == "cells-fe"; });
  ASSERT_TRUE(cells->design.cells.has_value());
  auto shared = cells->design.cells->shared;
  std::sort(shared.begin(), shared.end());
  EXPECT_EQ(shared, (std::vector<std::string>{"checkout", "index", "reco", "search"}));
}

TEST_F(RedesignRulesTest, AFaultReachingEveryRequestTypeYieldsCellsWithTheDataStoresShared) {
  const auto fs = findings_of(sys, graph, analysis());
  const Finding* f = find(fs, FindingKind::EveryTenant);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->service, "search");
  const auto cs = candidates(fs);
  const auto cells = std::find_if(cs.begin(), cs.end(), [](const Candidate& c) { return c.design.name == "cells"; });
  ASSERT_NE(cells, cs.end());
  EXPECT_EQ(cells->design.cells->shared, std::vector<std::string>{"index"});
}

TEST_F(RedesignRulesTest, ARunWhereNothingLeftItsBandHasNoFindings) {
  EXPECT_TRUE(findings_of(sys, graph, CascadeReport{}).empty());
}

TEST_F(RedesignRulesTest, NamesTakenByTheScenarioAreNotReused) {
  const auto fs = findings_of(sys, graph, analysis());
  const std::vector<std::string> taken{"separate-reco"};
  const auto cs = candidates_for(fs, {sys, graph, 4}, taken);
  EXPECT_TRUE(std::none_of(cs.begin(), cs.end(), [](const Candidate& c) { return c.design.name == "separate-reco"; }));
}

TEST_F(RedesignRulesTest, EveryCandidateIsReadBackByTheScenarioReaderAndAppliesToTheGraph) {
  const auto cs = candidates(findings_of(sys, graph, analysis()));
  ASSERT_GE(cs.size(), 12U);
  std::vector<DesignSpec> designs;
  for (const auto& c : cs) designs.push_back(c.design);
  // Once as the `--set designs=[...]` the runs get, once as the section a person pastes.
  const std::string given = "designs=" + designs_flow(designs);
  const Scenario flow = parse_scenario(kScenario, "shop.yaml", ".", {given});
  const Scenario block = parse_scenario(kScenario + designs_yaml(designs, {"a comment"}), "shop.yaml", ".", {});
  for (const Scenario* read : {&flow, &block}) {
    // As load_design does: the command line's overrides, then the design's own.
    std::vector<Override> command_line;
    if (read == &flow) command_line.push_back({given});
    ASSERT_EQ(read->designs.size(), designs.size());
    for (const auto& c : cs) {
      SCOPED_TRACE(c.design.name);
      const DesignSpec* spec = find_design(*read, c.design.name);
      ASSERT_NE(spec, nullptr);
      EXPECT_EQ(spec->description, c.design.description);
      EXPECT_EQ(spec->set, c.design.set);
      EXPECT_EQ(spec->recomposition.size(), c.design.recomposition.size());
      EXPECT_EQ(spec->cells.has_value(), c.design.cells.has_value());
      std::vector<Override> sets = command_line;
      for (const auto& s : spec->set) sets.push_back({s});
      const Scenario designed = spec->set.empty() ? *read : reread_scenario(*read, sets);
      try {
        const DesignedScenario d = apply_design(topology, designed, find_design(designed, c.design.name));
        (void)build_system(d.topology, d.scenario);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "does not apply: " << e.what();
      }
    }
  }
}

TEST(RedesignRuleTable, EveryFindingKindHasARule) {
  for (const auto kind :
       {FindingKind::SharedHost, FindingKind::CallPropagation, FindingKind::QueueSaturation,
        FindingKind::RetryAmplification, FindingKind::MetastableLoop, FindingKind::HotSpot, FindingKind::EveryTenant}) {
    const auto rules = redesign_rules();
    EXPECT_TRUE(std::any_of(rules.begin(), rules.end(), [&](const RedesignRule& r) { return r.finding == kind; }))
        << to_string(kind);
  }
}

TEST(UncelledName, DropsOnlyACellSuffix) {
  EXPECT_EQ(uncelled("api@c12"), "api");
  EXPECT_EQ(uncelled("api"), "api");
  EXPECT_EQ(uncelled("a@cx"), "a@cx");
}

}  // namespace
}  // namespace rapture
