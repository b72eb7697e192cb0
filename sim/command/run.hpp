#pragma once
/// `rapture run`: simulates one design of a scenario on SimGrid, writes the results file with
/// its cascade analysis, and prints the summary, the cascade report and the hypothesis.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "command/design_loader.hpp"
#include "model/run_result.hpp"

namespace rapture {

/// `--memory-limit`'s default: 4 GiB, or three quarters of the machine's physical memory when
/// that is less. A run above it is refused before it starts (a run that swaps is as good as
/// hung, and one the kernel kills leaves nothing); 4 GiB lets the documented examples and a
/// 10^6-bin run of a dozen services through on a laptop, while 10^7 bins of three services
/// (about 7 GiB) must be asked for.
uint64_t default_memory_limit();

/// `8GiB`, `512MiB`, `8G`, `2.5GB` (K/M/G/T and their iB spellings are binary, KB/MB/GB/TB
/// decimal), or bytes alone; nullopt for anything else, zero or beyond 2^60.
std::optional<uint64_t> parse_memory_size(const std::string& text);

/// Refuses (InputError at the scenario file, or at the design's `cells:`) a design of a scenario
/// whose system would not fit in `limit` bytes with `at_once` runs in memory together: estimated
/// from the scenario and the topology as written, before the design is expanded (a cell count
/// multiplies the services), so that nothing large is ever built.
void check_design_memory(const std::string& scenario_path, const std::vector<std::string>& sets,
                         const std::string& design, uint64_t limit, int at_once = 1);

/// Refuses (InputError at the scenario file) a run of `system` that would need more than `limit`
/// bytes with `at_once` such runs at the same time. Returns the estimate.
MemoryEstimate check_run_memory(const std::string& scenario_file, const System& system, uint64_t limit,
                                int at_once = 1);

/// Prints the scenario's notes (`note: file:line: element: text`) on stderr, once each.
void print_scenario_notes(const Scenario& scenario);

struct RunArgs : DesignArgs {
  std::string output;                              ///< results file; empty: <scenario name>.h5 in the working directory
  std::string dot;                                 ///< where to write the propagation graph (DOT); empty: nowhere
  bool strict = false;                             ///< exit 3 when a hypothesis probe is not met
  bool journal = false;                            ///< print every journal entry, not only the first of each category
  uint64_t memory_limit = default_memory_limit();  ///< refuse a run estimated to need more (bytes)
};

/// Runs the simulation; `simgrid_args` (--cfg=, --log=) go to the engine. Returns the process
/// exit code.
int run_command(const RunArgs& args, const std::vector<std::string>& simgrid_args);

}  // namespace rapture
