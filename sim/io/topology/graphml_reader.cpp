// GraphML: the graph comes from Boost.Graph's `read_graphml`. Boost hands over vertices in
// creation order without their XML ids, so the ids are recovered by walking the same XML the way
// Boost does; lines come from a text scan of the start tags.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/graph/graphml.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/topology/raw_graph.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

namespace {

using topology_io::EdgeSite;
using topology_io::RawEdge;
using topology_io::RawGraph;
using topology_io::RawNode;

/// Receives Boost's parse with every attribute as the raw text of the file. A
/// dynamic_properties map would instead get values already converted to the key's attr.type,
/// which rejects "True" for booleans and re-formats numbers.
class GraphmlCollector final : public boost::mutate_graph {
 public:
  std::vector<std::map<std::string, std::string>> vertex_attributes;
  std::vector<std::pair<size_t, size_t>> edge_ends;
  std::vector<std::map<std::string, std::string>> edge_attributes;
  std::map<std::string, std::string> graph_attributes;

  [[nodiscard]] bool is_directed() const override { return true; }
  boost::any do_add_vertex() override {
    vertex_attributes.emplace_back();
    return boost::any(vertex_attributes.size() - 1);
  }
  std::pair<boost::any, bool> do_add_edge(boost::any source, boost::any target) override {
    edge_ends.emplace_back(boost::any_cast<size_t>(source), boost::any_cast<size_t>(target));
    edge_attributes.emplace_back();
    return {boost::any(edge_ends.size() - 1), true};
  }
  void set_graph_property(const std::string& name, const std::string& value, const std::string&) override {
    if (!name.empty()) graph_attributes[name] = value;
  }
  void set_vertex_property(const std::string& name, boost::any vertex, const std::string& value,
                           const std::string&) override {
    // Keys without attr.name (e.g. yEd graphics) have no usable name; they are dropped.
    if (!name.empty()) vertex_attributes.at(boost::any_cast<size_t>(vertex))[name] = value;
  }
  void set_edge_property(const std::string& name, boost::any edge, const std::string& value,
                         const std::string&) override {
    if (!name.empty()) edge_attributes.at(boost::any_cast<size_t>(edge))[name] = value;
  }
};

struct XmlTag {
  std::map<std::string, std::string> attributes;
  int line = 0;
};

std::string xml_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool done = false;
      for (const auto& [entity, ch] : kEntities) {
        if (s.compare(i, entity.size(), entity) == 0) {
          out += ch;
          i += entity.size() - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += s[i];
  }
  return out;
}

/// Every `<name ...>` start tag in the text, with its attributes and line (comments skipped).
std::vector<XmlTag> xml_tags(std::string_view text, std::string_view name) {
  std::vector<XmlTag> out;
  size_t i = 0;
  int line = 1;
  size_t counted = 0;
  while ((i = text.find('<', i)) != std::string_view::npos) {
    if (text.compare(i, 4, "<!--") == 0) {
      const auto end = text.find("-->", i);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    const size_t after = i + 1 + name.size();
    if (text.compare(i + 1, name.size(), name) != 0 || after >= text.size() ||
        !(std::isspace(static_cast<unsigned char>(text[after])) || text[after] == '>' || text[after] == '/')) {
      ++i;
      continue;
    }
    line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                        text.begin() + static_cast<std::ptrdiff_t>(i), '\n'));
    counted = i;
    XmlTag tag;
    tag.line = line;
    size_t j = after;
    while (j < text.size() && text[j] != '>') {
      if (std::isspace(static_cast<unsigned char>(text[j])) || text[j] == '/') {
        ++j;
        continue;
      }
      const size_t key_from = j;
      while (j < text.size() && text[j] != '=' && text[j] != '>' && !std::isspace(static_cast<unsigned char>(text[j])))
        ++j;
      const std::string key(text.substr(key_from, j - key_from));
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size() || text[j] != '=') continue;
      ++j;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size() || (text[j] != '"' && text[j] != '\'')) continue;
      const char quote = text[j];
      const auto end = text.find(quote, j + 1);
      if (end == std::string_view::npos) break;
      tag.attributes[key] = xml_unescape(text.substr(j + 1, end - j - 1));
      j = end + 1;
    }
    out.push_back(std::move(tag));
    i = j;
  }
  return out;
}

/// The line of the first element of `text` nested deeper than limits::kNesting; 0 when none.
/// A flat walk over the tags (comments, CDATA, declarations and quoted attribute values
/// skipped), because the XML parser recurses once per level and would overflow the stack.
int too_deep_line(std::string_view text) {
  int depth = 0;
  int line = 1;
  size_t counted = 0;
  size_t i = 0;
  const auto skip_past = [&](std::string_view end) {
    const auto at = text.find(end, i);
    i = at == std::string_view::npos ? text.size() : at + end.size();
  };
  while ((i = text.find('<', i)) != std::string_view::npos) {
    if (text.compare(i, 4, "<!--") == 0) {
      skip_past("-->");
    } else if (text.compare(i, 9, "<![CDATA[") == 0) {
      skip_past("]]>");
    } else if (text.compare(i, 2, "<?") == 0) {
      skip_past("?>");
    } else if (text.compare(i, 2, "<!") == 0) {
      skip_past(">");
    } else if (text.compare(i, 2, "</") == 0) {
      --depth;
      skip_past(">");
    } else {
      const size_t from = i;
      // To the end of the start tag, over quoted values (which may hold '>').
      char quote = 0;
      for (++i; i < text.size(); ++i) {
        if (quote != 0) {
          if (text[i] == quote) quote = 0;
        } else if (text[i] == '"' || text[i] == '\'') {
          quote = text[i];
        } else if (text[i] == '>') {
          break;
        }
      }
      const bool empty_element = i < text.size() && text[i - 1] == '/';
      if (!empty_element && ++depth > limits::kNesting) {
        return line + static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                                  text.begin() + static_cast<std::ptrdiff_t>(from), '\n'));
      }
      if (i < text.size()) ++i;
      line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                          text.begin() + static_cast<std::ptrdiff_t>(from), '\n'));
      counted = from;
    }
  }
  return 0;
}

/// Refuses what Boost's reader would drop without a word: a `<data>` whose key is not declared,
/// a `<key id>` declared twice (Boost keeps the last, so data meant for the first changes
/// meaning) and hyperedges (a call has one caller and one callee).
void check_keys(std::string_view text, const std::string& file) {
  std::map<std::string, int> key_lines;
  for (const auto& tag : xml_tags(text, "key")) {
    const auto id = tag.attributes.find("id");
    if (id == tag.attributes.end()) {
      throw InputError(SourceLocation{file, tag.line, ""}, "malformed GraphML: expected an id on <key>");
    }
    const auto [earlier, added] = key_lines.emplace(id->second, tag.line);
    if (!added) {
      throw InputError(
          SourceLocation{file, tag.line, "key '" + text::excerpt(id->second) + "'"},
          "malformed GraphML: <key id> declared twice (first on line " + std::to_string(earlier->second) + ")");
    }
  }
  for (const auto& tag : xml_tags(text, "data")) {
    const auto key = tag.attributes.find("key");
    if (key == tag.attributes.end()) {
      throw InputError(SourceLocation{file, tag.line, ""}, "malformed GraphML: expected a key on <data>");
    }
    if (key_lines.count(key->second) == 0) {
      throw InputError(SourceLocation{file, tag.line, "key '" + text::excerpt(key->second) + "'"},
                       "malformed GraphML: <data> with an undeclared key (expected a <key id=\"" +
                           text::excerpt(key->second) + "\" ...> before the graph)");
    }
  }
  const auto hyperedges = xml_tags(text, "hyperedge");
  if (!hyperedges.empty()) {
    throw InputError(SourceLocation{file, hyperedges.front().line, ""},
                     "malformed GraphML: <hyperedge> is not supported (a call has one caller and one callee: "
                     "expected <edge source target>)");
  }
}

using boost::property_tree::ptree;

void collect_graphs(const ptree& parent, bool first_only, std::vector<const ptree*>& out) {
  for (const auto& child : parent) {
    if (child.first != "graph") continue;
    out.push_back(&child.second);
    collect_graphs(child.second, false, out);
    if (first_only) break;
  }
}

std::string xml_attribute(const ptree& element, const char* name) {
  return element.get(ptree::path_type(std::string("<xmlattr>/") + name, '/'), std::string());
}

RawGraph graphml_raw(const std::string& text, const std::string& file) {
  // Our own pass over the XML: reports XML errors with their line and gives the vertex ids in
  // the order in which Boost's reader creates the vertices.
  topology_io::reject_nul(text, file, "GraphML");
  if (const int line = too_deep_line(text); line > 0) {
    throw InputError(SourceLocation{file, line, ""},
                     "malformed GraphML: nesting deeper than " + std::to_string(limits::kNesting) + " levels");
  }
  ptree document;
  try {
    std::istringstream in(text);
    boost::property_tree::read_xml(in, document, boost::property_tree::xml_parser::no_comments);
  } catch (const boost::property_tree::xml_parser_error& e) {
    throw InputError(SourceLocation{file, static_cast<int>(e.line()), ""},
                     "malformed GraphML (XML error: " + e.message() + ")");
  }
  const auto root = document.get_child_optional("graphml");
  if (!root) throw InputError(SourceLocation{file, 1, ""}, "malformed GraphML: expected a <graphml> root element");
  std::vector<const ptree*> graphs;
  collect_graphs(*root, true, graphs);
  if (graphs.empty()) throw InputError(SourceLocation{file, 0, ""}, "malformed GraphML: expected a <graph> element");

  check_keys(text, file);
  const auto graph_tags = xml_tags(text, "graph");
  const bool edge_default_undirected = xml_attribute(*graphs.front(), "edgedefault") != "directed";
  const auto node_tags = xml_tags(text, "node");
  const auto edge_tags = xml_tags(text, "edge");
  std::map<std::string, int> node_lines;
  for (const auto& tag : node_tags) {
    auto it = tag.attributes.find("id");
    if (it == tag.attributes.end()) {
      throw InputError(SourceLocation{file, tag.line, ""}, "malformed GraphML: expected an id on <node>");
    }
    if (!node_lines.emplace(it->second, tag.line).second) {
      throw InputError(SourceLocation{file, tag.line, "service '" + it->second + "'"},
                       "service declared twice (duplicate <node id>)");
    }
  }

  for (const auto& tag : edge_tags) {
    if (tag.attributes.count("source") == 0 || tag.attributes.count("target") == 0) {
      throw InputError(SourceLocation{file, tag.line, ""}, "malformed GraphML: expected source and target on <edge>");
    }
  }

  std::vector<std::string> ids;
  std::set<std::string> known;
  auto add_id = [&](const std::string& id) {
    if (known.insert(id).second) ids.push_back(id);
  };
  for (const ptree* g : graphs) {
    for (const auto& child : *g) {
      if (child.first == "node") add_id(xml_attribute(child.second, "id"));
    }
  }
  std::vector<std::pair<std::string, std::string>> edge_ids;
  for (const ptree* g : graphs) {
    for (const auto& child : *g) {
      if (child.first != "edge") continue;
      edge_ids.emplace_back(xml_attribute(child.second, "source"), xml_attribute(child.second, "target"));
      add_id(edge_ids.back().first);
      add_id(edge_ids.back().second);
    }
  }

  GraphmlCollector collected;
  try {
    std::istringstream in(text);
    boost::read_graphml(in, collected, 0);
  } catch (const boost::undirected_graph_error&) {
    // Boost checks each edge; name the first one that is undirected.
    int line = graph_tags.empty() ? 0 : graph_tags.front().line;
    std::string element;
    for (const auto& tag : edge_tags) {
      auto directed = tag.attributes.find("directed");
      if (directed == tag.attributes.end() ? edge_default_undirected : directed->second == "false") {
        line = tag.line;
        element = "edge " + text::edge_name(tag.attributes.at("source"), tag.attributes.at("target"));
        break;
      }
    }
    throw InputError(SourceLocation{file, line, element},
                     "undirected edge; calls need a direction (expected edgedefault=\"directed\")");
  } catch (const boost::property_tree::ptree_bad_path& e) {
    throw InputError(SourceLocation{file, graph_tags.empty() ? 0 : graph_tags.front().line, ""},
                     std::string("malformed GraphML: ") + e.what() +
                         " (expected <graph edgedefault=\"directed\">, <node id> and <edge source target>)");
  } catch (const std::exception& e) {
    throw InputError(SourceLocation{file, 0, ""}, std::string("malformed GraphML: ") + e.what());
  }
  if (collected.vertex_attributes.size() != ids.size() || collected.edge_ends.size() != edge_ids.size()) {
    throw InputError(SourceLocation{file, 0, ""}, "malformed GraphML: could not match the nodes and edges");
  }

  RawGraph raw;
  raw.line = graph_tags.empty() ? 0 : graph_tags.front().line;
  raw.name = collected.graph_attributes.count("name") ? collected.graph_attributes["name"]
                                                      : xml_attribute(*graphs.front(), "id");
  std::vector<EdgeSite> sites;
  for (const auto& tag : edge_tags) {
    auto s = tag.attributes.find("source");
    auto t = tag.attributes.find("target");
    sites.push_back(
        {s == tag.attributes.end() ? "" : s->second, t == tag.attributes.end() ? "" : t->second, tag.line, false});
  }
  for (size_t e = 0; e < edge_ids.size(); ++e) {
    RawEdge edge;
    edge.from = ids[collected.edge_ends[e].first];
    edge.to = ids[collected.edge_ends[e].second];
    edge.attributes = std::move(collected.edge_attributes[e]);
    raw.edges.push_back(std::move(edge));
  }
  topology_io::place_edges(raw.edges, sites);
  for (size_t v = 0; v < ids.size(); ++v) {
    RawNode node;
    node.name = ids[v];
    node.attributes = std::move(collected.vertex_attributes[v]);
    auto line = node_lines.find(ids[v]);
    if (line != node_lines.end()) {
      node.line = line->second;
    } else {
      for (const auto& edge : raw.edges) {
        if (edge.from == ids[v] || edge.to == ids[v]) {
          node.line = edge.line;
          break;
        }
      }
    }
    raw.nodes.push_back(std::move(node));
  }
  return raw;
}

}  // namespace

Topology read_topology_graphml(const std::string& text, const std::string& name_for_errors) {
  return topology_io::build_topology(graphml_raw(text, name_for_errors), name_for_errors);
}

}  // namespace rapture
