#include "model/topology_analysis.hpp"

#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>
#include <boost/pending/queue.hpp>
#include <boost/property_map/property_map.hpp>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

namespace rapture {

namespace {

/// Keeps the edges a request can follow: active ones, and only synchronous ones if asked.
struct CallFilter {
  const TopologyGraph* graph = nullptr;  // default-constructible, as filtered_graph requires
  bool sync_only = false;
  bool operator()(const CallEdgeDesc& e) const {
    const CallEdge& call = (*graph)[e];
    return call.active && (!sync_only || call.mode != CallMode::Async);
  }
};

using CallGraph = boost::filtered_graph<TopologyGraph, CallFilter>;

CallGraph call_graph(const Topology& topology, bool sync_only) {
  return CallGraph(topology.graph, CallFilter{&topology.graph, sync_only});
}

/// Strongly connected component of each service.
std::vector<size_t> components(const CallGraph& g, size_t& count) {
  std::vector<size_t> component(boost::num_vertices(g));
  count = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  return component;
}

/// Components that are cycles: more than one service, or one service that calls itself.
std::vector<bool> cyclic_components(const CallGraph& g, const std::vector<size_t>& component, size_t count) {
  std::vector<size_t> size(count, 0);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) ++size[component[v]];
  std::vector<bool> cyclic(count, false);
  for (size_t c = 0; c < count; ++c) cyclic[c] = size[c] > 1;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    if (boost::source(e, g) == boost::target(e, g)) cyclic[component[boost::source(e, g)]] = true;
  }
  return cyclic;
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> sync_cycles(const Topology& topology) {
  const CallGraph g = call_graph(topology, true);
  size_t count = 0;
  const auto component = components(g, count);
  const auto cyclic = cyclic_components(g, component, count);
  // Ordered by their first service, services in file order.
  std::map<size_t, std::vector<std::string>> by_first;
  std::vector<size_t> first(count, SIZE_MAX);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const size_t c = component[v];
    if (!cyclic[c]) continue;
    if (first[c] == SIZE_MAX) first[c] = v;
    by_first[first[c]].push_back(topology.graph[v].name);
  }
  std::vector<std::vector<std::string>> cycles;
  for (auto& [v, names] : by_first) cycles.push_back(std::move(names));
  return cycles;
}

TopologyStats analyze_topology(const Topology& topology) {
  const TopologyGraph& graph = topology.graph;
  TopologyStats stats;
  stats.services = boost::num_vertices(graph);
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    ++stats.services_per_kind[static_cast<size_t>(graph[v].kind)];
  }
  for (auto e : boost::make_iterator_range(boost::edges(graph))) {
    const CallEdge& call = graph[e];
    ++stats.calls;
    if (!call.active) {
      ++stats.inactive_calls;
    } else if (call.mode != CallMode::Async) {
      ++stats.sync_calls;
    } else {
      ++stats.async_calls;
    }
  }

  const CallGraph active = call_graph(topology, false);
  std::vector<ServiceVertex> entries;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (graph[v].kind == ServiceKind::Frontend) entries.push_back(v);
  }
  if (entries.empty()) {
    std::vector<bool> called(stats.services, false);
    for (auto e : boost::make_iterator_range(boost::edges(active))) called[boost::target(e, active)] = true;
    for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
      if (!called[v]) entries.push_back(v);
    }
  }
  for (auto v : entries) stats.entries.push_back(graph[v].name);

  for (auto v : boost::make_iterator_range(boost::vertices(active))) {
    std::set<ServiceVertex> callees;
    for (auto e : boost::make_iterator_range(boost::out_edges(v, active))) callees.insert(boost::target(e, active));
    if (callees.size() > stats.max_fan_out) {
      stats.max_fan_out = callees.size();
      stats.max_fan_out_service = graph[v].name;
    }
  }

  // Reachability from all entries at once: one colour map shared by the searches.
  std::vector<boost::default_color_type> colour(stats.services, boost::white_color);
  auto colour_map = boost::make_iterator_property_map(colour.begin(), boost::get(boost::vertex_index, active));
  for (auto s : entries) {
    if (colour[s] != boost::white_color) continue;
    boost::queue<ServiceVertex> queue;
    boost::breadth_first_visit(active, s, queue, boost::default_bfs_visitor(), colour_map);
  }
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (colour[v] == boost::white_color) stats.unreachable.push_back(graph[v].name);
  }

  // Longest path on the condensation (a DAG), each component weighted by its size: exact
  // when every component is a single service, polynomial in any case.
  size_t count = 0;
  const auto component = components(active, count);
  const auto cyclic = cyclic_components(active, component, count);
  boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> condensation(count);
  std::vector<size_t> weight(count, 0);
  for (auto v : boost::make_iterator_range(boost::vertices(active))) ++weight[component[v]];
  for (auto e : boost::make_iterator_range(boost::edges(active))) {
    const size_t from = component[boost::source(e, active)];
    const size_t to = component[boost::target(e, active)];
    if (from != to) boost::add_edge(from, to, condensation);
  }
  std::vector<size_t> order;  // reverse topological: callees before callers
  boost::topological_sort(condensation, std::back_inserter(order));
  std::vector<size_t> longest(count, 0);
  for (size_t c : order) {
    size_t below = 0;
    for (auto e : boost::make_iterator_range(boost::out_edges(c, condensation))) {
      below = std::max(below, longest[boost::target(e, condensation)]);
    }
    longest[c] = weight[c] + below;
  }
  for (auto s : entries) stats.depth = std::max(stats.depth, longest[component[s]]);
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (colour[v] != boost::white_color && cyclic[component[v]]) stats.depth_exact = false;
  }

  stats.sync_cycles = sync_cycles(topology);
  return stats;
}

std::string format_topology_report(const Topology& topology, const TopologyStats& stats) {
  const TopologyGraph& graph = topology.graph;
  std::ostringstream out;
  out << "topology '" << topology.name << "'";
  if (!topology.file.empty()) out << " (" << topology.file << ")";
  out << "\n";

  std::vector<std::string> kinds;
  for (size_t k = 0; k < kServiceKinds; ++k) {
    if (stats.services_per_kind[k] > 0) {
      kinds.push_back(std::to_string(stats.services_per_kind[k]) + " " +
                      std::string(to_string(static_cast<ServiceKind>(k))));
    }
  }
  out << "  services     " << stats.services << " (" << join(kinds) << ")\n";
  out << "  calls        " << stats.calls << " (" << stats.sync_calls << " sync, " << stats.async_calls << " async, "
      << stats.inactive_calls << " inactive)\n";
  out << "  entries      " << (stats.entries.empty() ? "none" : join(stats.entries)) << "\n";
  out << "  max fan-out  ";
  if (stats.max_fan_out == 0) {
    out << "0\n";
  } else {
    out << stats.max_fan_out << " (" << stats.max_fan_out_service << ")\n";
  }
  out << "  call depth   " << stats.depth << " services"
      << (stats.depth_exact ? "" : " (upper bound: the active call graph has cycles)") << "\n";
  out << "  sync cycles  ";
  if (stats.sync_cycles.empty()) {
    out << "none\n";
  } else {
    for (size_t i = 0; i < stats.sync_cycles.size(); ++i) {
      out << (i ? "               " : "") << join(stats.sync_cycles[i], " <-> ") << "\n";
    }
  }
  out << "  unreachable  " << (stats.unreachable.empty() ? "none" : join(stats.unreachable)) << "\n";

  // Services placed together share CPU: a coupling that the call graph does not show.
  std::map<std::string, std::vector<std::string>> by_host;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (graph[v].params.host) by_host[*graph[v].params.host].push_back(graph[v].name);
  }
  std::vector<std::string> shared;
  for (const auto& [host, names] : by_host) {
    if (names.size() > 1) shared.push_back(host + ": " + join(names));
  }
  if (!shared.empty()) out << "  shared hosts " << join(shared, "\n               ") << "\n";

  // Per-service parameters, with the built-in per-kind defaults filled in (marked '*').
  size_t width = 7;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) width = std::max(width, graph[v].name.size());
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  out << "\n  " << pad("service", width) << "  " << pad("kind", 9) << pad("replicas", 9) << pad("workers", 8)
      << pad("queue", 8) << pad("service time", 28) << "host\n";
  bool any_default = false;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    const ServiceNode& node = graph[v];
    const ServiceParams& own = node.params;
    const ServiceParams& fallback = builtin_defaults(node.kind);
    auto count = [&](const std::optional<int64_t>& mine, const std::optional<int64_t>& base) {
      if (mine) return std::to_string(*mine);
      any_default = true;
      return std::to_string(base.value_or(0)) + "*";
    };
    std::string time;
    if (own.service_time) {
      time = own.service_time->to_string();
    } else {
      any_default = true;
      time = fallback.service_time ? fallback.service_time->to_string() + "*" : "-";
    }
    out << "  " << pad(node.name, width) << "  " << pad(std::string(to_string(node.kind)), 9)
        << pad(count(own.replicas, fallback.replicas), 9) << pad(count(own.workers, fallback.workers), 8)
        << pad(count(own.queue_capacity, fallback.queue_capacity), 8) << pad(time, 28) << own.host.value_or("-")
        << "\n";
  }
  if (any_default) out << "  (* built-in default of the service's kind)\n";

  // Calls in the order they are made, parallel groups braced as in topologies/SOURCES.md.
  out << "\n  calls in order ({...} = issued in parallel):\n";
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (boost::out_degree(v, graph) == 0) continue;
    std::vector<std::string> items;
    std::map<std::string, std::pair<size_t, std::vector<std::string>>> groups;  // label -> slot, members
    for (auto e : boost::make_iterator_range(boost::out_edges(v, graph))) {
      const CallEdge& call = graph[e];
      std::string text = graph[boost::target(e, graph)].name;
      std::vector<std::string> notes;
      if (call.mode == CallMode::Async) notes.emplace_back("async");
      if (call.probability < 1) {
        std::ostringstream p;
        p << "p=" << call.probability;
        notes.push_back(p.str());
      }
      if (call.calls > 1) notes.push_back("x" + std::to_string(call.calls));
      if (!call.critical) notes.emplace_back("soft");
      if (!call.active) notes.emplace_back("dead");
      if (!notes.empty()) text += " (" + join(notes) + ")";
      if (call.group.empty()) {
        items.push_back(text);
        continue;
      }
      auto [it, fresh] = groups.try_emplace(call.group, items.size(), std::vector<std::string>{});
      if (fresh) items.emplace_back();  // the group's place: where its first call is
      it->second.second.push_back(text);
    }
    for (const auto& [label, group] : groups) items[group.first] = "{" + join(group.second, "; ") + "}";
    out << "    " << graph[v].name << ": " << join(items, ", ") << "\n";
  }
  return out.str();
}

}  // namespace rapture
