#include "command/design_loader.hpp"

#include <iostream>
#include <sstream>

#include "io/scenario_reader.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

DesignedScenario load_design(const std::string& path, const std::vector<std::string>& sets, const std::string& design) {
  Scenario scenario = read_scenario(path, sets);
  const DesignSpec* spec = find_design(scenario, design);
  if (spec && !spec->set.empty()) {
    // The design's settings are scenario text: read again with them after the command line's,
    // each blamed on its own line of the file rather than on --set.
    std::vector<Override> all;
    for (const auto& s : sets) all.push_back({s});
    const std::vector<SourceLocation>* where = nullptr;
    for (const auto& [name, lines] : scenario.design_set_where) {
      if (name == spec->name) where = &lines;
    }
    for (size_t i = 0; i < spec->set.size(); ++i) {
      Override change{spec->set[i]};
      if (where && i < where->size()) change.origin = (*where)[i];
      all.push_back(std::move(change));
    }
    scenario = reread_scenario(scenario, all);
    spec = find_design(scenario, design);
  }
  return apply_design(read_topology(scenario.topology_path), scenario, spec);
}

LoadedSystem load_system(const DesignArgs& args) {
  LoadedSystem l;
  DesignedScenario d = load_design(args.scenario, args.sets, args.design);
  l.scenario = std::move(d.scenario);
  l.topology = std::move(d.topology);
  if (args.seed) l.scenario.seed = *args.seed;
  l.system = build_system(l.topology, l.scenario);
  if (!args.quiet) {
    for (const auto& note : d.notes) std::cout << "note: " << note << "\n";
  }
  if (!args.design_dot.empty()) {
    std::ostringstream dot;
    write_topology_dot(l.topology, dot);
    require_text_output(args.design_dot, {args.scenario, l.topology.file});
    write_text_file(args.design_dot, dot.str());
  }
  return l;
}

}  // namespace rapture
