// The sweep file and its expansion: factors, ranges, zipped axes, the constraint, replications
// and seeds, and the identities that let a store recognise the runs it already has.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/sweep/sweep_constraint.hpp"
#include "io/sweep/sweep_plan.hpp"
#include "io/sweep/sweep_spec.hpp"

namespace rapture {
namespace {

SweepSpec parse(const std::string& text) { return parse_sweep(text, "sweep.yaml", "/base"); }

/// The error a sweep text gives; fails the test when it parses.
InputError error_of(const std::string& text) {
  try {
    (void)parse(text);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return InputError({}, "");
}

const char* kGrid = R"(scenario: shop.yaml
factors:
  - path: workload[0].arrivals.rate
    values: {from: 100/s, to: 300/s, points: 3}
  - path: policies.all.retry.max_attempts
    name: attempts
    values: [1, 2]
replications: 2
seed: 7
)";

TEST(SweepSpecTest, AGridHasOneAxisPerFactorWithValuesInTheirUnit) {
  const SweepSpec s = parse(kGrid);
  EXPECT_EQ(s.scenario, "/base/shop.yaml");
  ASSERT_EQ(s.axes.size(), 2u);
  EXPECT_EQ(s.axes[0].name, "rate");
  EXPECT_EQ(s.factors[0].values, (std::vector<std::string>{"100/s", "200/s", "300/s"}));
  EXPECT_EQ(s.factors[0].coordinates, (std::vector<double>{100, 200, 300}));
  EXPECT_EQ(s.axes[1].name, "attempts");
  EXPECT_EQ(s.grid_points(), 6u);
  EXPECT_EQ(s.replications, 2);
  EXPECT_EQ(s.seed, 7u);
}

TEST(SweepSpecTest, ALogRangeSpacesItsValuesByEqualRatios) {
  const SweepSpec s = parse(R"(scenario: s.yaml
factors:
  - path: faults[0].latency
    values: {from: 1ms, to: 100ms, points: 3, scale: log}
)");
  EXPECT_EQ(s.factors[0].values, (std::vector<std::string>{"1ms", "10ms", "100ms"}));
  EXPECT_EQ(s.factors[0].name, "latency");
}

TEST(SweepSpecTest, ZippedFactorsShareOneAxisPlacedAtTheFirstOfThem) {
  const SweepSpec s = parse(R"(scenario: s.yaml
factors:
  - {path: a.x, values: [1, 2, 3]}
  - {path: b.y, values: [p, q]}
  - {path: c.z, values: [10, 20, 30]}
zip: [[x, z]]
)");
  ASSERT_EQ(s.axes.size(), 2u);
  EXPECT_EQ(s.axes[0].name, "x");
  EXPECT_EQ(s.axes[0].factors, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(s.axes[1].name, "y");
  EXPECT_EQ(s.grid_points(), 6u);
}

TEST(SweepSpecTest, ASweepWrittenBackAsAFileReadsAsTheSameSweep) {
  const SweepSpec s = parse(R"(name: "odd: name"
scenario: shop.yaml
set: ["faults=[{name: x, kind: crash, target: \"a b\"}]", duration=30s]
factors:
  - {path: a.x, values: [1, "two words", 3]}
  - {path: 'faults[0].target', name: victim, values: ["a: b", c]}
  - {path: c.z, values: [10, 20, 30]}
  - design: [baseline, cells]
zip: [[x, z]]
constraint: "x < 3 or design == 'cells'"
replications: 4
seed: 18446744073709551615
reference: cells
metrics: [users_failing, p99]
)");
  const SweepSpec t = parse_sweep(sweep_file_text(s), "other.yaml", "/elsewhere");
  EXPECT_EQ(t.name, s.name);
  EXPECT_EQ(t.scenario, s.scenario);  // written absolute: it no longer depends on the directory
  EXPECT_EQ(t.sets, s.sets);
  ASSERT_EQ(t.factors.size(), s.factors.size());
  for (size_t i = 0; i < s.factors.size(); ++i) {
    EXPECT_EQ(t.factors[i].name, s.factors[i].name);
    EXPECT_EQ(t.factors[i].path, s.factors[i].path);
    EXPECT_EQ(t.factors[i].values, s.factors[i].values);
  }
  ASSERT_EQ(t.axes.size(), s.axes.size());
  for (size_t a = 0; a < s.axes.size(); ++a) EXPECT_EQ(t.axes[a].factors, s.axes[a].factors);
  EXPECT_EQ(t.constraint, s.constraint);
  EXPECT_EQ(t.replications, 4);
  EXPECT_EQ(t.seed, s.seed);
  EXPECT_EQ(t.reference, "cells");
  EXPECT_EQ(t.metrics, s.metrics);
}

TEST(SweepSpecTest, BadSweepsAreRefusedAtTheLineOfTheirMistake) {
  struct Case {
    const char* text;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: []}\n", 3, "at least one value"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: {from: 5/s, to: 1s, points: 2}}\n", 3, "same unit"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1]}\nreplications: 0\n", 4, "whole number from 1"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1]}\nzip: [[x, y]]\n", 4, "no factor is named 'y'"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1, 2]}\n  - {path: b.x, values: [1]}\n", 4,
       "two factors are named 'x'"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1, 1]}\n", 3, "listed twice"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1]}\nconstraint: \"x < rat\"\n", 4,
       "no factor is named 'rat'"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1]}\nmetrics: [goodputt]\n", 4, "unknown metric"},
      {"scenario: s.yaml\nfactors:\n  - {path: a.x, values: [1]}\nreference: cells\n", 4, "needs a design factor"},
      {"scenario: s.yaml\nfactors:\n  - {design: [baseline, cells]}\n  - {design: [x], name: other}\n", 4,
       "only one factor"},
      {"scenario: s.yaml\nfactors:\n  - {path: seed, values: [1, 2]}\n", 3, "replication axis"},
      {"scenario: s.yaml\nfactorz: []\n", 2, "unknown key"},
  };
  for (const auto& c : cases) {
    const InputError e = error_of(c.text);
    EXPECT_EQ(e.where().file, "sweep.yaml") << c.text;
    EXPECT_EQ(e.where().line, c.line) << c.text << "\n" << e.what();
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
  }
}

TEST(SweepPlanTest, PointsRunRowMajorAndEveryPointSharesTheReplicationSeeds) {
  const SweepPlan plan = expand_sweep(parse(kGrid), 7);
  ASSERT_EQ(plan.points.size(), 6u);
  EXPECT_EQ(plan.points[1].label, "rate=100/s attempts=2");
  EXPECT_EQ(plan.points[1].sets,
            (std::vector<std::string>{"workload[0].arrivals.rate=100/s", "policies.all.retry.max_attempts=2"}));
  ASSERT_EQ(plan.runs.size(), 12u);
  for (const auto& run : plan.runs) EXPECT_EQ(run.seed, 7u + run.replication);
  EXPECT_EQ(plan.runs[3].point, 1u);
  EXPECT_EQ(plan.runs[3].replication, 1u);
}

TEST(SweepPlanTest, TheConstraintKeepsOnlyTheCombinationsItHoldsFor) {
  SweepSpec s =
      parse(std::string(kGrid) + "constraint: \"rate * attempts <= 300 and not attempts == 2 or rate == 300\"\n");
  const SweepPlan plan = expand_sweep(s, 1);
  std::vector<std::string> labels;
  for (const auto& p : plan.points) labels.push_back(p.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"rate=100/s attempts=1", "rate=200/s attempts=1", "rate=300/s attempts=1",
                                              "rate=300/s attempts=2"}));
  EXPECT_EQ(plan.points[3].cell, 5u);
}

TEST(SweepPlanTest, AConstraintThatDropsEverythingIsAnErrorAtItsLine) {
  const SweepSpec s = parse(std::string(kGrid) + "constraint: \"rate > 1000\"\n");
  try {
    (void)expand_sweep(s, 1);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 10) << e.what();
    EXPECT_NE(std::string(e.what()).find("drops every one of the 6"), std::string::npos) << e.what();
  }
}

TEST(SweepConstraintTest, WordsCompareAsTextAndNumbersAsNumbers) {
  const auto c = SweepConstraint::parse("design != 'cells' or x >= 2.5", {"design", "x"}, {});
  EXPECT_TRUE(c.keeps({{NAN, "baseline"}, {1, "1"}}));
  EXPECT_FALSE(c.keeps({{NAN, "cells"}, {1, "1"}}));
  EXPECT_TRUE(c.keeps({{NAN, "cells"}, {3, "3"}}));
}

TEST(SweepConstraintTest, MalformedOrDeepExpressionsAreErrorsNotCrashes) {
  for (const std::string& text :
       std::vector<std::string>{"x <", "(x", "x < 1 < 2", "x $ 1", "'open", std::string(10000, '(') + "x"}) {
    EXPECT_THROW((void)SweepConstraint::parse(text, {"x"}, {"sweep.yaml", 3, ""}), InputError) << text;
  }
}

const char* kScenario =
    "topology: t.dot\nduration: 10s\nworkload:\n  - {request: r, entry: a, arrivals: {kind: poisson, rate: 5/s}}\n";
const char* kReordered =
    "duration: 10s\nworkload:\n  - {arrivals: {rate: 5/s, kind: poisson}, entry: a, request: r}\ntopology: t.dot\n";

TEST(RunIdentityTest, AReorderedScenarioMapKeepsItsIdentity) {
  EXPECT_EQ(run_identity(kScenario, "s.yaml", {}, "baseline", 1, "digraph{a}", "1.0"),
            run_identity(kReordered, "s.yaml", {}, "baseline", 1, "digraph{a}", "1.0"));
}

TEST(RunIdentityTest, TopologyBytesSeedSettingsDesignAndVersionEachChangeTheIdentity) {
  const std::string id = run_identity(kScenario, "s.yaml", {}, "baseline", 1, "digraph{a}", "1.0");
  EXPECT_EQ(id.size(), 40u);
  EXPECT_NE(id, run_identity(kScenario, "s.yaml", {}, "baseline", 1, "digraph{a;}", "1.0"));
  EXPECT_NE(id, run_identity(kScenario, "s.yaml", {}, "baseline", 2, "digraph{a}", "1.0"));
  EXPECT_NE(id, run_identity(kScenario, "s.yaml", {"duration=20s"}, "baseline", 1, "digraph{a}", "1.0"));
  EXPECT_NE(id, run_identity(kScenario, "s.yaml", {}, "cells", 1, "digraph{a}", "1.0"));
  EXPECT_NE(id, run_identity(kScenario, "s.yaml", {}, "baseline", 1, "digraph{a}", "1.1"));
  // Setting a value to what the file already says is the same run.
  EXPECT_EQ(id, run_identity(kScenario, "s.yaml", {"duration=10s"}, "baseline", 1, "digraph{a}", "1.0"));
}

}  // namespace
}  // namespace rapture
