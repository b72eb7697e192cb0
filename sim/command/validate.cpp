#include "command/validate.hpp"

#include <iostream>

#include <fmt/format.h>

namespace rapture {

int validate_command(const DesignArgs& args) {
  LoadedSystem l = load_system(args);
  if (args.design == "baseline") {
    // Every design is checked too: a redesign that does not fit the graph is an input error now.
    for (const auto& d : l.scenario.designs) {
      const DesignedScenario designed = load_design(args.scenario, args.sets, d.name);
      const System sys = build_system(designed.topology, designed.scenario);
      std::cout << fmt::format("ok: design '{}': {} services\n", d.name, sys.services.size());
    }
  }
  int64_t replicas = 0;
  for (const auto& s : l.system.services) replicas += s.replicas;
  std::cout << fmt::format(
      "ok: scenario '{}' on topology '{}': {} services, {} replicas on {} hosts, {} request types, "
      "{} workload sources\n",
      l.scenario.name, l.topology.name, l.system.services.size(), replicas, l.system.hosts.size(),
      l.system.request_types.size(), l.system.workload.size());
  return 0;
}

}  // namespace rapture
