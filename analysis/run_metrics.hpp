#pragma once
/// Every measured quantity of a finished run, defined once: its name, how it is shown, which
/// direction is better, and how it is read off the run's digest. `compare` tabulates them,
/// `amplify`'s criteria measure with them, and a sweep's table can list them all. Beside them,
/// the cost and structure of a design (what is deployed, how it is wired): a function of the
/// design, the same in every run of it.

#include <cstddef>
#include <string_view>
#include <vector>

#include "analysis/design_comparison.hpp"
#include "analysis/run_digest.hpp"
#include "analysis/structural_complexity.hpp"
#include "model/system.hpp"

namespace rapture {

/// The whole bins [first, end) of a run that a window covers.
struct BinWindow {
  size_t first = 0, end = 0;
};

/// The bins lying wholly inside [from, to) seconds (a bin straddling either end is left out).
BinWindow bins_within(const RunDigest& d, double from, double to);
/// Every bin of the run.
BinWindow all_bins(const RunDigest& d);
/// The bins of the last `seconds` of the run, rounded up to whole bins.
BinWindow last_bins(const RunDigest& d, double seconds);
/// Sum of a per-bin series over the window (bins past the series' end count as nothing).
double window_sum(const std::vector<double>& series, BinWindow window);
/// Served share of the offered load over the window: goodput / arrivals; 1 when nothing arrived.
double served_share(const RunDigest& d, BinWindow window);

/// One quantity of a run.
struct RunMetric {
  ComparedMetric shown;                     ///< name, label, unit, better direction
  double (*measure)(const RunDigest& run);  ///< NaN when the run cannot tell (no fault, no analysis)
  bool compared = true;                     ///< a row of `compare`'s table (else a search criterion only)
};

/// The run metrics: the outcome under the fault first, then the legacy path of a decay layer,
/// then the whole-run measures the criteria of `amplify` use.
const std::vector<RunMetric>& run_metrics();

/// The run metric named `name`; std::out_of_range when there is none (a typo in the code).
const RunMetric& run_metric(std::string_view name);

/// What a design deploys.
struct DesignCost {
  double replicas = 0, workers = 0, hosts = 0;
};

/// The cost of a resolved design. A service reached only through in-process calls runs inside
/// its caller's process and costs nothing of its own.
DesignCost cost_of(const System& system);

/// What the design metrics are measured on.
struct DesignFacts {
  DesignCost cost;
  StructuralComplexity structure;
};

/// One quantity of a design.
struct DesignMetric {
  ComparedMetric shown;  ///< name, label, unit, better (0: neither)
  double (*measure)(const DesignFacts& design);
};

/// The design metrics, cost first, then structure: the last rows of `compare`'s table.
const std::vector<DesignMetric>& design_metrics();

}  // namespace rapture
