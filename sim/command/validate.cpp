#include "command/validate.hpp"

#include <iostream>

#include <fmt/format.h>

#include "command/run.hpp"
#include "io/scenario_reader.hpp"

namespace rapture {

int validate_command(const DesignArgs& args, uint64_t memory_limit) {
  // Every design is estimated before any is expanded: a cell count that would not fit is refused
  // without building it.
  check_design_memory(args.scenario, args.sets, args.design, memory_limit);
  std::vector<std::string> others;
  if (args.design == "baseline") {
    for (const auto& d : read_scenario(args.scenario, args.sets).designs) {
      check_design_memory(args.scenario, args.sets, d.name, memory_limit);
      others.push_back(d.name);
    }
  }
  LoadedSystem l = load_system(args);
  print_scenario_notes(l.scenario);
  const MemoryEstimate estimate = check_run_memory(args.scenario, l.system, memory_limit);
  // Every design is checked too: a redesign that does not fit the graph is an input error now.
  for (const auto& name : others) {
    const DesignedScenario designed = load_design(args.scenario, args.sets, name);
    const System sys = build_system(designed.topology, designed.scenario);
    check_run_memory(args.scenario, sys, memory_limit);
    std::cout << fmt::format("ok: design '{}': {} services\n", name, sys.services.size());
  }
  int64_t replicas = 0;
  for (const auto& s : l.system.services) replicas += s.replicas;
  std::cout << fmt::format(
      "ok: scenario '{}' on topology '{}': {} services, {} replicas on {} hosts, {} request types, "
      "{} workload sources; a run needs about {}\n",
      l.scenario.name, l.topology.name, l.system.services.size(), replicas, l.system.hosts.size(),
      l.system.request_types.size(), l.system.workload.size(), format_bytes(estimate.total()));
  return 0;
}

}  // namespace rapture
