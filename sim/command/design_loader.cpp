#include "command/design_loader.hpp"

#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

DesignedScenario load_design(const std::string& path, const std::vector<std::string>& sets, const std::string& design) {
  Scenario scenario = read_scenario(path, sets);
  const DesignSpec* spec = find_design(scenario, design);
  if (spec && !spec->set.empty()) {
    // The design's settings are scenario text: read again with them after the command line's.
    auto all = sets;
    all.insert(all.end(), spec->set.begin(), spec->set.end());
    scenario = read_scenario(path, all);
    spec = find_design(scenario, design);
  }
  return apply_design(read_topology(scenario.topology_path), scenario, spec);
}

}  // namespace rapture
