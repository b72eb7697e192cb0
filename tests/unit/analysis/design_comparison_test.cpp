#include "analysis/design_comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace rapture {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Unit = ComparedMetric::Unit;

/// One metric, designs given as their values by replication: values[d][r][0].
ComparisonInput one_metric(ComparedMetric metric, const std::vector<std::vector<double>>& by_design) {
  ComparisonInput input;
  input.metrics = {std::move(metric)};
  for (size_t d = 0; d < by_design.size(); ++d) {
    input.designs.push_back(d == 0 ? "baseline" : "design" + std::to_string(d));
    auto& runs = input.values.emplace_back();
    for (double v : by_design[d]) runs.push_back({v});
  }
  return input;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---- Student t ----------------------------------------------------------------------------------

TEST(StudentT, MatchesTheTable) {
  // Two-sided 95 % critical values of Student's t (any statistics table).
  EXPECT_NEAR(student_t_975(1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_975(2), 4.3027, 1e-4);
  EXPECT_NEAR(student_t_975(4), 2.7764, 1e-4);
  EXPECT_NEAR(student_t_975(9), 2.2622, 1e-4);
  EXPECT_NEAR(student_t_975(29), 2.0452, 1e-4);
  EXPECT_NEAR(student_t_975(120), 1.9799, 1e-4);
  EXPECT_NEAR(student_t_975(1000000), 1.95996, 1e-4);  // the normal's 1.96
  EXPECT_THROW(student_t_975(0), std::invalid_argument);
}

// ---- one design's estimate ----------------------------------------------------------------------

TEST(Estimate, MeanAndStudentInterval) {
  // mean 2, sd 1, half width t(0.975, 2) * 1 / sqrt(3) = 4.3027 / 1.7321.
  const Estimate e = estimate({1, 2, 3});
  EXPECT_EQ(e.n, 3U);
  EXPECT_DOUBLE_EQ(e.mean, 2);
  EXPECT_NEAR(e.half_width, 2.4841, 1e-4);
}

TEST(Estimate, SkipsNaNAndCountsTheRest) {
  const Estimate e = estimate({kNaN, 1, kNaN, 3});
  EXPECT_EQ(e.n, 2U);
  EXPECT_DOUBLE_EQ(e.mean, 2);
  // sd sqrt(2), half width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.706.
  EXPECT_NEAR(e.half_width, 12.7062, 1e-4);
}

TEST(Estimate, OneValueHasNoInterval) {
  const Estimate e = estimate({kNaN, 0.25});
  EXPECT_EQ(e.n, 1U);
  EXPECT_DOUBLE_EQ(e.mean, 0.25);
  EXPECT_TRUE(std::isnan(e.half_width));
}

TEST(Estimate, NoValueIsNaN) {
  const Estimate e = estimate({kNaN, kNaN});
  EXPECT_EQ(e.n, 0U);
  EXPECT_TRUE(std::isnan(e.mean));
  EXPECT_TRUE(std::isnan(e.half_width));
}

TEST(Estimate, EqualValuesHaveExactlyNoSpread) {
  // 0.1 summed three times and divided by 3 is not 0.1: the estimate must not invent a spread.
  const Estimate e = estimate({0.1, 0.1, 0.1});
  EXPECT_EQ(e.mean, 0.1);
  EXPECT_EQ(e.half_width, 0.0);
}

// ---- comparing designs --------------------------------------------------------------------------

TEST(CompareDesigns, CommonRandomNumbersTellASmallShiftFromLargeNoise) {
  // Five seeds whose load differs widely (the shared noise); the design adds 0.1 to each seed's
  // value, plus a little noise of its own.
  const std::vector<double> a{10, 20, 30, 15, 25};
  const std::vector<double> own_noise{0.001, -0.002, 0.0, 0.002, -0.001};
  std::vector<double> b;
  for (size_t r = 0; r < a.size(); ++r) b.push_back(a[r] + 0.1 + own_noise[r]);
  const ComparisonInput input = one_metric({"p99", "p99 latency", Unit::Seconds, -1}, {a, b});
  const DesignComparison c = compare_designs(input);

  // Each design alone: mean 20 / 20.1, half width ~9.8: the intervals overlap almost entirely.
  const Estimate& ea = c.estimates[0][0];
  const Estimate& eb = c.estimates[1][0];
  EXPECT_DOUBLE_EQ(ea.mean, 20);
  EXPECT_NEAR(eb.mean, 20.1, 1e-12);
  EXPECT_NEAR(ea.half_width, 2.7764 * std::sqrt(62.5) / std::sqrt(5.0), 1e-3);
  EXPECT_LT(std::fabs(eb.mean - ea.mean), ea.half_width + eb.half_width);

  // Paired: the differences are 0.1 + own noise, mean 0.1, sd 0.00158: clearly above 0.
  const Estimate& d = c.differences[1][0];
  EXPECT_EQ(d.n, 5U);
  EXPECT_NEAR(d.mean, 0.1, 1e-12);
  EXPECT_NEAR(d.half_width, 2.7764 * std::sqrt(0.0000025) / std::sqrt(5.0), 1e-5);
  EXPECT_GT(d.mean - d.half_width, 0);
  // Lower is better and the design is higher: worse.
  EXPECT_EQ(c.verdict[1][0], -1);
  EXPECT_EQ(c.verdict[0][0], 0);  // the reference against itself
}

TEST(CompareDesigns, SameSeedsDifferentOrderIsNotAPairing) {
  // The same values as above but the design's replications shuffled: without the pairing the
  // shift disappears in the noise, so it must not be distinguishable.
  const std::vector<double> a{10, 20, 30, 15, 25};
  const std::vector<double> b{30.1, 10.1, 25.1, 20.1, 15.1};
  const DesignComparison c = compare_designs(one_metric({"p99", "p99", Unit::Seconds, -1}, {a, b}));
  EXPECT_EQ(c.verdict[1][0], 0);
}

TEST(CompareDesigns, IdenticalDesignsAreNotDistinguishable) {
  const std::vector<double> a{0.1, 0.3, 0.2, 0.25};
  const DesignComparison c = compare_designs(one_metric({"error_rate", "errors", Unit::Ratio, -1}, {a, a, a}));
  for (size_t d = 0; d < 3; ++d) {
    EXPECT_EQ(c.differences[d][0].mean, 0.0);
    EXPECT_EQ(c.differences[d][0].half_width, 0.0);
    EXPECT_EQ(c.verdict[d][0], 0);
  }
}

TEST(CompareDesigns, AConstantNonzeroDifferenceIsDistinguishable) {
  // Every pair differs by exactly 1: no spread at all, yet a real difference over 3 pairs.
  const DesignComparison c =
      compare_designs(one_metric({"goodput", "goodput", Unit::PerSecond, +1}, {{100, 200, 300}, {101, 201, 301}}));
  EXPECT_EQ(c.differences[1][0].mean, 1.0);
  EXPECT_EQ(c.differences[1][0].half_width, 0.0);
  EXPECT_EQ(c.verdict[1][0], +1);
}

TEST(CompareDesigns, DirectionFollowsWhatIsBetter) {
  const std::vector<double> low{1, 2, 3}, high{2, 3, 4};
  const auto verdict = [&](int better, const std::vector<double>& design) {
    return compare_designs(one_metric({"m", "m", Unit::Plain, better}, {low, design})).verdict[1][0];
  };
  EXPECT_EQ(verdict(+1, high), +1);  // higher is better, design higher
  EXPECT_EQ(verdict(-1, high), -1);  // lower is better, design higher
  EXPECT_EQ(verdict(0, high), +1);   // neither: +1 says higher
  const auto reversed = [&](int better) {
    return compare_designs(one_metric({"m", "m", Unit::Plain, better}, {high, low})).verdict[1][0];
  };
  EXPECT_EQ(reversed(+1), -1);
  EXPECT_EQ(reversed(-1), +1);
  EXPECT_EQ(reversed(0), -1);
}

TEST(CompareDesigns, PairsNeedBothRunsMeasured) {
  // Recovery time: the reference never recovered in replication 1, the design in replication 3.
  const std::vector<double> a{10, kNaN, 12, 11, 13};
  const std::vector<double> b{5, 6, 7, kNaN, 8};
  const DesignComparison c = compare_designs(one_metric({"recovery", "recovery", Unit::Seconds, -1}, {a, b}));
  EXPECT_EQ(c.estimates[0][0].n, 4U);
  EXPECT_DOUBLE_EQ(c.estimates[0][0].mean, 11.5);
  EXPECT_EQ(c.estimates[1][0].n, 4U);
  EXPECT_DOUBLE_EQ(c.estimates[1][0].mean, 6.5);
  // Pairs 0, 2, 4: differences -5, -5, -5.
  EXPECT_EQ(c.differences[1][0].n, 3U);
  EXPECT_DOUBLE_EQ(c.differences[1][0].mean, -5);
  EXPECT_EQ(c.verdict[1][0], +1);
}

TEST(CompareDesigns, FewerThanTwoPairsCannotTell) {
  const DesignComparison one = compare_designs(one_metric({"m", "m", Unit::Plain, -1}, {{1}, {100}}));
  EXPECT_EQ(one.differences[1][0].n, 1U);
  EXPECT_DOUBLE_EQ(one.differences[1][0].mean, 99);
  EXPECT_TRUE(std::isnan(one.differences[1][0].half_width));
  EXPECT_EQ(one.verdict[1][0], 0);

  const DesignComparison none = compare_designs(one_metric({"m", "m", Unit::Plain, -1}, {{1, kNaN}, {kNaN, 2}}));
  EXPECT_EQ(none.differences[1][0].n, 0U);
  EXPECT_EQ(none.verdict[1][0], 0);
}

TEST(CompareDesigns, RejectsValuesOfTheWrongShape) {
  ComparisonInput input = one_metric({"m", "m", Unit::Plain, 0}, {{1, 2}, {1, 2, 3}});
  EXPECT_THROW(compare_designs(input), std::invalid_argument);
  input = one_metric({"m", "m", Unit::Plain, 0}, {{1, 2}, {1, 2}});
  input.values[1][0].push_back(3);
  EXPECT_THROW(compare_designs(input), std::invalid_argument);
  input = one_metric({"m", "m", Unit::Plain, 0}, {{1, 2}});
  input.designs.push_back("orphan");
  EXPECT_THROW(compare_designs(input), std::invalid_argument);
}

// ---- the table ----------------------------------------------------------------------------------

/// Three designs over three seeds, four metrics of every unit.
ComparisonInput three_designs() {
  ComparisonInput input;
  input.designs = {"baseline", "cells", "recomposed"};
  input.metrics = {{"error_rate_during", "error rate during fault", Unit::Ratio, -1},
                   {"goodput", "goodput", Unit::PerSecond, +1},
                   {"p99", "p99 latency", Unit::Seconds, -1},
                   {"replicas", "replicas", Unit::Count, 0}};
  //                        error  goodput  p99   replicas
  input.values = {{{0.120, 240, 0.80, 6}, {0.125, 245, 0.83, 6}, {0.130, 250, 0.86, 6}},
                  {{0.020, 290, 3.10, 9}, {0.030, 295, 3.20, 9}, {0.025, 300, 3.30, 9}},
                  {{0.121, 240, 0.80, 6}, {0.124, 245, 0.83, 6}, {0.130, 250, 0.86, 6}}};
  return input;
}

TEST(FormatComparison, ShowsMeansIntervalsDifferencesAndVerdicts) {
  const ComparisonInput input = three_designs();
  const std::string table = format_comparison(input, compare_designs(input));
  SCOPED_TRACE(table);
  // Header, then each metric's estimates in its unit with its half width
  // (error: sd 0.005, half width 4.3027 * 0.005 / sqrt(3) = 1.24 percentage points).
  EXPECT_TRUE(contains(table, "baseline"));
  EXPECT_TRUE(contains(table, "recomposed"));
  EXPECT_TRUE(contains(table, "error rate during fault"));
  EXPECT_TRUE(contains(table, "12.5 ± 1.2 %"));
  EXPECT_TRUE(contains(table, "245 ± 12/s"));
  EXPECT_TRUE(contains(table, "830 ± 75 ms"));    // below a second: milliseconds
  EXPECT_TRUE(contains(table, "3.20 ± 0.25 s"));  // above: seconds
  EXPECT_TRUE(contains(table, "6 ± 0"));          // the same in every run
  // cells: fewer errors, more goodput (better), slower (worse), more replicas (higher).
  EXPECT_TRUE(contains(table, "▲ better"));
  EXPECT_TRUE(contains(table, "▼ worse"));
  EXPECT_TRUE(contains(table, "higher"));
  EXPECT_TRUE(contains(table, "Δ -10.0 ± 1.2 pp"));  // paired: -10, -9.5, -10.5 points
  EXPECT_TRUE(contains(table, "Δ +50 ± 0/s"));
  // recomposed is baseline within noise.
  EXPECT_TRUE(contains(table, "≈"));
  // The legend says what the intervals are and what the markers mean.
  EXPECT_TRUE(contains(table, "95 %"));
  EXPECT_TRUE(contains(table, "3 replications"));
  EXPECT_TRUE(contains(table, "same seed"));
  EXPECT_TRUE(contains(table, "≈ not distinguishable from baseline"));
}

TEST(FormatComparison, RowsAreAligned) {
  const ComparisonInput input = three_designs();
  const std::string table = format_comparison(input, compare_designs(input));
  // The column of "cells" starts at the same character on the header and on every metric line
  // (counting characters, not bytes: ± and the markers are one column each).
  const auto column = [](const std::string& line, size_t byte) {
    size_t width = 0;
    for (size_t i = 0; i < byte; ++i) width += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    return width;
  };
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(table.substr(start, end - start));
  }
  ASSERT_GE(lines.size(), 9U);
  const size_t cells = column(lines[0], lines[0].find("cells"));
  EXPECT_EQ(column(lines[1], lines[1].find(" 2.5 ± 1.2 %") + 1), cells) << table;
  EXPECT_EQ(column(lines[2], lines[2].find("Δ -10.0")), cells) << table;
}

TEST(FormatComparison, SaysWhenThereIsNoInterval) {
  ComparisonInput input = three_designs();
  for (auto& design : input.values) design.resize(1);
  const DesignComparison c = compare_designs(input);
  const std::string table = format_comparison(input, c);
  SCOPED_TRACE(table);
  for (const auto& verdicts : c.verdict) {
    for (int v : verdicts) EXPECT_EQ(v, 0);
  }
  EXPECT_FALSE(contains(table, "±"));
  EXPECT_TRUE(contains(table, "no confidence interval"));
  // The error rates, one run each: 12 % and 2 % (no false precision), cells cannot be judged.
  const size_t start = table.find("error rate");
  const std::string row = table.substr(start, table.find('\n', start) - start);
  EXPECT_TRUE(contains(row, "12 %"));
  EXPECT_TRUE(contains(row, "2 %  ?"));
  EXPECT_FALSE(contains(row, "▲"));
  EXPECT_TRUE(contains(table, "? fewer than 2 paired replications"));
}

TEST(FormatComparison, MarksPartlyMeasuredAndUnmeasuredMetrics) {
  const ComparisonInput input =
      one_metric({"recovery_time", "recovery time", Unit::Seconds, -1}, {{10, kNaN, 12, 14}, {kNaN, kNaN, kNaN, kNaN}});
  const std::string table = format_comparison(input, compare_designs(input));
  SCOPED_TRACE(table);
  EXPECT_TRUE(contains(table, "12 ± 5 s (n=3)"));  // sd 2, t(0.975, 2) * 2 / sqrt(3) = 4.97
  EXPECT_TRUE(contains(table, "n/a"));
  EXPECT_TRUE(contains(table, "measured in only k of the 4 replications"));
  EXPECT_TRUE(contains(table, "not measurable in any replication"));
}

}  // namespace
}  // namespace rapture
