#include "analysis/structural_complexity.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/betweenness_centrality.hpp>

#include "analysis/topology_stats.hpp"

namespace rapture {

namespace {

/// Which deployable process each service runs in.
struct Processes {
  std::vector<size_t> of;    ///< process index of each service
  std::vector<bool> merged;  ///< the service names a process (it may share it with others)
  size_t count = 0;

  /// Both ends in one named process: a function call, not a network hop. An unmerged service
  /// calling itself (only a topology built in code can: the readers reject self-calls) still
  /// goes over the network, to any of its replicas.
  [[nodiscard]] bool in_process(ServiceVertex from, ServiceVertex to) const {
    return merged[from] && of[from] == of[to];
  }
};

/// Services sharing a non-empty `process` attribute share one process; every other service
/// gets its own, distinct even from a process named like it.
Processes processes_of(const TopologyGraph& graph) {
  Processes p;
  p.of.resize(boost::num_vertices(graph));
  p.merged.resize(boost::num_vertices(graph), false);
  std::map<std::string, size_t> by_name;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    const auto& attributes = graph[v].attributes;
    const auto it = attributes.find("process");
    if (it == attributes.end() || it->second.empty()) {
      p.of[v] = p.count++;
      continue;
    }
    const auto [named, fresh] = by_name.try_emplace(it->second, p.count);
    if (fresh) ++p.count;
    p.of[v] = named->second;
    p.merged[v] = true;
  }
  return p;
}

/// Normalised directed betweenness of each service over the active calls. The copy is a
/// simple graph (setS drops parallel edges, self-calls are skipped): Brandes counts paths
/// edge by edge, so a repeated call site would otherwise double the paths through it.
std::vector<double> betweenness(const TopologyGraph& graph) {
  using SimpleGraph = boost::adjacency_list<boost::setS, boost::vecS, boost::directedS>;
  const size_t n = boost::num_vertices(graph);
  SimpleGraph simple(n);
  for (auto e : boost::make_iterator_range(boost::edges(graph))) {
    const auto from = boost::source(e, graph);
    const auto to = boost::target(e, graph);
    if (graph[e].active && from != to) boost::add_edge(from, to, simple);
  }
  std::vector<double> centrality(n, 0.0);
  if (n < 3) return centrality;  // no service can lie between two others
  boost::brandes_betweenness_centrality(
      simple, boost::make_iterator_property_map(centrality.begin(), boost::get(boost::vertex_index, simple)));
  // Not boost::relative_betweenness_centrality: it divides by (n-1)(n-2)/2, the undirected
  // pair count, which would let a directed centrality reach 2.
  const double pairs = static_cast<double>(n - 1) * static_cast<double>(n - 2);
  for (double& c : centrality) c /= pairs;
  return centrality;
}

std::string plural(size_t count, const char* noun, const char* nouns) {
  return fmt::format("{} {}", count, count == 1 ? noun : nouns);
}

}  // namespace

StructuralComplexity structural_complexity(const Topology& topology, size_t hot_spot_count) {
  const TopologyGraph& graph = topology.graph;
  StructuralComplexity c;
  c.services = boost::num_vertices(graph);

  const Processes processes = processes_of(graph);
  c.processes = processes.count;
  for (auto e : boost::make_iterator_range(boost::edges(graph))) {
    const CallEdge& call = graph[e];
    if (!call.active || processes.in_process(boost::source(e, graph), boost::target(e, graph))) continue;
    ++c.calls;
    // Neither when the mode is another one (an in-process mode on a call that the `process`
    // attributes say crosses processes): counted as a call, not guessed into sync or async.
    if (call.mode == CallMode::Sync) {
      ++c.sync_calls;
    } else if (call.mode == CallMode::Async) {
      ++c.async_calls;
    }
  }

  const TopologyStats stats = analyze_topology(topology);
  c.depth = stats.depth;
  c.depth_exact = stats.depth_exact;
  c.max_fan_out = stats.max_fan_out;
  c.max_fan_out_service = stats.max_fan_out_service;

  const std::vector<double> centrality = betweenness(graph);
  std::vector<ServiceVertex> ranked;
  for (auto v : boost::make_iterator_range(boost::vertices(graph))) {
    if (centrality[v] > 0) ranked.push_back(v);
  }
  // Ties keep file order, so the table is the same from run to run.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](ServiceVertex a, ServiceVertex b) { return centrality[a] > centrality[b]; });
  if (!ranked.empty()) c.max_betweenness = centrality[ranked.front()];
  ranked.resize(std::min(ranked.size(), hot_spot_count));
  for (auto v : ranked) c.hot_spots.emplace_back(graph[v].name, centrality[v]);
  return c;
}

std::string format_structural_complexity(const StructuralComplexity& c) {
  std::string out =
      fmt::format("{} in {}, {} ({} sync), depth {}{}, fan-out {}", plural(c.services, "service", "services"),
                  plural(c.processes, "process", "processes"), plural(c.calls, "call", "calls"), c.sync_calls,
                  c.depth_exact ? "" : "<= ", c.depth, c.max_fan_out);
  if (c.max_fan_out > 0) out += fmt::format(" ({})", c.max_fan_out_service);
  out += ", hot spots: ";
  if (c.hot_spots.empty()) out += "none";
  // Two significant digits: in real directed call graphs few pairs are connected, so scores are small.
  for (size_t i = 0; i < c.hot_spots.size(); ++i) {
    out += fmt::format("{}{} {:.2g}", i ? ", " : "", c.hot_spots[i].first, c.hot_spots[i].second);
  }
  return out;
}

}  // namespace rapture
