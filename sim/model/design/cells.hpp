#pragma once
/// A cell-based architecture: the chosen services copied into K autonomous cells, each with its
/// own replicas, behind a cell router that maps every tenant to a cell (or, with shuffle
/// sharding, to a pair of cells); the services left out stay shared by all cells.

#include <string>
#include <string_view>
#include <vector>

#include "model/design/design_spec.hpp"
#include "model/design/topology_draft.hpp"
#include "model/scenario.hpp"

namespace rapture {

/// The name of `service`'s copy in cell `cell`.
std::string cell_copy_name(std::string_view service, int64_t cell);

/// Copies the celled services into `cells.count` cells, re-points the calls, routes request
/// types to their entry's copies, splits capacity, and moves faults on celled services to the
/// copy in their `cell`. Throws InputError at `cells.where` for K < 1, unknown services, or a
/// shared service calling a celled one (a call out of the shared layer cannot pick a cell).
void apply_cells(TopologyDraft& draft, Scenario& scenario, const CellSpec& cells, const std::string& design,
                 std::vector<std::string>& notes);

}  // namespace rapture
