#pragma once
/// Loading one design of a scenario: the scenario read with its overrides and the design's own
/// `set`, the topology read, and the design's transformations applied.

#include <string>
#include <vector>

#include "model/design/design.hpp"

namespace rapture {

/// The scenario file `path` with `sets`, as design `design` ("baseline": as written) sees it.
DesignedScenario load_design(const std::string& path, const std::vector<std::string>& sets, const std::string& design);

}  // namespace rapture
