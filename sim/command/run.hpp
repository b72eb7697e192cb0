#pragma once
/// `rapture run`: simulates one design of a scenario on SimGrid, writes the results file with
/// its cascade analysis, and prints the summary, the cascade report and the hypothesis.

#include <string>
#include <vector>

#include "command/design_loader.hpp"

namespace rapture {

struct RunArgs : DesignArgs {
  std::string output;    ///< results file; empty: <scenario name>.h5 in the working directory
  std::string dot;       ///< where to write the propagation graph (DOT); empty: nowhere
  bool strict = false;   ///< exit 3 when a hypothesis probe is not met
  bool journal = false;  ///< print every journal entry, not only the first of each category
};

/// Runs the simulation; `simgrid_args` (--cfg=, --log=) go to the engine. Returns the process
/// exit code.
int run_command(const RunArgs& args, const std::vector<std::string>& simgrid_args);

}  // namespace rapture
