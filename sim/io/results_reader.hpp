#pragma once
/// Reading back results files written by ResultsFile (docs/results-format.md): the per-run
/// digest a search needs, a run's cascade propagation, and merging runs of several files into one.

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rapture {

/// What a search needs from one finished run of a results file.
struct RunDigest {
  double bin_width = 0;
  std::vector<double> goodput;  ///< successful requests per bin (sum over request types of requests/successes), per second
  std::vector<double> offered;  ///< request arrivals per bin (sum over request types of requests/arrivals), per second
  std::vector<double> failures;  ///< failed requests per bin (sum over request types of requests/failures), per second
  std::vector<double> calls, attempts;  ///< per bin, over the edges with policies: logical calls and tries sent (edges/calls, edges/attempts)
  double error_rate = 0;        ///< summary attribute error_rate
  double p99 = 0;               ///< summary attribute p99 (s; NaN when no request succeeded)
  uint64_t users = 0, users_failing = 0;  ///< summary attributes users and users_failing
  double goodput_mean = 0;      ///< summary attribute goodput
  uint64_t requests = 0;        ///< summary attribute requests

  // From the run's analysis group (docs/results-format.md); these defaults when it has none.
  bool has_analysis = false;           ///< the run has an analysis group (files before it, unanalysed runs: no)
  double trigger_start = NAN;          ///< start of the faults' span, s; NaN: no fault
  double trigger_end = NAN;            ///< end of the faults' span, s; NaN: no fault
  double peak_unhealthy_share = NAN;   ///< largest share of services unhealthy in one bin
  double blast_radius_requests = NAN;  ///< failed / ended requests from the trigger on
  double blast_radius_types = NAN;     ///< share of request types that turned unhealthy
  double recovery_time = NAN;          ///< s from the trigger's end until all stayed healthy; NaN if never
  int recovered = -1;                  ///< 1 recovered, 0 not; -1 without analysis
  int metastable = -1;                 ///< 1 metastable, 0 recovered in time; -1 cannot tell, or no analysis
  int64_t emergent = -1;               ///< unhealthy with no dependency path from the fault; -1 without analysis
  /// The decay layer's legacy path (analysis/decay, its first path), NaN without one: error rate
  /// and mean latency in its last window, mean busy workers of the legacy service over the run.
  double legacy_error_last = NAN, legacy_latency_last = NAN, legacy_busy = NAN;

  /// Field by field, NaN equal to NaN: a run read twice gives equal digests, analysed or not.
  bool operator==(const RunDigest& other) const;
};

/// One row of a run's analysis/propagation table, as stored: services by name.
struct PropagationRecord {
  std::string service;
  double onset = 0;               ///< s
  std::string worst, symptom, cause, mechanism;  ///< the report's enums, by their to_string names
  std::string parent;             ///< the service it came from; empty when none
  std::string via, path;

  bool operator==(const PropagationRecord&) const = default;
};

/// Reads run `index` (group /runs/<index>) of a results file written by ResultsFile. Throws
/// OutputError naming the file when it is missing, is not a rapture results file, has no such
/// run, or the run is unfinished (no summary).
RunDigest read_run_digest(const std::string& path, int index = 0);

/// The propagation table of run `index` (analysis/propagation, by onset); empty when the run has
/// no analysis group. Throws OutputError naming the file as read_run_digest does.
std::vector<PropagationRecord> read_propagation(const std::string& path, int index = 0);

/// Writes a new results file at `final_path` holding the runs `sources[k]` = (file, run index)
/// as /runs/0, /runs/1, ... in order, each copied whole (datasets, attributes, dimension scales).
/// The root attributes are those ResultsFile writes, `rapture_version` set to `rapture_version`;
/// each run keeps its own `rapture_version` attribute. Like ResultsFile, the file is written
/// under `final_path + ".tmp-<pid>"` and renamed at the end, so a failure (OutputError naming
/// the file at fault) leaves nothing under the final name and no temporary file.
void copy_runs(const std::vector<std::pair<std::string, int>>& sources, const std::string& final_path,
               const std::string& rapture_version);

}  // namespace rapture
