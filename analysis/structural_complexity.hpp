#pragma once
/// Structural complexity of a service topology: the counts a redesign changes (services,
/// deployable processes, remote calls, call depth, fan-out) and where the coupling
/// concentrates, for the design-comparison table of `rapture compare`.
///
/// Coupling is measured by betweenness centrality: the share of shortest call paths between
/// other services that pass through a service. A service on many of them is where the
/// requests, the load and the failures of many callers meet: when it slows down or fails, it
/// does so for all of them at once, so it is a hot spot whatever its own fan-out.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "model/topology.hpp"

namespace rapture {

/// Structural complexity of a topology (what a redesign adds or removes), for `rapture compare`.
struct StructuralComplexity {
  size_t services = 0;                     ///< vertices
  size_t processes = 0;                    ///< deployable units: services merged into one process count once
  size_t calls = 0;                        ///< active edges between different processes (in-process calls excluded)
  size_t sync_calls = 0, async_calls = 0;  ///< of those
  size_t depth = 0;                        ///< longest call path (analyze_topology's depth)
  bool depth_exact = true;                 ///< false when `depth` is analyze_topology's upper bound for a cyclic graph
  size_t max_fan_out = 0;                  ///< analyze_topology's
  std::string max_fan_out_service;
  /// Coupling hot spots: services by betweenness centrality over active calls, highest first
  /// (only those with a centrality > 0, at most `hot_spot_count`), normalised to [0, 1].
  std::vector<std::pair<std::string, double>> hot_spots;
  double max_betweenness = 0;  ///< the highest normalised centrality (0 when none)
};

/// Computes the structural complexity. A service's process is its `process` attribute; a
/// service without one (or with an empty one) is a process of its own. A call is in-process
/// when both ends name the same process. Betweenness is Brandes' over the distinct active
/// calls, directed, each caller -> callee pair counted once (a call site repeated or sent in
/// several modes adds no shortest path), normalised by (n-1)(n-2), the number of ordered pairs
/// of other services, so that 1 means "on every shortest path"; 0 for fewer than 3 services.
StructuralComplexity structural_complexity(const Topology& topology, size_t hot_spot_count = 3);

/// One line, e.g. "9 services in 8 processes, 12 calls (10 sync), depth 4, fan-out 3 (frontend), hot spots: checkout
/// 0.42, cart 0.17"
std::string format_structural_complexity(const StructuralComplexity& c);

}  // namespace rapture
