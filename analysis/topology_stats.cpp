#include "analysis/topology_stats.hpp"

#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <boost/pending/queue.hpp>
#include <boost/property_map/property_map.hpp>
#include <iterator>
#include <set>

#include "model/topology_analysis.hpp"

namespace rapture {

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
  const CallComponents components = call_components(active);
  const size_t count = components.count;
  const auto& component = components.of;
  const auto& cyclic = components.cyclic;
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

}  // namespace rapture
