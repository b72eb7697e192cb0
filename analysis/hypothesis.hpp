#pragma once
/// Evaluation of a scenario's steady-state hypothesis (Chaos Toolkit style): each probe is a
/// quantity measured over a window of the run (before the faults, during them, after them,
/// the whole measured run) and compared with its tolerance.

#include <string>
#include <vector>

#include "analysis/cascade_report.hpp"
#include "analysis/run_series.hpp"
#include "model/scenario.hpp"
#include "model/system.hpp"

namespace rapture {

/// One probe, measured.
struct ProbeResult {
  std::string name;       ///< the probe's name, or a generated one ("error_rate of checkout during the fault")
  std::string tolerance;  ///< "< 5%", "> 100/s", "< 800ms"
  double value = 0;       ///< the measured value (NaN when it cannot be measured: see `note`)
  bool met = false;       ///< value within the tolerance; an unmeasurable probe is not met
  std::string note;       ///< why it could not be measured (empty window, no fault, never recovered...)
};

struct HypothesisResult {
  std::string title;
  std::vector<ProbeResult> probes;
  [[nodiscard]] bool met() const;  ///< every probe met
};

/// Measures every probe on the recorded run and its cascade report.
HypothesisResult evaluate_hypothesis(const HypothesisSpec& spec, const System& system, const RunSeries& series,
                                     const CascadeReport& report);

/// One line per probe ("met" / "NOT MET", value, tolerance) and a verdict line.
std::string format_hypothesis(const HypothesisResult& result);

}  // namespace rapture
