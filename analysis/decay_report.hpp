#pragma once
/// The decay metrics of a run with a decay layer: the measured run cut into equal windows and, in
/// each, what users on the legacy path see (errors, latency) against those on the modern path,
/// and what the legacy service costs. The ramps worsen linearly over the run, so the windows show
/// how far the legacy path drifts from the modern one, not just its average over the run.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/run_series.hpp"
#include "model/system.hpp"

namespace rapture {

/// One window of the measured run (the measured run cut into `windows` equal parts). Rates and
/// means are NaN when nothing was measured: no request ended (error rate), none succeeded
/// (latency) or no bin starts in the window (busy).
struct DecayWindow {
  double start = 0, end = 0;         ///< seconds; the window holds the bins starting in [start, end)
  double legacy_error_rate = NAN;    ///< failed / ended requests of the legacy request type
  double legacy_latency_mean = NAN;  ///< end-to-end mean of the legacy request type's successes (s)
  double modern_error_rate = NAN;    ///< failed / ended requests of the request type itself
  double modern_latency_mean = NAN;  ///< end-to-end mean of its successes (s)
  double legacy_busy = NAN;          ///< mean busy workers of the legacy service: its CPU cost
  uint64_t legacy_requests = 0;      ///< legacy requests ended in the window
  uint64_t modern_requests = 0;      ///< modern requests ended in the window
};

/// A request type split by a decay layer: its modern path and its legacy share.
struct DecayPath {
  std::string request;               ///< the request type (its modern path)
  std::string legacy_request;        ///< the request type carrying its legacy share ("<request>@legacy")
  std::string legacy_service;        ///< the decaying service the legacy share goes through ("(+N cell copies)")
  std::vector<DecayWindow> windows;  ///< in time order
};

struct DecayReport {
  std::vector<DecayPath> paths;  ///< in request type order; empty: no decay layer in the run
};

/// Measures every legacy path of the run. A design has at most one decay layer, so every decaying
/// service is the legacy service or one of its cell copies: their busy workers add up.
/// Throws std::invalid_argument when `windows` < 1.
DecayReport decay_report(const System& system, const RunSeries& series, int windows = 4);

/// A few lines for the terminal: per window, what users on the legacy path see against the modern
/// path, and the legacy service's cost. Empty for an empty report.
std::string format_decay_report(const DecayReport& report);

}  // namespace rapture
