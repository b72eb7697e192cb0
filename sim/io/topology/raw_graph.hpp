#pragma once
/// What the DOT and GraphML readers found, before interpretation, and its interpretation into a
/// `Topology`: attribute text turned into typed, range-checked service and call parameters. One
/// place for both formats, so that a value means the same thing whatever file it comes from.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/topology.hpp"

namespace rapture::topology_io {

/// A node as a parser found it.
struct RawNode {
  std::string name;
  std::map<std::string, std::string> attributes;
  int line = 0;
  std::map<std::string, int> attribute_lines;  ///< where an attribute was set explicitly, if known
};

/// An edge as a parser found it.
struct RawEdge {
  std::string from, to;
  std::map<std::string, std::string> attributes;
  int line = 0;
};

/// A graph as a parser found it: nodes and edges in file order.
struct RawGraph {
  std::string name;  ///< empty: the file's stem
  int line = 0;      ///< where the graph starts
  std::vector<RawNode> nodes;
  std::vector<RawEdge> edges;
};

/// Where an edge statement is in the file; an empty end is a subgraph (it matches any node).
struct EdgeSite {
  std::string from, to;
  int line = 0;
  bool used = false;
};

/// Gives each edge (in parser order) the line of its statement: the next unused site with the
/// same ends. A site with a subgraph end stands for several edges, so it is not used up.
void place_edges(std::vector<RawEdge>& edges, std::vector<EdgeSite>& sites);

/// The `Topology` of `raw`; throws InputError naming `file`, the line and the service or edge of
/// the first value that is out of range or malformed.
Topology build_topology(RawGraph raw, const std::string& file);

/// Throws InputError naming `file` and the line of the first NUL byte of `text`, if any: a
/// topology is text, and a NUL would cut every message that echoes the text around it.
void reject_nul(std::string_view text, const std::string& file, std::string_view format);

/// The directory relative `empirical(...)` files of `file` are read from.
std::string base_dir_of(const std::string& file);

/// true/1/yes or false/0/no, in any case; nullopt for anything else.
std::optional<bool> parse_flag(std::string_view text);

}  // namespace rapture::topology_io
