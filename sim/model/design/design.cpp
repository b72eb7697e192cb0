#include "model/design/design.hpp"

#include <algorithm>

#include "model/design/cells.hpp"
#include "model/design/decay_layer.hpp"
#include "model/design/recomposition.hpp"
#include "model/design/topology_draft.hpp"
#include "model/topology_analysis.hpp"

namespace rapture {

const DesignSpec* find_design(const Scenario& scenario, std::string_view name) {
  if (name == "baseline") return nullptr;
  std::string known = "baseline";
  for (const auto& d : scenario.designs) {
    if (d.name == name) return &d;
    known += ", " + d.name;
  }
  throw InputError({scenario.file, 0, "designs"},
                   "no design named '" + std::string(name) + "' (the scenario has " + known + ")");
}

DesignedScenario apply_design(const Topology& topology, const Scenario& scenario, const DesignSpec* design) {
  DesignedScenario out{topology, scenario, {}};
  if (!design) return out;
  out.scenario.design = design->name;
  TopologyDraft draft = TopologyDraft::from(topology);
  for (const auto& step : design->recomposition)
    apply_transformation(draft, out.scenario, step, design->name, out.notes);
  if (design->decay) apply_decay(draft, out.scenario, *design->decay, design->name);
  if (design->cells) apply_cells(draft, out.scenario, *design->cells, design->name, out.notes);
  out.topology = draft.build();
  // Only cycles the design made count: one no request follows may already be in the baseline.
  const auto before = sync_cycles(topology);
  for (const auto& c : sync_cycles(out.topology)) {
    if (std::find(before.begin(), before.end(), c) != before.end()) continue;
    std::string cycle;
    for (const auto& s : c) cycle += s + " -> ";
    cycle += c.front();
    throw InputError(design->where, "design '" + design->name + "' creates a synchronous call cycle " + cycle +
                                        ": a request on it could recurse without bound");
  }
  return out;
}

}  // namespace rapture
