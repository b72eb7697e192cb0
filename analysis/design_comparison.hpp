#pragma once
/// The statistics of `rapture compare`: several designs of one scenario, each run over the same
/// R seeds (common random numbers), compared metric by metric with the first design. Because
/// replication r of every design sees the same arrivals and service times, the difference of two
/// designs is estimated from paired runs, whose shared noise cancels: a difference far smaller
/// than either design's own spread can still be told apart.

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace rapture {

/// How one metric reads: its name, unit for display and which direction is better.
struct ComparedMetric {
  std::string name;   ///< e.g. "error_rate_during"
  std::string label;  ///< column/row label, e.g. "error rate during fault"
  enum class Unit {
    Ratio,
    PerSecond,
    Seconds,
    Count,
    Plain
  } unit = Unit::Plain;  ///< Ratio prints as %, Seconds as ms/s
  int better = 0;        ///< -1 lower is better, +1 higher is better, 0 neither (cost, size)
};

struct ComparisonInput {
  std::vector<std::string> designs;     ///< designs[0] is the reference the others are compared with
  std::vector<ComparedMetric> metrics;  ///< the metrics, in the order of values' last index
  /// values[d][r][m]: design d, replication r (same seed for every design), metric m; NaN: not
  /// measurable in that run (e.g. recovery time of a run that never recovered)
  std::vector<std::vector<std::vector<double>>> values;
};

/// A mean with its 95 % Student-t interval; half_width NaN when n < 2.
struct Estimate {
  double mean = NAN;        ///< mean of the finite values; NaN when there are none
  double half_width = NAN;  ///< t(0.975, n-1) * s / sqrt(n); NaN when n < 2
  size_t n = 0;             ///< finite values (or finite pairs) it rests on
};

struct DesignComparison {
  std::vector<std::vector<Estimate>> estimates;  ///< [d][m]
  /// [d][m]: paired difference design d - reference over the replications where both are finite
  /// (common random numbers make replication r of two designs a pair)
  std::vector<std::vector<Estimate>> differences;
  /// [d][m]: +1 better than the reference, -1 worse, 0 not distinguishable (the difference's
  /// interval contains 0, or fewer than 2 pairs); for a metric with better == 0, +1 higher, -1 lower
  std::vector<std::vector<int>> verdict;
};

/// The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1): the factor of a
/// two-sided 95 % interval.
double student_t_975(size_t df);

/// Mean and 95 % interval of the finite values among `values` (NaN ones are skipped).
Estimate estimate(const std::vector<double>& values);

/// Estimates every design and its paired difference from the reference. Throws
/// std::invalid_argument when values is not [designs][replications][metrics].
DesignComparison compare_designs(const ComparisonInput& input);

/// Side-by-side table: one row per metric, one column per design, each cell "mean ± half-width";
/// for the other designs, the paired difference from the reference and a marker (▲ better,
/// ▼ worse, ≈ not distinguishable, ? too few pairs), then a legend.
std::string format_comparison(const ComparisonInput& input, const DesignComparison& comparison);

}  // namespace rapture
