#include "io/topology_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

// graphviz.hpp must come first: read_graphviz_new.hpp uses its mutate_graph types.
#include <boost/graph/graphviz.hpp>
// (this comment stops include sorting from moving the next line above graphviz.hpp)
#include <boost/graph/detail/read_graphviz_new.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "common/error.hpp"
#include "common/units.hpp"

namespace rapture {

namespace {

// Limits on user-given sizes: far above any real deployment, low enough that the engine's
// per-replica and per-worker state cannot exhaust memory.
constexpr int64_t kMaxReplicas = 100'000;
constexpr int64_t kMaxWorkers = 100'000;
constexpr int64_t kMaxQueue = 100'000'000;
constexpr int64_t kMaxCalls = 10'000;

// ---------------------------------------------------------------------------------------------
// Format-neutral raw graph: what either parser found, before interpretation.

struct RawNode {
  std::string name;
  std::map<std::string, std::string> attributes;
  int line = 0;
  std::map<std::string, int> attribute_lines;  // where an attribute was set explicitly, if known
};

struct RawEdge {
  std::string from, to;
  std::map<std::string, std::string> attributes;
  int line = 0;
};

struct RawGraph {
  std::string name;
  int line = 0;                // where the graph starts
  std::vector<RawNode> nodes;  // in file order
  std::vector<RawEdge> edges;  // in file order
};

std::string stem_of(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  return stem.empty() ? std::string("topology") : stem;
}

std::string base_dir_of(const std::string& file) {
  const auto parent = std::filesystem::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Interpretation of attributes (shared by DOT and GraphML).

struct AttributeSite {
  const std::string& file;
  int line;
  std::string element;
};

[[noreturn]] void bad_attribute(const AttributeSite& at, const std::string& key, const std::string& value,
                                const std::string& expected) {
  throw InputError(SourceLocation{at.file, at.line, at.element},
                   "attribute " + key + "=\"" + value + "\": " + expected);
}

int64_t whole_in_range(const AttributeSite& at, const std::string& key, const std::string& value, int64_t lo,
                       int64_t hi, const std::string& what) {
  const std::string expected =
      "expected a whole number of " + what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  long long n = 0;
  try {
    n = units::parse_count(value);
  } catch (const std::invalid_argument&) {
    bad_attribute(at, key, value, expected);
  }
  if (n < lo || n > hi) bad_attribute(at, key, value, expected);
  return n;
}

bool boolean_attribute(const AttributeSite& at, const std::string& key, const std::string& value) {
  const std::string v = lower(value);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  bad_attribute(at, key, value, "expected true or false");
}

double bytes_attribute(const AttributeSite& at, const std::string& key, const std::string& value) {
  double bytes = 0;
  try {
    bytes = units::parse_bytes(value);
  } catch (const std::invalid_argument& e) {
    bad_attribute(at, key, value, e.what());
  }
  if (!(bytes >= 0) || !std::isfinite(bytes)) bad_attribute(at, key, value, "expected a size >= 0 such as 4KiB");
  return bytes;
}

template <typename Parse>
auto enum_attribute(const AttributeSite& at, const std::string& key, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    bad_attribute(at, key, value, e.what());
  }
}

ServiceNode make_service(const RawNode& raw, const std::string& file, const std::string& base_dir) {
  ServiceNode node;
  node.name = raw.name;
  node.attributes = raw.attributes;
  node.line = raw.line;
  const std::string element = "service '" + raw.name + "'";
  auto site = [&](const std::string& key) {
    auto it = raw.attribute_lines.find(key);
    return AttributeSite{file, it != raw.attribute_lines.end() ? it->second : raw.line, element};
  };
  auto get = [&](const char* key) -> const std::string* {
    auto it = raw.attributes.find(key);
    return it == raw.attributes.end() ? nullptr : &it->second;
  };
  ServiceParams& p = node.params;
  if (const auto* v = get("kind")) node.kind = enum_attribute(site("kind"), "kind", *v, parse_service_kind);
  if (const auto* v = get("replicas"))
    p.replicas = whole_in_range(site("replicas"), "replicas", *v, 1, kMaxReplicas, "replicas");
  if (const auto* v = get("workers"))
    p.workers = whole_in_range(site("workers"), "workers", *v, 1, kMaxWorkers, "workers");
  const auto* queue = get("queue");
  const auto* queue_capacity = get("queue_capacity");
  if (queue != nullptr && queue_capacity != nullptr && *queue != *queue_capacity) {
    bad_attribute(site("queue_capacity"), "queue_capacity", *queue_capacity,
                  "conflicts with queue=\"" + *queue + "\" (give only one of them)");
  }
  if (queue != nullptr) {
    p.queue_capacity = whole_in_range(site("queue"), "queue", *queue, 0, kMaxQueue, "waiting requests");
  } else if (queue_capacity != nullptr) {
    p.queue_capacity =
        whole_in_range(site("queue_capacity"), "queue_capacity", *queue_capacity, 0, kMaxQueue, "waiting requests");
  }
  if (const auto* v = get("service_time")) {
    try {
      p.service_time = Distribution::parse(*v, base_dir);
    } catch (const std::exception& e) {
      bad_attribute(site("service_time"), "service_time", *v, e.what());
    }
  }
  if (const auto* v = get("host")) {
    if (v->empty()) bad_attribute(site("host"), "host", *v, "expected a host or placement-group name");
    p.host = *v;
  }
  if (const auto* v = get("discipline"))
    p.discipline = enum_attribute(site("discipline"), "discipline", *v, parse_queue_discipline);
  if (const auto* v = get("balancer")) p.balancer = enum_attribute(site("balancer"), "balancer", *v, parse_balancer);
  return node;
}

CallEdge make_call(const RawEdge& raw, const std::string& file) {
  CallEdge edge;
  edge.attributes = raw.attributes;
  edge.line = raw.line;
  const AttributeSite at{file, raw.line, "edge " + raw.from + " -> " + raw.to};
  for (const auto& [key, value] : raw.attributes) {
    if (key == "mode") {
      edge.mode = enum_attribute(at, key, value, parse_call_mode);
    } else if (key == "probability") {
      double p = 0;
      try {
        p = units::parse_number(value);
      } catch (const std::invalid_argument&) {
        bad_attribute(at, key, value, "expected a probability in [0, 1]");
      }
      if (!(p >= 0 && p <= 1)) bad_attribute(at, key, value, "expected a probability in [0, 1]");
      edge.probability = p;
    } else if (key == "calls") {
      edge.calls = whole_in_range(at, key, value, 1, kMaxCalls, "calls per visit");
    } else if (key == "group") {
      edge.group = value;
    } else if (key == "active") {
      edge.active = boolean_attribute(at, key, value);
    } else if (key == "critical") {
      edge.critical = boolean_attribute(at, key, value);
    } else if (key == "request_size") {
      edge.request_bytes = bytes_attribute(at, key, value);
    } else if (key == "response_size") {
      edge.response_bytes = bytes_attribute(at, key, value);
    }
  }
  return edge;
}

Topology build_topology(RawGraph raw, const std::string& file) {
  Topology topology;
  topology.name = raw.name.empty() ? stem_of(file) : raw.name;
  topology.file = file;
  if (raw.nodes.empty()) {
    throw InputError(SourceLocation{file, raw.line, ""}, "the topology has no services (expected at least one node)");
  }
  const std::string base_dir = base_dir_of(file);
  for (const auto& node : raw.nodes) {
    if (node.name.empty()) {
      throw InputError(SourceLocation{file, node.line, "service ''"}, "a service needs a non-empty name");
    }
    if (topology.find(node.name)) {
      throw InputError(SourceLocation{file, node.line, "service '" + node.name + "'"}, "service declared twice");
    }
    topology.add_service(make_service(node, file, base_dir));
  }
  for (const auto& edge : raw.edges) {
    const std::string element = "edge " + edge.from + " -> " + edge.to;
    if (edge.from == edge.to) {
      throw InputError(SourceLocation{file, edge.line, element},
                       "a service cannot call itself (self-loop); expected calls between distinct services");
    }
    const auto from = topology.find(edge.from);
    const auto to = topology.find(edge.to);
    if (!from || !to) {
      // Both parsers create services for edge endpoints, so this means the raw graph is inconsistent.
      throw InputError(SourceLocation{file, edge.line, element}, "edge between undeclared services");
    }
    topology.add_call(*from, *to, make_call(edge, file));
  }
  return topology;
}

// ---------------------------------------------------------------------------------------------
// DOT. Boost's parser gives nodes sorted by name and no line numbers, so a light scanner that
// mirrors its grammar recovers what Boost drops: the graph id, the order and line of each
// node's first mention, the line of each edge, and the line of a syntax error.

struct DotToken {
  enum Type { Id, Keyword, Punct, Arrow, DashDash, Eof, Bad };
  Type type = Eof;
  std::string text;  // identifier value (quotes removed), lower-case keyword, or punctuation
  int line = 0;
  bool glued = false;  // a number directly followed by a letter, e.g. 5ms or 1e12
};

std::vector<DotToken> dot_tokens(std::string_view s) {
  std::vector<DotToken> out;
  size_t i = 0;
  int line = 1;
  auto advance_to = [&](size_t j) {
    line += static_cast<int>(
        std::count(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(j), '\n'));
    i = j;
  };
  auto bad = [&](const std::string& what) { out.push_back({DotToken::Bad, what, line}); };
  while (true) {
    // Whitespace and comments.
    while (i < s.size()) {
      const char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        advance_to(i + 1);
      } else if (s.compare(i, 2, "//") == 0) {
        advance_to(std::min(s.find('\n', i), s.size()));
      } else if (s.compare(i, 2, "/*") == 0) {
        const auto end = s.find("*/", i + 2);
        if (end == std::string_view::npos) {
          bad("unterminated /* comment");
          return out;
        }
        advance_to(end + 2);
      } else if (c == '#' && (i == 0 || s[i - 1] == '\n')) {
        advance_to(std::min(s.find('\n', i), s.size()));
      } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
        advance_to(i + 2);
      } else {
        break;
      }
    }
    if (i >= s.size()) {
      out.push_back({DotToken::Eof, "", line});
      return out;
    }
    const int start_line = line;
    const char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      std::string word(s.substr(i, j - i));
      const std::string low = lower(word);
      const bool keyword =
          low == "strict" || low == "graph" || low == "digraph" || low == "node" || low == "edge" || low == "subgraph";
      out.push_back({keyword ? DotToken::Keyword : DotToken::Id, keyword ? low : word, start_line});
      advance_to(j);
    } else if (s.compare(i, 2, "->") == 0) {
      out.push_back({DotToken::Arrow, "->", start_line});
      advance_to(i + 2);
    } else if (s.compare(i, 2, "--") == 0) {
      out.push_back({DotToken::DashDash, "--", start_line});
      advance_to(i + 2);
    } else if (std::string_view("[]{};=,:+()@").find(c) != std::string_view::npos) {
      out.push_back({DotToken::Punct, std::string(1, c), start_line});
      advance_to(i + 1);
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
      size_t j = i + (c == '-' ? 1 : 0);
      const size_t digits_from = j;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      if (j == digits_from) {
        bad(std::string("invalid character '") + c + "'");
        return out;
      }
      const bool glued = j < s.size() && (std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '_');
      out.push_back({DotToken::Id, std::string(s.substr(i, j - i)), start_line, glued});
      advance_to(j);
    } else if (c == '"') {
      // Quoted strings, joined by '+' as Boost does.
      std::string value;
      bool first = true;
      while (true) {
        if (!first) {
          size_t k = i;
          while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
          if (k >= s.size() || s[k] != '+') break;
          ++k;
          while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
          if (k >= s.size() || s[k] != '"') break;
          advance_to(k);
        }
        first = false;
        size_t j = i + 1;
        while (j < s.size() && s[j] != '"') j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
        if (j >= s.size()) {
          bad("unterminated quoted string");
          return out;
        }
        // Unescape as Boost does: \" becomes ", backslash-newline disappears, the rest stays.
        for (size_t k = i + 1; k < j; ++k) {
          if (s[k] == '\\' && k + 1 < j && (s[k + 1] == '"' || s[k + 1] == '\n')) {
            if (s[k + 1] == '"') value += '"';
            ++k;
          } else {
            value += s[k];
          }
        }
        advance_to(j + 1);
      }
      out.push_back({DotToken::Id, value, start_line});
    } else if (c == '<') {
      int depth = 0;
      size_t j = i;
      do {
        if (j >= s.size()) {
          bad("unclosed HTML string");
          return out;
        }
        if (s[j] == '<') ++depth;
        if (s[j] == '>') --depth;
        ++j;
      } while (depth > 0);
      out.push_back({DotToken::Id, std::string(s.substr(i, j - i)), start_line});
      advance_to(j);
    } else {
      bad(std::string("invalid character '") + c + "'");
      return out;
    }
  }
}

struct DotEdgeSite {
  std::string from, to;  // empty when that end is a subgraph (matches any node)
  int line = 0;
  bool used = false;
};

struct DotLayout {
  std::string graph_id;
  int graph_keyword_line = 1;
  std::vector<std::pair<std::string, int>> first_mentions;  // node, line, in order
  std::map<std::string, int> declaration_lines;             // node statement lines
  std::map<std::string, std::map<std::string, int>> attribute_lines;
  std::vector<DotEdgeSite> edge_sites;
  int error_line = 0;  // 0: the scanner saw no syntax error
  std::string error;
  int glued_line = 0;  // first unquoted number glued to a name (DOT splits it in two)
  std::string glued_text;
};

class DotScanner {
 public:
  /// `boost_braces`: mirror Boost 1.74, which wants `{{` where an anonymous `{` group starts.
  DotScanner(std::string_view text, bool boost_braces) : tokens_(dot_tokens(text)), boost_braces_(boost_braces) {}

  DotLayout scan() {
    for (size_t k = 0; k + 1 < tokens_.size(); ++k) {
      if (tokens_[k].glued) {
        layout_.glued_line = tokens_[k].line;
        layout_.glued_text = tokens_[k].text + tokens_[k + 1].text;
        break;
      }
    }
    try {
      graph();
    } catch (const Stop&) {
    }
    return std::move(layout_);
  }

 private:
  struct Stop {};
  struct Endpoint {
    bool subgraph = false;
    std::string name;
  };

  const DotToken& peek() const { return tokens_[std::min(pos_, tokens_.size() - 1)]; }
  DotToken get() {
    DotToken t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool is(const char* punct) const { return peek().type == DotToken::Punct && peek().text == punct; }
  bool is_keyword(const char* word) const { return peek().type == DotToken::Keyword && peek().text == word; }
  [[noreturn]] void fail(const std::string& what) {
    layout_.error_line = peek().line;
    layout_.error = peek().type == DotToken::Bad ? peek().text : what;
    throw Stop{};
  }

  void mention(const std::string& name, int line) {
    if (seen_.insert(name).second) layout_.first_mentions.emplace_back(name, line);
  }

  void graph() {
    if (is_keyword("strict")) get();
    if (!is_keyword("graph") && !is_keyword("digraph")) fail("expected 'digraph'");
    layout_.graph_keyword_line = peek().line;
    get();
    if (peek().type == DotToken::Id) layout_.graph_id = get().text;
    if (!is("{")) fail("expected '{' to start the graph");
    get();
    statements();
    if (!is("}")) fail("expected '}' to end the graph");
    get();
    if (peek().type != DotToken::Eof) fail("expected the end of the file after the graph");
  }

  void statements() {
    while (!is("}")) {
      if (peek().type == DotToken::Eof || peek().type == DotToken::Bad) fail("expected '}'");
      statement();
      if (is(";")) get();
    }
  }

  void statement() {
    if (is_keyword("graph") || is_keyword("node") || is_keyword("edge")) {
      get();
      std::map<std::string, int> ignored;
      attributes(ignored);
      return;
    }
    if (!(is_keyword("subgraph") || is("{") || peek().type == DotToken::Id)) fail("expected a statement");
    const DotToken first = get();
    if (first.type == DotToken::Id && is("=")) {
      get();
      if (peek().type != DotToken::Id) fail("expected a value after '='");
      get();
      return;
    }
    const Endpoint ep = endpoint_rest(first);
    if (peek().type == DotToken::Arrow || peek().type == DotToken::DashDash) {
      edge_chain(ep);
      return;
    }
    if (!ep.subgraph) {
      layout_.declaration_lines.emplace(ep.name, first.line);
      if (is("[")) attributes(layout_.attribute_lines[ep.name]);
    }
  }

  Endpoint endpoint_rest(const DotToken& first) {
    if (first.type == DotToken::Keyword || (first.type == DotToken::Punct && first.text == "{")) {
      subgraph(first);
      return {true, ""};
    }
    // Ports (`n:p`, `n:p:c`, `n:(a,b)`, `n@angle`) name the node only.
    while (is(":") || is("@")) {
      get();
      if (is("(")) {
        get();
        while (!is(")")) {
          if (peek().type == DotToken::Eof || peek().type == DotToken::Bad) fail("expected ')' to end the port");
          get();
        }
        get();
      } else if (peek().type == DotToken::Id) {
        get();
      } else {
        fail("expected a port name");
      }
    }
    mention(first.text, first.line);
    return {false, first.text};
  }

  void subgraph(const DotToken& first) {
    if (first.type == DotToken::Keyword) {
      if (first.text != "subgraph") fail("expected a node, 'subgraph' or '{'");
      if (peek().type == DotToken::Id) {
        get();
        if (!is("{")) return;  // a reference to a named subgraph
      }
      if (!is("{")) fail("expected '{' to start the subgraph");
      get();
    } else if (boost_braces_ && !is("{")) {
      fail("this DOT reader cannot read an anonymous { ... } group: write 'subgraph { ... }'");
    } else if (boost_braces_) {
      get();
    }
    if (++depth_ > 255) fail("subgraphs nested too deeply");
    statements();
    get();  // '}'
    --depth_;
  }

  void edge_chain(Endpoint left) {
    while (peek().type == DotToken::Arrow || peek().type == DotToken::DashDash) {
      const DotToken op = get();
      if (op.type == DotToken::DashDash) {
        layout_.error_line = op.line;
        layout_.error = "'--' in a graph; calls need a direction: use 'digraph' and '->'";
        throw Stop{};
      }
      if (!(is_keyword("subgraph") || is("{") || peek().type == DotToken::Id)) fail("expected a node after '->'");
      const DotToken first = get();
      const Endpoint right = endpoint_rest(first);
      layout_.edge_sites.push_back({left.subgraph ? "" : left.name, right.subgraph ? "" : right.name, op.line, false});
      left = right;
    }
    if (is("[")) {
      std::map<std::string, int> ignored;
      attributes(ignored);
    }
  }

  void attributes(std::map<std::string, int>& lines) {
    while (is("[")) {
      get();
      while (!is("]")) {
        if (peek().type != DotToken::Id) fail("expected an attribute name");
        const DotToken key = get();
        lines[key.text] = key.line;
        if (is("=")) {
          get();
          if (peek().type != DotToken::Id) fail("expected an attribute value after '='");
          get();
        }
        if (is(",") || is(";")) get();
      }
      get();
    }
  }

  std::vector<DotToken> tokens_;
  bool boost_braces_ = false;
  size_t pos_ = 0;
  int depth_ = 0;
  std::set<std::string> seen_;
  DotLayout layout_;
};

/// Receives Boost's parse: nodes (sorted by name), edges (in file order) and their attributes.
class DotCollector final : public boost::detail::graph::mutate_graph {
 public:
  std::map<std::string, std::map<std::string, std::string>> nodes;
  std::vector<RawEdge> edges;

  [[nodiscard]] bool is_directed() const override { return true; }
  void do_add_vertex(const boost::detail::graph::node_t& node) override { nodes[node]; }
  void do_add_edge(const boost::detail::graph::edge_t& edge, const boost::detail::graph::node_t& source,
                   const boost::detail::graph::node_t& target) override {
    edge_index_.emplace(edge, edges.size());
    RawEdge raw;
    raw.from = source;
    raw.to = target;
    edges.push_back(std::move(raw));
  }
  void set_node_property(const boost::detail::graph::id_t& key, const boost::detail::graph::node_t& node,
                         const boost::detail::graph::id_t& value) override {
    nodes[node][key] = value;
  }
  void set_edge_property(const boost::detail::graph::id_t& key, const boost::detail::graph::edge_t& edge,
                         const boost::detail::graph::id_t& value) override {
    auto it = edge_index_.find(edge);
    if (it != edge_index_.end()) edges[it->second].attributes[key] = value;
  }
  void set_graph_property(const boost::detail::graph::id_t&, const boost::detail::graph::id_t&) override {}
  void finish_building_graph() override {}

 private:
  std::map<boost::detail::graph::edge_t, size_t> edge_index_;
};

/// Gives each edge the line of its statement: the next unused site with the same ends (a site
/// with a subgraph end stands for several edges, so it is not used up).
void place_edges(std::vector<RawEdge>& edges, std::vector<DotEdgeSite>& sites) {
  size_t cursor = 0;
  for (auto& edge : edges) {
    for (size_t k = cursor; k < sites.size(); ++k) {
      auto& site = sites[k];
      if (site.used) continue;
      if ((site.from.empty() || site.from == edge.from) && (site.to.empty() || site.to == edge.to)) {
        edge.line = site.line;
        if (!site.from.empty() && !site.to.empty()) site.used = true;
        cursor = k;
        break;
      }
    }
    while (cursor < sites.size() && sites[cursor].used) ++cursor;
  }
}

// ---------------------------------------------------------------------------------------------
// GraphML. Boost's reader hands over vertices in creation order without their XML ids, so the
// ids are recovered by walking the same XML the way Boost does; lines come from a text scan.

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
        element = "edge " + tag.attributes.at("source") + " -> " + tag.attributes.at("target");
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
  std::vector<DotEdgeSite> sites;
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
  place_edges(raw.edges, sites);
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

// ---------------------------------------------------------------------------------------------
// Writing.

std::string dot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string number_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

bool plain_id(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  const std::string low = lower(s);
  if (low == "strict" || low == "graph" || low == "digraph" || low == "node" || low == "edge" || low == "subgraph") {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// Sets `key` to the model's value: the text as read if it still means that value (so that
/// "2KiB" stays "2KiB"), else `canonical`. With `omit`, a key absent from the file stays absent.
template <typename T, typename Parse>
void put_typed(std::map<std::string, std::string>& attributes, const std::string& key, const T& value, Parse parse,
               const std::string& canonical, bool omit) {
  auto it = attributes.find(key);
  if (it == attributes.end()) {
    if (!omit) attributes[key] = canonical;
    return;
  }
  try {
    if (parse(it->second) == value) return;
  } catch (const std::exception&) {
  }
  it->second = canonical;
}

/// Whether the service_time text as read still describes `current`: then it is written as
/// read, since to_string() rounds parameters and cannot name the file of empirical(...).
bool same_distribution_text(const std::map<std::string, std::string>& attributes, const Distribution& current,
                            const std::string& base_dir) {
  auto it = attributes.find("service_time");
  if (it == attributes.end()) return false;
  try {
    const Distribution read = Distribution::parse(it->second, base_dir);
    auto close = [](double x, double y) { return std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y)); };
    return read.kind() == current.kind() && close(read.mean(), current.mean()) && close(read.scv(), current.scv());
  } catch (const std::exception&) {
    // The text no longer parses here (e.g. a samples file moved): write what the model holds.
    return current.kind() == Distribution::Kind::Empirical;
  }
}

void write_attributes(std::ostream& out, const std::map<std::string, std::string>& attributes) {
  if (attributes.empty()) return;
  out << " [";
  bool first = true;
  for (const auto& [key, value] : attributes) {
    out << (first ? "" : ", ") << (plain_id(key) ? key : dot_quote(key)) << "=" << dot_quote(value);
    first = false;
  }
  out << "]";
}

}  // namespace

Topology read_topology_dot(const std::string& text, const std::string& name_for_errors) {
  const std::string& file = name_for_errors;
  DotLayout layout = DotScanner(text, false).scan();
  DotCollector collected;
  try {
    boost::detail::graph::read_graphviz_new(text, &collected);
  } catch (const boost::undirected_graph_error&) {
    throw InputError(SourceLocation{file, layout.graph_keyword_line, ""},
                     "the graph is undirected ('graph'); calls need a direction: expected 'digraph' with '->' edges");
  } catch (const std::exception& e) {
    // Boost's messages name the offending token but not its line: take the line from our scan,
    // or, if the standard grammar found no error, from a scan with Boost's own quirks.
    DotLayout located = layout.error_line > 0 ? layout : DotScanner(text, true).scan();
    std::string message = std::string("malformed DOT: ") + e.what();
    if (located.error_line > 0) message += "; " + located.error;
    throw InputError(SourceLocation{file, located.error_line, ""}, message);
  }

  if (layout.glued_line > 0) {
    // DOT reads an unquoted 5ms as the number 5 and a separate name ms: reject it rather than
    // silently simulating 5 seconds.
    throw InputError(SourceLocation{file, layout.glued_line, ""},
                     "malformed DOT: unquoted value '" + layout.glued_text +
                         "' is read as a number followed by a name; quote it: \"" + layout.glued_text + "\"");
  }
  RawGraph raw;
  raw.name = layout.graph_id;
  raw.line = layout.graph_keyword_line;
  raw.edges = std::move(collected.edges);
  place_edges(raw.edges, layout.edge_sites);
  auto add_node = [&](const std::string& name, int first_line) {
    auto it = collected.nodes.find(name);
    if (it == collected.nodes.end()) return;
    RawNode node;
    node.name = name;
    node.attributes = std::move(it->second);
    auto declared = layout.declaration_lines.find(name);
    node.line = declared != layout.declaration_lines.end() ? declared->second : first_line;
    auto lines = layout.attribute_lines.find(name);
    if (lines != layout.attribute_lines.end()) node.attribute_lines = std::move(lines->second);
    raw.nodes.push_back(std::move(node));
    collected.nodes.erase(it);
  };
  for (const auto& [name, line] : layout.first_mentions) add_node(name, line);
  // Nodes the scanner did not see (it should see them all) keep Boost's order.
  while (!collected.nodes.empty()) add_node(collected.nodes.begin()->first, 0);
  return build_topology(std::move(raw), file);
}

Topology read_topology_graphml(const std::string& text, const std::string& name_for_errors) {
  return build_topology(graphml_raw(text, name_for_errors), name_for_errors);
}

Topology read_topology(const std::string& path) {
  const std::string extension = lower(std::filesystem::path(path).extension().string());
  const bool dot = extension == ".dot" || extension == ".gv";
  const bool graphml = extension == ".graphml" || extension == ".xml";
  if (!dot && !graphml) {
    throw InputError(SourceLocation{path, 0, ""},
                     "unknown topology format '" + extension + "' (expected a .dot, .gv, .graphml or .xml file)");
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: no such file");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(SourceLocation{path, 0, ""},
                     std::string("cannot read the topology file: ") + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(SourceLocation{path, 0, ""}, "cannot read the topology file: read error");
  return dot ? read_topology_dot(text, path) : read_topology_graphml(text, path);
}

void write_topology_dot(const Topology& topology, std::ostream& out) {
  const auto& g = topology.graph;
  const std::string base_dir = base_dir_of(topology.file);
  const auto count = [](const std::string& text) { return static_cast<int64_t>(units::parse_count(text)); };
  const auto flag = [](const std::string& text) {
    const std::string v = lower(text);
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw std::invalid_argument("not a boolean");
  };
  const auto same_text = [](const std::string& text) { return text; };
  out << "digraph " << dot_quote(topology.name) << " {\n";
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const ServiceNode& node = g[v];
    const ServiceParams& p = node.params;
    auto attributes = node.attributes;
    put_typed(attributes, "kind", node.kind, parse_service_kind, std::string(to_string(node.kind)), false);
    auto put_optional = [&](const char* key, const auto& value, auto parse, auto canonical) {
      if (value) {
        put_typed(attributes, key, *value, parse, canonical(*value), false);
      } else {
        attributes.erase(key);
      }
    };
    const auto number = [](int64_t n) { return std::to_string(n); };
    put_optional("replicas", p.replicas, count, number);
    put_optional("workers", p.workers, count, number);
    // The capacity keeps the spelling it was read with; `queue` when there was none.
    const char* queue_key =
        attributes.count("queue") == 0 && attributes.count("queue_capacity") != 0 ? "queue_capacity" : "queue";
    attributes.erase(std::string(queue_key) == "queue" ? "queue_capacity" : "queue");
    put_optional(queue_key, p.queue_capacity, count, number);
    if (p.service_time) {
      if (!same_distribution_text(attributes, *p.service_time, base_dir))
        attributes["service_time"] = p.service_time->to_string();
    } else {
      attributes.erase("service_time");
    }
    put_optional("host", p.host, same_text, same_text);
    put_optional("discipline", p.discipline, parse_queue_discipline,
                 [](QueueDiscipline d) { return std::string(to_string(d)); });
    put_optional("balancer", p.balancer, parse_balancer, [](Balancer b) { return std::string(to_string(b)); });
    out << "  " << dot_quote(node.name);
    write_attributes(out, attributes);
    out << ";\n";
  }
  // Per caller in out-edge order, which is the order of its sequential calls.
  const CallEdge defaults;
  const auto bytes = [](const std::string& text) { return units::parse_bytes(text); };
  const auto probability = [](const std::string& text) { return units::parse_number(text); };
  const auto boolean_text = [](bool b) { return std::string(b ? "true" : "false"); };
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    for (auto e : boost::make_iterator_range(boost::out_edges(v, g))) {
      const CallEdge& call = g[e];
      auto attributes = call.attributes;
      // Values equal to the defaults are left out unless the file spelled them out.
      put_typed(attributes, "mode", call.mode, parse_call_mode, std::string(to_string(call.mode)),
                call.mode == defaults.mode);
      put_typed(attributes, "probability", call.probability, probability, number_text(call.probability),
                call.probability == defaults.probability);
      put_typed(attributes, "calls", call.calls, count, std::to_string(call.calls), call.calls == defaults.calls);
      put_typed(attributes, "group", call.group, same_text, call.group, call.group.empty());
      put_typed(attributes, "active", call.active, flag, boolean_text(call.active), call.active == defaults.active);
      put_typed(attributes, "critical", call.critical, flag, boolean_text(call.critical),
                call.critical == defaults.critical);
      put_typed(attributes, "request_size", call.request_bytes, bytes, number_text(call.request_bytes),
                call.request_bytes == defaults.request_bytes);
      put_typed(attributes, "response_size", call.response_bytes, bytes, number_text(call.response_bytes),
                call.response_bytes == defaults.response_bytes);
      out << "  " << dot_quote(g[boost::source(e, g)].name) << " -> " << dot_quote(g[boost::target(e, g)].name);
      write_attributes(out, attributes);
      out << ";\n";
    }
  }
  out << "}\n";
}

}  // namespace rapture
