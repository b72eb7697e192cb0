#pragma once
/// The structural facts the cascade analysis reasons with, read once from a resolved System:
/// who calls whom synchronously, which services each request type visits, which services
/// share a host, and what triggered the run's trouble: each fault and each change of a
/// workload's offered load (its rate profile), with the services each one touches directly.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/system.hpp"

namespace rapture {

/// Something that changes the system from outside: a fault, or a change of offered load.
struct Trigger {
  std::string name;          ///< the fault's name, or the load change's ("profile spike 60-70 s")
  double start = 0;          ///< seconds
  double end = INFINITY;     ///< seconds; INFINITY: lasts to the end of the run
  bool load_change = false;  ///< a workload's rate profile, not a fault: paths read "load '...'"
};

struct SystemGraph {
  std::vector<std::vector<uint32_t>> sync_callees;  ///< by service: services it calls synchronously (any request type)
  std::vector<std::vector<uint32_t>> callers;       ///< by service: services that call it (sync or async)
  std::vector<std::vector<uint8_t>> reaches;        ///< [request type][service]: the type visits the service
  std::vector<std::vector<uint32_t>> hosts;         ///< by service: hosts of its replicas (each once)
  std::vector<std::vector<uint32_t>> on_host;       ///< by host: services with a replica on it
  std::vector<std::vector<uint32_t>> edges_into;    ///< by service: policy edges (System::edge_policies) calling it
  /// The faults (System::faults, same indices), then each span where a Poisson workload's rate
  /// differs from its base rate (spikes, steps, ramps) and each burst (an instant: end == start).
  std::vector<Trigger> triggers;
  std::vector<int32_t> touched_by;  ///< by service: first trigger touching it directly; -1 none

  /// Whether any trigger is a change of offered load.
  [[nodiscard]] bool has_load_change() const;

  [[nodiscard]] bool touched(uint32_t s) const { return touched_by[s] >= 0; }
  [[nodiscard]] bool calls(uint32_t caller, uint32_t callee) const;
};

SystemGraph build_system_graph(const System& system);

}  // namespace rapture
