#pragma once
/// The structural facts of a topology that `rapture topology FILE` reports: services and calls
/// by kind, entries, fan-out, call depth, synchronous cycles and unreachable services.

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "model/topology.hpp"

namespace rapture {

/// Structural facts about a topology. "Active" calls are those not marked `active="false"`.
struct TopologyStats {
  size_t services = 0;
  std::array<size_t, kServiceKinds> services_per_kind{};  ///< indexed by ServiceKind
  size_t calls = 0;                                       ///< all edges
  size_t sync_calls = 0;                                  ///< active synchronous edges (in-process calls block too)
  size_t async_calls = 0;                                 ///< active asynchronous edges
  size_t inactive_calls = 0;                              ///< dead call sites; calls == sync + async + inactive

  /// Frontend-kind services; when there is none, services no active call reaches.
  std::vector<std::string> entries;

  std::string max_fan_out_service;  ///< first service (file order) with the largest fan-out
  size_t max_fan_out = 0;           ///< distinct callees over active calls

  /// Services on the longest call path from an entry over active calls (an entry alone is 1).
  /// Exact when the active call graph is acyclic; otherwise each cycle (strongly connected
  /// component) counts with all its services, an upper bound on any simple path.
  size_t depth = 0;
  bool depth_exact = true;  ///< false when `depth` is the upper bound of a cyclic graph

  /// Cycles of active synchronous calls: each a strongly connected component of more than one
  /// service, or a service calling itself; services in file order.
  std::vector<std::vector<std::string>> sync_cycles;

  /// Services that no entry reaches over active calls, in file order.
  std::vector<std::string> unreachable;
};

/// Computes the structural facts of a topology.
TopologyStats analyze_topology(const Topology& topology);

/// Computes the structural facts of a topology.
TopologyStats analyze_topology(const Topology& topology);

}  // namespace rapture
