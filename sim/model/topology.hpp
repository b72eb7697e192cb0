#pragma once
/// The service topology: a Boost.Graph directed graph whose vertices are services and whose
/// edges are calls (caller -> callee). Read from Graphviz DOT or GraphML by io/topology_reader.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/graph/adjacency_list.hpp>

#include "model/cache/cache_spec.hpp"
#include "model/distribution.hpp"
#include "model/load_cost.hpp"

namespace rapture {

/// The role of a service (SOURCES.md conventions); it selects the per-kind defaults.
enum class ServiceKind : uint8_t { Frontend, Service, Cache, Db, Queue };
inline constexpr int kServiceKinds = 5;

/// Whether the caller blocks on the call (sync), sends and continues (async, via a queue), or
/// calls a function of the same process (in-process: merged services; the caller's worker
/// runs the callee's code on the caller's replica, with no network hop and no queue).
enum class CallMode : uint8_t { Sync, Async, InProcess };

/// Order in which a replica serves its waiting requests.
enum class QueueDiscipline : uint8_t { Fifo, Lifo };

/// How a caller picks one of the callee's replicas.
enum class Balancer : uint8_t { RoundRobin, Random, LeastOutstanding, LeastConnections };

/// "frontend", "service", ...; and back. `parse_*` throw std::invalid_argument on unknown names.
std::string_view to_string(ServiceKind kind);
std::string_view to_string(CallMode mode);
std::string_view to_string(QueueDiscipline discipline);
std::string_view to_string(Balancer balancer);
ServiceKind parse_service_kind(std::string_view text);
CallMode parse_call_mode(std::string_view text);
QueueDiscipline parse_queue_discipline(std::string_view text);
Balancer parse_balancer(std::string_view text);

/// Simulation parameters of a service. Every field is optional: unset fields fall back, in
/// order, to the scenario's per-service override, the topology attribute, the scenario's
/// per-kind default and the built-in per-kind default (`builtin_defaults`).
struct ServiceParams {
  std::optional<int64_t> replicas;           ///< replicas behind the load balancer
  std::optional<int64_t> workers;            ///< worker threads per replica
  std::optional<int64_t> queue_capacity;     ///< waiting requests per replica (0: reject when all busy)
  std::optional<Distribution> service_time;  ///< CPU demand per request on a reference-speed core
  std::optional<std::string> host;           ///< host or placement group the replicas run on
  std::optional<QueueDiscipline> discipline;
  std::optional<Balancer> balancer;
  std::optional<double> error_rate;   ///< share of visits that fail after computing (a faulty dependency)
  std::optional<LoadCost> load_cost;  ///< demand multiplied by a function of the replica's load (Shape::None: off)
  std::optional<CacheSpec> cache;     ///< a stateful look-aside cache (scenario `services:` only)

  /// Fields set in `over` replace those here.
  void overlay(const ServiceParams& over);
};

/// Built-in defaults of each kind (all fields set except `host`).
const ServiceParams& builtin_defaults(ServiceKind kind);

/// A vertex: one service.
struct ServiceNode {
  std::string name;
  ServiceKind kind = ServiceKind::Service;
  ServiceParams params;                           ///< from the topology file's attributes
  std::map<std::string, std::string> attributes;  ///< every attribute as written (unknown ones kept)
  int line = 0;                                   ///< line in the topology file where it is declared
};

/// An edge: calls from the source service to the target service.
struct CallEdge {
  CallMode mode = CallMode::Sync;
  double probability = 1.0;   ///< chance that a visit of the caller makes this call
  int64_t calls = 1;          ///< how many times the call is made when it is made
  std::string group;          ///< calls of one caller sharing a non-empty group are issued in parallel
  bool active = true;         ///< false: dead call site (`active="false"`), never taken
  bool critical = true;       ///< false: the caller tolerates this call failing
  double request_bytes = 0;   ///< payload caller -> callee (used when the platform has bandwidth)
  double response_bytes = 0;  ///< payload callee -> caller
  std::map<std::string, std::string> attributes;
  int line = 0;
};

using TopologyGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, ServiceNode, CallEdge>;
using ServiceVertex = TopologyGraph::vertex_descriptor;
using CallEdgeDesc = TopologyGraph::edge_descriptor;

/// A topology read from a file. Out-edges of a service keep the order of the file, which is
/// the order of sequential calls.
class Topology {
 public:
  std::string name;  ///< graph name in the file, or the file's stem
  std::string file;  ///< path it was read from
  TopologyGraph graph;

  /// Adds a service; the name must be new.
  ServiceVertex add_service(ServiceNode node);
  /// Adds a call edge between two existing services.
  CallEdgeDesc add_call(ServiceVertex from, ServiceVertex to, CallEdge edge);
  /// The service of that name, if any.
  [[nodiscard]] std::optional<ServiceVertex> find(std::string_view service) const;
  [[nodiscard]] size_t service_count() const { return boost::num_vertices(graph); }
  [[nodiscard]] size_t call_count() const { return boost::num_edges(graph); }

 private:
  std::unordered_map<std::string, ServiceVertex> by_name_;
};

}  // namespace rapture
