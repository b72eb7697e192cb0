#pragma once
/// Applying a design variant: the baseline's topology and scenario transformed by the design's
/// recomposition, decay layer and cells, checked, ready for build_system.

#include <string>
#include <string_view>
#include <vector>

#include "model/scenario.hpp"
#include "model/topology.hpp"

namespace rapture {

/// A design applied to the baseline.
struct DesignedScenario {
  Topology topology;               ///< the transformed graph
  Scenario scenario;               ///< settings following the transformed services
  std::vector<std::string> notes;  ///< what the design changed that a user should know
};

/// The design named `name` in the scenario; nullptr for "baseline". Throws InputError naming the
/// scenario's designs when there is no such design.
const DesignSpec* find_design(const Scenario& scenario, std::string_view name);

/// Applies `design` (nullptr: the baseline, unchanged) to the baseline. Its `set` overrides must
/// already be in `scenario` (they are scenario text: the reader applies them). Throws InputError
/// for a transformation that does not fit the graph, leaves a request type unroutable or creates
/// a synchronous call cycle.
DesignedScenario apply_design(const Topology& topology, const Scenario& scenario, const DesignSpec* design);

}  // namespace rapture
