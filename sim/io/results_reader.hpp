#pragma once
/// Reading back results files written by ResultsFile (docs/results-format.md): the per-run
/// digest a search needs, and merging runs of several files into one.

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
  double error_rate = 0;        ///< summary attribute error_rate
  double goodput_mean = 0;      ///< summary attribute goodput
  uint64_t requests = 0;        ///< summary attribute requests

  bool operator==(const RunDigest&) const = default;
};

/// Reads run `index` (group /runs/<index>) of a results file written by ResultsFile. Throws
/// OutputError naming the file when it is missing, is not a rapture results file, has no such
/// run, or the run is unfinished (no summary).
RunDigest read_run_digest(const std::string& path, int index = 0);

/// Writes a new results file at `final_path` holding the runs `sources[k]` = (file, run index)
/// as /runs/0, /runs/1, ... in order, each copied whole (datasets, attributes, dimension scales).
/// The root attributes are those ResultsFile writes, `rapture_version` set to `rapture_version`;
/// each run keeps its own `rapture_version` attribute. Like ResultsFile, the file is written
/// under `final_path + ".tmp-<pid>"` and renamed at the end, so a failure (OutputError naming
/// the file at fault) leaves nothing under the final name and no temporary file.
void copy_runs(const std::vector<std::pair<std::string, int>>& sources, const std::string& final_path,
               const std::string& rapture_version);

}  // namespace rapture
