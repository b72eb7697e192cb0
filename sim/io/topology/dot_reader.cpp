// Graphviz DOT: the graph comes from Boost.Graph's public `read_graphviz`; `scan_dot` adds what
// Boost does not report (file order of the services, lines, the graph id, where a syntax error
// is). Two passes over the text, one parser: the scan only locates what Boost read.

#include <map>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/make_shared.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/topology/dot_scanner.hpp"
#include "io/topology/raw_graph.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

namespace {

using topology_io::RawEdge;
using topology_io::RawGraph;
using topology_io::RawNode;

struct DotVertex {
  std::string name;
  bool named = false;
  std::map<std::string, std::string> attributes;
};

struct DotEdge {
  std::map<std::string, std::string> attributes;
};

// bidirectionalS keeps one list of every edge in the order Boost adds them, which is file
// order, so that boost::edges() gives the sequential calls of each caller in file order.
using DotGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, DotVertex, DotEdge>;
using Vertex = boost::graph_traits<DotGraph>::vertex_descriptor;
using Edge = boost::graph_traits<DotGraph>::edge_descriptor;

constexpr const char* kNodeId = "node_id";

/// Keeps one attribute, as the text of the file, in the vertex or edge Boost puts it on. A
/// typed property map would convert values (and reject unknown keys); the model wants the text.
template <typename Descriptor>
class AttributeMap final : public boost::dynamic_property_map {
 public:
  AttributeMap(DotGraph& graph, std::string name) : graph_(graph), name_(std::move(name)) {}

  boost::any get(const boost::any& at) override { return get_string(at); }
  std::string get_string(const boost::any& at) override {
    const auto& attributes = graph_[boost::any_cast<Descriptor>(at)].attributes;
    const auto it = attributes.find(name_);
    return it == attributes.end() ? std::string() : it->second;
  }
  void put(const boost::any& at, const boost::any& value) override {
    auto& element = graph_[boost::any_cast<Descriptor>(at)];
    const auto& text = boost::any_cast<const std::string&>(value);
    if constexpr (std::is_same_v<Descriptor, Vertex>) {
      // Boost names a vertex under node_id right after creating it, before its attributes; a
      // later node_id is an attribute of the file that happens to have that name.
      if (name_ == kNodeId && !element.named) {
        element.name = text;
        element.named = true;
        return;
      }
    }
    element.attributes[name_] = text;
  }
  [[nodiscard]] const std::type_info& key() const override { return typeid(Descriptor); }
  [[nodiscard]] const std::type_info& value() const override { return typeid(std::string); }

 private:
  DotGraph& graph_;
  std::string name_;
};

/// Boost's parse of `text` into `graph`, every attribute kept as text.
void parse_with_boost(const std::string& text, DotGraph& graph) {
  boost::dynamic_properties properties([&graph](const std::string& name, const boost::any& at,
                                                const boost::any&) -> boost::shared_ptr<boost::dynamic_property_map> {
    if (at.type() == typeid(Vertex)) return boost::make_shared<AttributeMap<Vertex>>(graph, name);
    if (at.type() == typeid(Edge)) return boost::make_shared<AttributeMap<Edge>>(graph, name);
    return nullptr;  // graph attributes (rankdir, label, ...) say nothing about services
  });
  boost::read_graphviz(text, graph, properties, kNodeId);
}

/// The line of the syntax error Boost reports as `message` on `text`: the first line such that
/// the text up to its end already gives that error (a shorter prefix ends before the offending
/// token and fails differently, at the end of the input). Binary search: a few parses, only on
/// the error path. 0 when no prefix gives the message.
int boost_error_line(const std::string& text, const std::string& message) {
  std::vector<size_t> line_ends;  // offset just past each line
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_ends.push_back(i + 1);
  if (line_ends.empty() || line_ends.back() != text.size()) line_ends.push_back(text.size());
  const auto fails_there = [&](size_t line_index) {
    DotGraph graph;
    try {
      parse_with_boost(text.substr(0, line_ends[line_index]), graph);
    } catch (const std::exception& e) {
      return message == e.what();
    }
    return false;
  };
  size_t lo = 0, hi = line_ends.size() - 1;
  // Every prefix fails at its end too: such an error is at the end of the whole file.
  if (message.find("end of input") != std::string::npos) return static_cast<int>(hi) + 1;
  if (!fails_there(hi)) return 0;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (fails_there(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return static_cast<int>(lo) + 1;
}

}  // namespace

Topology read_topology_dot(const std::string& text, const std::string& name_for_errors) {
  const std::string& file = name_for_errors;
  topology_io::reject_nul(text, file, "DOT");
  topology_io::DotLayout layout = topology_io::scan_dot(text);
  if (layout.nesting_line > 0) {
    // Boost's parser recurses once per level and would overflow the stack.
    throw InputError(SourceLocation{file, layout.nesting_line, ""},
                     "malformed DOT: nesting deeper than " + std::to_string(limits::kNesting) + " levels");
  }
  DotGraph graph;
  try {
    parse_with_boost(text, graph);
  } catch (const boost::undirected_graph_error&) {
    throw InputError(SourceLocation{file, layout.graph_keyword_line, ""},
                     "the graph is undirected ('graph'); calls need a direction: expected 'digraph' with '->' edges");
  } catch (const std::exception& e) {
    // Boost's message names the offending token but not its line: the scan has it, or else the
    // shortest prefix of the file that gives Boost the same error ends on that line.
    std::string message = std::string("malformed DOT: ") + text::excerpt(e.what(), 200);
    if (layout.error_line > 0) message += "; " + text::excerpt(layout.error, 200);
    const int line = layout.error_line > 0 ? layout.error_line : boost_error_line(text, e.what());
    throw InputError(SourceLocation{file, line, ""}, message);
  }
  if (layout.glued_line > 0) {
    // DOT reads an unquoted 5ms as the number 5 and a separate name ms: reject it rather than
    // silently simulating 5 seconds.
    throw InputError(SourceLocation{file, layout.glued_line, ""},
                     "malformed DOT: unquoted value '" + text::excerpt(layout.glued_text) +
                         "' is read as a number followed by a name; quote it: \"" + text::excerpt(layout.glued_text) +
                         "\"");
  }

  RawGraph raw;
  raw.name = layout.graph_id;
  raw.line = layout.graph_keyword_line;
  for (const auto e : boost::make_iterator_range(boost::edges(graph))) {
    raw.edges.push_back(
        {graph[boost::source(e, graph)].name, graph[boost::target(e, graph)].name, graph[e].attributes, 0});
  }
  topology_io::place_edges(raw.edges, layout.edge_sites);
  std::map<std::string, Vertex> unplaced;  // Boost's vertices not yet in `raw`, by name
  for (const auto v : boost::make_iterator_range(boost::vertices(graph))) unplaced.emplace(graph[v].name, v);
  auto add_node = [&](const std::string& name, int first_line) {
    const auto it = unplaced.find(name);
    if (it == unplaced.end()) return;
    RawNode node;
    node.name = name;
    node.attributes = std::move(graph[it->second].attributes);
    const auto declared = layout.declaration_lines.find(name);
    node.line = declared != layout.declaration_lines.end() ? declared->second : first_line;
    const auto lines = layout.attribute_lines.find(name);
    if (lines != layout.attribute_lines.end()) node.attribute_lines = std::move(lines->second);
    raw.nodes.push_back(std::move(node));
    unplaced.erase(it);
  };
  for (const auto& [name, line] : layout.first_mentions) add_node(name, line);
  // Nodes the scan did not see (it should see them all) keep Boost's order.
  while (!unplaced.empty()) add_node(unplaced.begin()->first, 0);
  return topology_io::build_topology(std::move(raw), file);
}

}  // namespace rapture
