#pragma once
/// `rapture topology FILE`: reads a topology and describes it (analysis/topology_stats.hpp),
/// with each service's parameters and its calls in the order they are made.

#include <string>

#include "analysis/topology_stats.hpp"

namespace rapture {

/// A human-readable multi-line report of the topology and its stats.
std::string format_topology_report(const Topology& topology, const TopologyStats& stats);

/// Prints the report of the topology file `path`; returns the process exit code.
int topology_command(const std::string& path);

}  // namespace rapture
