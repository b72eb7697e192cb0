#pragma once
/// `rapture report FILE [-o OUT] [--png DIR] [--run I ...]`: one self-contained HTML page of plots
/// from a results file. The page is made by the bundled Python script (analysis/report.py:
/// matplotlib reading the file with h5py, Graphviz for the propagation graph), which this
/// command finds and runs with python3, passing its exit status through (docs/report.md).

#include <cstdint>
#include <string>
#include <vector>

namespace rapture {

struct ReportArgs {
  std::string file;           ///< the results file
  std::string output;         ///< -o: the HTML file; empty: FILE with .html (the script's default)
  std::string png_dir;        ///< --png: also write every figure as a PNG here; empty: none
  std::vector<int64_t> runs;  ///< --run: draw these runs instead of the ones chosen for the file's kind
};

/// Where the script is looked for, in order: $RAPTURE_REPORT_SCRIPT; the installed share dir
/// beside the executable `self` (<prefix>/bin/rapture -> <prefix>/share/rapture/report.py); the
/// source tree the executable was built from (RAPTURE_SOURCE_DIR/analysis/report.py).
std::vector<std::string> report_script_candidates(const std::string& self);

/// The first candidate that exists, or "" when none does.
std::string find_report_script(const std::string& self);

/// The interpreter: $RAPTURE_PYTHON, else /usr/bin/python3 (Debian's, where python3-h5py and
/// python3-matplotlib install), else python3 on the PATH.
std::string report_python();

/// The command line the report runs: python, script, FILE, then -o, --png and --run as given.
std::vector<std::string> report_command_line(const ReportArgs& args, const std::string& python,
                                             const std::string& script);

/// Runs the script; returns its exit status (1 with a one-line reason when python3 or the
/// script cannot be found or started; 128 + N when it died of signal N).
int report_command(const ReportArgs& args);

}  // namespace rapture
