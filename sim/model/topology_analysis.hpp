#pragma once
/// The call graph of a topology as requests follow it, and its cycles of synchronous calls: the
/// model rejects a design whose synchronous calls could recurse without bound, and the
/// structural metrics (analysis/topology_stats.hpp, analysis/structural_complexity.hpp) build on
/// the same graph.

#include <cstddef>
#include <string>
#include <vector>

#include <boost/graph/filtered_graph.hpp>

#include "model/topology.hpp"

namespace rapture {

/// Keeps the calls a request can follow: active ones, and only synchronous ones if asked
/// (in-process calls block their caller too).
struct CallFilter {
  const TopologyGraph* graph = nullptr;  ///< default-constructible, as filtered_graph requires
  bool sync_only = false;
  bool operator()(const CallEdgeDesc& e) const {
    const CallEdge& call = (*graph)[e];
    return call.active && (!sync_only || call.mode != CallMode::Async);
  }
};

/// A topology's graph seen through a CallFilter; its vertices are the topology's services.
using CallGraph = boost::filtered_graph<TopologyGraph, CallFilter>;

/// The calls of `topology` a request can follow (only the synchronous ones if `sync_only`).
CallGraph call_graph(const Topology& topology, bool sync_only);

/// The strongly connected components of a call graph.
struct CallComponents {
  std::vector<size_t> of;    ///< component of each service
  std::vector<bool> cyclic;  ///< by component: more than one service, or one service calling itself
  size_t count = 0;
};

/// The components of `graph`, numbered by boost::strong_components.
CallComponents call_components(const CallGraph& graph);

/// Cycles of active synchronous calls: each a strongly connected component of more than one
/// service, or a service calling itself; ordered by their first service, services in file order.
std::vector<std::vector<std::string>> sync_cycles(const Topology& topology);

}  // namespace rapture
