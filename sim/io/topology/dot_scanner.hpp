#pragma once
/// A scan of DOT text that recovers what Boost's `read_graphviz` does not report: the graph id,
/// the order and line of each node's first mention (Boost hands nodes over sorted by name), the
/// line of each node statement, attribute and edge, and the line of a syntax error (Boost's
/// message names the offending token but not where it is). It follows Boost 1.74's grammar,
/// quirks included, so that it sees the same nodes and edges and stops at the same error.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/topology/raw_graph.hpp"

namespace rapture::topology_io {

/// Where things are in a DOT file.
struct DotLayout {
  std::string graph_id;
  int graph_keyword_line = 1;
  std::vector<std::pair<std::string, int>> first_mentions;            ///< node, line, in file order
  std::map<std::string, int> declaration_lines;                       ///< line of each node's statement
  std::map<std::string, std::map<std::string, int>> attribute_lines;  ///< node -> attribute -> line
  std::vector<EdgeSite> edge_sites;                                   ///< every edge statement, in file order
  int error_line = 0;                                                 ///< 0: no syntax error seen
  std::string error;                                                  ///< what was expected there
  int glued_line = 0;  ///< first unquoted number glued to a name (DOT splits it in two); 0: none
  std::string glued_text;
  int nesting_line = 0;  ///< first '{' nested deeper than limits::kNesting; 0: none (then nothing else is scanned)
};

/// Scans `text`; never throws (a syntax error is reported in the layout).
DotLayout scan_dot(std::string_view text);

/// Whether `word` is a DOT keyword (strict, graph, digraph, node, edge, subgraph; any case).
bool is_dot_keyword(std::string_view word);

}  // namespace rapture::topology_io
