#pragma once
/// The steps of a recomposed design (section `designs:`, key `recomposition`): graph
/// transformations of the baseline's topology that carry the scenario's references along, so
/// that every setting, fault and route still names a service or call that exists.

#include <string>
#include <vector>

#include "model/design/design_spec.hpp"
#include "model/design/topology_draft.hpp"
#include "model/scenario.hpp"

namespace rapture {

/// Applies one recomposition step to the topology draft and the scenario. Throws InputError at
/// step.where naming the design and the step for invalid uses; `notes` receive what a user should
/// know (a fault removed with its target, an existing call kept when re-pointing...).
void apply_transformation(TopologyDraft& draft, Scenario& scenario, const Transformation& step,
                          const std::string& design, std::vector<std::string>& notes);

}  // namespace rapture
