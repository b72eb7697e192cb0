#pragma once
/// A decay layer: a share of one request type goes through a legacy copy of a service, beside the
/// modern path, and the legacy copy's errors and latency worsen over the run. The legacy share
/// is its own request type ("<request>@legacy"), so its users' view is measured apart.

#include <string>
#include <vector>

#include "model/design/design_spec.hpp"
#include "model/design/topology_draft.hpp"
#include "model/scenario.hpp"

namespace rapture {

/// The request type carrying the legacy share of `request`.
std::string legacy_request_name(const std::string& request);

/// Adds the legacy service and the legacy request type and splits the workload's mixes. Throws
/// InputError at `decay.where` for an unknown request type or service, a service the request
/// type never visits, a share outside [0, 1], or a name already taken.
void apply_decay(TopologyDraft& draft, Scenario& scenario, const DecaySpec& decay, const std::string& design);

}  // namespace rapture
