#pragma once
/// Reading back results files written by ResultsFile (docs/results-format.md): the per-run
/// digest a search needs (analysis/run_digest.hpp), a run's cascade propagation, its stateful
/// caches' series, and merging runs of several files into one.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/run_digest.hpp"

namespace rapture {

/// One row of a run's analysis/propagation table, as stored: services by name.
struct PropagationRecord {
  std::string service;
  double onset = 0;                              ///< s
  std::string worst, symptom, cause, mechanism;  ///< the report's enums, by their to_string names
  std::string parent;                            ///< the service it came from; empty when none
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

/// One stateful look-aside cache's time series of a run (its `caches/` columns), by bin.
struct CacheSeries {
  std::string cache;                           ///< the cache service's name
  std::vector<uint64_t> lookups, hits, fills;  ///< per bin, as CacheBinRow
  /// hits / lookups of bin `bin`; NaN for a bin without lookups.
  [[nodiscard]] double hit_ratio(size_t bin) const;
};

/// The stateful caches' series of run `index`, in the file's `cache` order; empty when the run
/// has no `caches/` group (no stateful cache). Throws OutputError naming the file as
/// read_run_digest does.
std::vector<CacheSeries> read_caches(const std::string& path, int index = 0);

/// Writes a new results file at `final_path` holding the runs `sources[k]` = (file, run index)
/// as /runs/0, /runs/1, ... in order, each copied whole (datasets, attributes, dimension scales).
/// The root attributes are those ResultsFile writes, `rapture_version` set to `rapture_version`;
/// each run keeps its own `rapture_version` attribute. Like ResultsFile, the file is written
/// under `final_path + ".tmp-<pid>"` and renamed at the end, so a failure (OutputError naming
/// the file at fault) leaves nothing under the final name and no temporary file.
void copy_runs(const std::vector<std::pair<std::string, int>>& sources, const std::string& final_path,
               const std::string& rapture_version);

}  // namespace rapture
