#include "model/topology_analysis.hpp"

#include <boost/graph/strong_components.hpp>
#include <boost/property_map/property_map.hpp>
#include <cstdint>
#include <map>

namespace rapture {

CallGraph call_graph(const Topology& topology, bool sync_only) {
  return CallGraph(topology.graph, CallFilter{&topology.graph, sync_only});
}

CallComponents call_components(const CallGraph& g) {
  CallComponents c;
  c.of.resize(boost::num_vertices(g));
  c.count =
      boost::strong_components(g, boost::make_iterator_property_map(c.of.begin(), boost::get(boost::vertex_index, g)));
  std::vector<size_t> size(c.count, 0);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) ++size[c.of[v]];
  c.cyclic.assign(c.count, false);
  for (size_t k = 0; k < c.count; ++k) c.cyclic[k] = size[k] > 1;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    if (boost::source(e, g) == boost::target(e, g)) c.cyclic[c.of[boost::source(e, g)]] = true;
  }
  return c;
}

std::vector<std::vector<std::string>> sync_cycles(const Topology& topology) {
  const CallGraph g = call_graph(topology, true);
  const CallComponents components = call_components(g);
  // Ordered by their first service, services in file order.
  std::map<size_t, std::vector<std::string>> by_first;
  std::vector<size_t> first(components.count, SIZE_MAX);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const size_t c = components.of[v];
    if (!components.cyclic[c]) continue;
    if (first[c] == SIZE_MAX) first[c] = v;
    by_first[first[c]].push_back(topology.graph[v].name);
  }
  std::vector<std::vector<std::string>> cycles;
  for (auto& [v, names] : by_first) cycles.push_back(std::move(names));
  return cycles;
}

}  // namespace rapture
