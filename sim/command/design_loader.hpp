#pragma once
/// Loading one design of a scenario: the scenario read with its overrides and the design's own
/// `set`, the topology read, and the design's transformations applied; for `run` and `validate`,
/// the system it resolves to.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/design/design.hpp"
#include "model/system.hpp"

namespace rapture {

/// The scenario file `path` with `sets`, as design `design` ("baseline": as written) sees it.
DesignedScenario load_design(const std::string& path, const std::vector<std::string>& sets, const std::string& design);

/// Which design of which scenario `run` and `validate` load, as the command line says.
struct DesignArgs {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;     ///< replaces the scenario's
  std::string design = "baseline";  ///< the scenario's design variant
  std::string design_dot;           ///< where to write the design's topology (DOT); empty: nowhere
  bool quiet = false;               ///< print not even the design's notes
};

/// One design ready to simulate: its scenario (seed applied), topology and resolved system.
struct LoadedSystem {
  Scenario scenario;
  Topology topology;
  System system;
};

/// Loads the design, prints its notes (unless quiet) and writes its DOT when asked.
LoadedSystem load_system(const DesignArgs& args);

}  // namespace rapture
