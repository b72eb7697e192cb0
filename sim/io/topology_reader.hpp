#pragma once
/// Reading and writing of service topologies: Graphviz DOT and GraphML, parsed by Boost.Graph's
/// own readers, turned into a `Topology` with typed, range-checked service and call parameters.
/// Attribute conventions: topologies/README.md. Implemented in io/topology/ (one file per format).

#include <ostream>
#include <string>

#include "model/topology.hpp"

namespace rapture {

/// Reads a topology from a Graphviz DOT (.dot/.gv) or GraphML (.graphml/.xml) file, chosen by extension.
Topology read_topology(const std::string& path);

/// Reads a topology from DOT text already in memory (`name_for_errors` is used as the file name
/// in messages, and its directory resolves relative `empirical(...)` files).
Topology read_topology_dot(const std::string& text, const std::string& name_for_errors);

/// Reads a topology from GraphML text already in memory; see `read_topology_dot`.
Topology read_topology_graphml(const std::string& text, const std::string& name_for_errors);

/// Writes a topology back out as DOT (all attributes kept), readable by `read_topology_dot`.
void write_topology_dot(const Topology& topology, std::ostream& out);

}  // namespace rapture
