#pragma once
/// What the commands that run many scenarios (amplify, premortem, compare) keep of each finished
/// run: its per-bin totals and summary numbers, and the headline of its cascade analysis. Plain
/// data, filled by io's read_run_digest and measured by analysis/run_metrics.hpp.

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/recovery_verdict.hpp"

namespace rapture {

/// One finished run of a results file, as a search or a comparison needs it.
struct RunDigest {
  double bin_width = 0;
  double duration = 0;  ///< run attribute duration: simulated seconds, the end of the last window
  std::vector<double>
      goodput;  ///< successful requests per bin (sum over request types of requests/successes), per second
  std::vector<double> offered;   ///< request arrivals per bin (sum over request types of requests/arrivals), per second
  std::vector<double> failures;  ///< failed requests per bin (sum over request types of requests/failures), per second
  std::vector<double> calls,
      attempts;  ///< per bin, over the edges with policies: logical calls and tries sent (edges/calls, edges/attempts)
  /// Per bin, over the edges with policies: calls ended without a try sent, every try refused by a
  /// breaker or a bulkhead (edges/calls_refused; zeros for files written before it).
  std::vector<double> calls_refused;
  double error_rate = 0;                  ///< summary attribute error_rate
  double p99 = 0;                         ///< summary attribute p99 (s; NaN when no request succeeded)
  uint64_t users = 0, users_failing = 0;  ///< summary attributes users and users_failing
  double goodput_mean = 0;                ///< summary attribute goodput
  uint64_t requests = 0;                  ///< summary attribute requests

  // From the run's analysis group (docs/results-format.md); these defaults when it has none.
  bool has_analysis = false;           ///< the run has an analysis group (files before it, unanalysed runs: no)
  double trigger_start = NAN;          ///< start of the faults' span, s; NaN: no fault
  double trigger_end = NAN;            ///< end of the faults' span, s; NaN: no fault
  double peak_unhealthy_share = NAN;   ///< largest share of services unhealthy in one bin
  double blast_radius_requests = NAN;  ///< failed / ended requests from the trigger on
  double blast_radius_types = NAN;     ///< share of request types that turned unhealthy
  double recovery_time = NAN;          ///< s from the trigger's end until all stayed healthy; NaN if never
  int recovered = -1;                  ///< 1 recovered, 0 not; -1 without analysis
  int metastable = -1;                 ///< 1 metastable (a sustained loop), 0 recovered or draining; -1 cannot tell
  RecoveryKind verdict = RecoveryKind::None;               ///< the verdict after the trigger; None without analysis
  SustainingEffect sustained_by = SustainingEffect::None;  ///< what sustains a Sustained verdict
  double drain_eta = NAN;  ///< Recovering: s from the moment judged until the backlog is drained; NaN otherwise
  int64_t emergent = -1;   ///< unhealthy with no dependency path from the fault; -1 without analysis
  /// The decay layer's legacy path (analysis/decay, its first path), NaN without one: error rate
  /// and mean latency in its last window, mean busy workers of the legacy service over the run.
  double legacy_error_last = NAN, legacy_latency_last = NAN, legacy_busy = NAN;

  /// Field by field, NaN equal to NaN: a run read twice gives equal digests, analysed or not.
  bool operator==(const RunDigest& other) const;
};

}  // namespace rapture
