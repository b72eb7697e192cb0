#pragma once
/// Runs a Simulation on SimGrid: builds the platform (hosts with their speed and cores, one
/// link per host in a star zone, the CM02 network model), and drives the model from maestro,
/// without any actor. Model events advance without SimGrid while no contended activity is
/// running; executions on contended hosts and transfers on bandwidth-limited links are
/// SimGrid activities, which SimGrid runs up to the model's next event, handing each
/// completion to the model as it comes.
/// SimGrid allows one engine per process: call `run_on_simgrid` at most once per process.

#include <string>
#include <vector>

#include "model/run_result.hpp"
#include "model/system.hpp"

namespace rapture {

struct EngineOptions {
  /// SimGrid's own `--cfg=...` / `--log=...` arguments, passed through.
  std::vector<std::string> simgrid_args;
  /// Report progress for runs longer than a few seconds: "rapture: simulated ..." on stderr,
  /// through SimGrid's log category `rapture` (`--log=rapture.thres:warning` silences it).
  bool progress = true;
};

/// Simulates `system` from time 0 to its duration, streaming bins to `sink`.
RunTotals run_on_simgrid(const System& system, BinSink& sink, const EngineOptions& options);

}  // namespace rapture
