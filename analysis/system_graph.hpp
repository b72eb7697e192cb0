#pragma once
/// The structural facts the cascade analysis reasons with, read once from a resolved System:
/// who calls whom synchronously, which services each request type visits, which services
/// share a host, and which services each fault targets directly.

#include <cstdint>
#include <string>
#include <vector>

#include "model/system.hpp"

namespace rapture {

struct SystemGraph {
  std::vector<std::vector<uint32_t>> sync_callees;  ///< by service: services it calls synchronously (any request type)
  std::vector<std::vector<uint32_t>> callers;       ///< by service: services that call it (sync or async)
  std::vector<std::vector<uint8_t>> reaches;        ///< [request type][service]: the type visits the service
  std::vector<std::vector<uint32_t>> hosts;         ///< by service: hosts of its replicas (each once)
  std::vector<std::vector<uint32_t>> on_host;       ///< by host: services with a replica on it
  std::vector<std::vector<uint32_t>> edges_into;    ///< by service: policy edges (System::edge_policies) calling it
  std::vector<int32_t> touched_by;                  ///< by service: first fault (System::faults) targeting it; -1 none

  [[nodiscard]] bool touched(uint32_t s) const { return touched_by[s] >= 0; }
  [[nodiscard]] bool calls(uint32_t caller, uint32_t callee) const;
};

SystemGraph build_system_graph(const System& system);

}  // namespace rapture
