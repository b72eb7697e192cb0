#include "model/topology.hpp"

#include <array>
#include <stdexcept>

#include "common/text.hpp"

namespace rapture {

namespace {
template <typename Enum, size_t N>
Enum parse_enum(std::string_view name, const std::array<std::string_view, N>& names, const char* what) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Enum>(i);
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(name) + "' (expected " +
                              text::one_of({names.begin(), names.end()}) + ")");
}

constexpr std::array<std::string_view, 5> kKindNames{"frontend", "service", "cache", "db", "queue"};
constexpr std::array<std::string_view, 3> kModeNames{"sync", "async", "inprocess"};
constexpr std::array<std::string_view, 2> kDisciplineNames{"fifo", "lifo"};
constexpr std::array<std::string_view, 4> kBalancerNames{"round_robin", "random", "least_outstanding",
                                                         "least_connections"};
}  // namespace

std::string_view to_string(ServiceKind kind) { return kKindNames[static_cast<size_t>(kind)]; }
std::string_view to_string(CallMode mode) { return kModeNames[static_cast<size_t>(mode)]; }
std::string_view to_string(QueueDiscipline d) { return kDisciplineNames[static_cast<size_t>(d)]; }
std::string_view to_string(Balancer b) { return kBalancerNames[static_cast<size_t>(b)]; }
ServiceKind parse_service_kind(std::string_view t) { return parse_enum<ServiceKind>(t, kKindNames, "service kind"); }
CallMode parse_call_mode(std::string_view t) { return parse_enum<CallMode>(t, kModeNames, "call mode"); }
QueueDiscipline parse_queue_discipline(std::string_view t) {
  return parse_enum<QueueDiscipline>(t, kDisciplineNames, "queue discipline");
}
Balancer parse_balancer(std::string_view t) { return parse_enum<Balancer>(t, kBalancerNames, "load balancer"); }

void ServiceParams::overlay(const ServiceParams& over) {
  if (over.replicas) replicas = over.replicas;
  if (over.workers) workers = over.workers;
  if (over.queue_capacity) queue_capacity = over.queue_capacity;
  if (over.service_time) service_time = over.service_time;
  if (over.host) host = over.host;
  if (over.discipline) discipline = over.discipline;
  if (over.balancer) balancer = over.balancer;
  if (over.error_rate) error_rate = over.error_rate;
  if (over.load_cost) load_cost = over.load_cost;
  if (over.cache) cache = over.cache;
}

const ServiceParams& builtin_defaults(ServiceKind kind) {
  static const std::array<ServiceParams, kServiceKinds> table = [] {
    auto make = [](int64_t replicas, int64_t workers, int64_t queue, double mean) {
      ServiceParams p;
      p.replicas = replicas;
      p.workers = workers;
      p.queue_capacity = queue;
      p.service_time = Distribution::exponential(mean);
      p.discipline = QueueDiscipline::Fifo;
      p.balancer = Balancer::RoundRobin;
      return p;
    };
    return std::array<ServiceParams, kServiceKinds>{
        make(2, 64, 256, 1e-3),     // frontend: thin, many connections
        make(2, 16, 64, 5e-3),      // service: a typical RPC server pool
        make(1, 32, 128, 0.5e-3),   // cache: fast look-ups
        make(1, 32, 128, 3e-3),     // db: system of record
        make(1, 8, 10000, 0.2e-3),  // queue: a broker with a deep buffer
    };
  }();
  return table[static_cast<size_t>(kind)];
}

ServiceVertex Topology::add_service(ServiceNode node) {
  if (by_name_.count(node.name) != 0) throw std::invalid_argument("service '" + node.name + "' declared twice");
  const std::string key = node.name;
  const auto v = boost::add_vertex(std::move(node), graph);
  by_name_.emplace(key, v);
  return v;
}

CallEdgeDesc Topology::add_call(ServiceVertex from, ServiceVertex to, CallEdge edge) {
  return boost::add_edge(from, to, std::move(edge), graph).first;
}

std::optional<ServiceVertex> Topology::find(std::string_view service) const {
  auto it = by_name_.find(std::string(service));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace rapture
