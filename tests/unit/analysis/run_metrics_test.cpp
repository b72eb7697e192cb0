#include "analysis/run_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace rapture {
namespace {

/// Ten bins of 1 s: 10 requests/s offered, 9 served before the fault at [4, 6), 2 during it, 9 after.
RunDigest digest(bool with_fault) {
  RunDigest d;
  d.bin_width = 1;
  d.duration = 10;
  d.offered.assign(10, 10);
  d.goodput = {9, 9, 9, 9, 2, 2, 9, 9, 9, 9};
  d.failures = {1, 1, 1, 1, 8, 8, 1, 1, 1, 1};
  d.calls.assign(10, 4);
  d.attempts = {4, 4, 4, 4, 8, 12, 4, 4, 4, 4};
  d.users = 8;
  d.users_failing = 2;
  d.error_rate = 0.22;
  if (with_fault) {
    d.trigger_start = 4;
    d.trigger_end = 6;
    d.metastable = 0;
    d.emergent = 1;
  }
  return d;
}

double measure(const char* name, const RunDigest& d) { return run_metric(name).measure(d); }

TEST(RunMetrics, NamesAreUniqueAndLookedUp) {
  std::set<std::string> names;
  for (const auto& m : run_metrics()) EXPECT_TRUE(names.insert(m.shown.name).second) << m.shown.name;
  for (const auto& m : design_metrics()) EXPECT_TRUE(names.insert(m.shown.name).second) << m.shown.name;
  EXPECT_EQ(run_metric("p99").shown.label, "p99 latency (whole run)");
  EXPECT_THROW(run_metric("p98"), std::out_of_range);
}

TEST(RunMetrics, WindowsCountWholeBinsOnly) {
  const RunDigest d = digest(true);
  const BinWindow during = bins_within(d, 4, 6);
  EXPECT_EQ(during.first, 4u);
  EXPECT_EQ(during.end, 6u);
  // A bin straddling either end is left out.
  const BinWindow inner = bins_within(d, 3.5, 7.5);
  EXPECT_EQ(inner.first, 4u);
  EXPECT_EQ(inner.end, 7u);
  EXPECT_EQ(window_sum(d.goodput, during), 4);
  const BinWindow empty = bins_within(d, 5.2, 5.8);
  EXPECT_EQ(window_sum(d.goodput, empty), 0);
  const BinWindow last = last_bins(d, 2.5);
  EXPECT_EQ(last.first, 7u);
  EXPECT_EQ(last.end, 10u);
  EXPECT_EQ(last_bins(d, 60).first, 0u);
  EXPECT_DOUBLE_EQ(served_share(d, all_bins(d)), 76.0 / 100);
  EXPECT_DOUBLE_EQ(served_share(d, last), 0.9);
  RunDigest idle = d;
  idle.offered.assign(10, 0);
  EXPECT_EQ(served_share(idle, all_bins(idle)), 1.0) << "nothing offered: nothing refused";
}

TEST(RunMetrics, FaultWindowsSplitTheRun) {
  const RunDigest d = digest(true);
  EXPECT_DOUBLE_EQ(measure("users_failing", d), 0.25);
  EXPECT_DOUBLE_EQ(measure("error_rate_during", d), 0.8);
  EXPECT_DOUBLE_EQ(measure("goodput_during", d), 2);
  EXPECT_DOUBLE_EQ(measure("error_rate_after", d), 0.1);
  EXPECT_DOUBLE_EQ(measure("goodput_after", d), 9);
  EXPECT_DOUBLE_EQ(measure("retry_amplification", d), 2.5);
  EXPECT_EQ(measure("metastable", d), 0);
  EXPECT_EQ(measure("emergent", d), 1);
  EXPECT_DOUBLE_EQ(measure("error_rate", d), 0.22);
  EXPECT_DOUBLE_EQ(measure("served_share", d), 0.76);
}

TEST(RunMetrics, WithoutAFaultDuringIsTheWholeRunAndAfterIsUnknown) {
  const RunDigest d = digest(false);
  EXPECT_DOUBLE_EQ(measure("error_rate_during", d), 24.0 / 100);
  EXPECT_DOUBLE_EQ(measure("goodput_during", d), 7.6);
  EXPECT_TRUE(std::isnan(measure("error_rate_after", d)));
  EXPECT_TRUE(std::isnan(measure("goodput_after", d)));
  EXPECT_TRUE(std::isnan(measure("metastable", d))) << "no analysis: cannot tell";
  EXPECT_TRUE(std::isnan(measure("emergent", d)));
  RunDigest nobody = d;
  nobody.users = 0;
  EXPECT_TRUE(std::isnan(measure("users_failing", nobody)));
}

TEST(RunMetrics, TriesPerCallCountsOnlyTheCallsMadeNotThoseABreakerRefused) {
  // During the fault [4, 6): 8 calls started, 20 tries sent; 3 of the calls were refused outright.
  RunDigest d = digest(true);
  EXPECT_DOUBLE_EQ(measure("retry_amplification", d), 20.0 / 8) << "a file without refusals: every call made";
  d.calls_refused.assign(10, 0);
  d.calls_refused[4] = 1;
  d.calls_refused[5] = 2;
  d.calls_refused[7] = 4;  // after the fault: not in the window
  EXPECT_DOUBLE_EQ(measure("retry_amplification", d), 20.0 / (8 - 3));
  d.calls_refused[4] = 4;
  d.calls_refused[5] = 4;
  EXPECT_TRUE(std::isnan(measure("retry_amplification", d))) << "every call refused: no call made to divide by";
}

TEST(RunMetrics, TriesPerCallIsNeitherBetterNorWorse) {
  // An open breaker refuses tries and so lowers tries per call: fewer is not "better".
  EXPECT_EQ(run_metric("retry_amplification").shown.better, 0);
}

TEST(RunMetrics, CompareTableKeepsItsRows) {
  std::vector<std::string> rows;
  for (const auto& m : run_metrics()) {
    if (m.compared) rows.push_back(m.shown.name);
  }
  for (const auto& m : design_metrics()) rows.push_back(m.shown.name);
  // The order of compare's table and of its record's metrics axis (docs/results-format.md).
  const std::vector<std::string> expected{"users_failing",
                                          "blast_radius_types",
                                          "blast_radius_requests",
                                          "error_rate_during",
                                          "goodput_during",
                                          "error_rate_after",
                                          "goodput_after",
                                          "p99",
                                          "recovery_time",
                                          "metastable",
                                          "retry_amplification",
                                          "emergent",
                                          "peak_unhealthy",
                                          "legacy_error_last",
                                          "legacy_latency_last",
                                          "legacy_busy",
                                          "replicas",
                                          "workers",
                                          "hosts",
                                          "processes",
                                          "calls",
                                          "depth",
                                          "max_fan_out",
                                          "max_betweenness"};
  EXPECT_EQ(rows, expected);
}

TEST(RunMetrics, DesignMetricsReadTheFacts) {
  DesignFacts facts;
  facts.cost = {6, 24, 3};
  facts.structure.processes = 4;
  facts.structure.max_betweenness = 0.5;
  for (const auto& m : design_metrics()) {
    const double expected = m.shown.name == "workers"           ? 24
                            : m.shown.name == "processes"       ? 4
                            : m.shown.name == "max_betweenness" ? 0.5
                                                                : NAN;
    if (!std::isnan(expected)) {
      EXPECT_EQ(m.measure(facts), expected) << m.shown.name;
    }
  }
}

}  // namespace
}  // namespace rapture
