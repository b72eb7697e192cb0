#pragma once
/// Where contended CPU time and bandwidth are simulated (SimGrid, in engine/): the model
/// hands it the activities whose time depends on what else runs, and is resumed when they end.

#include <cstdint>

namespace rapture {

/// Where contended CPU time and bandwidth are simulated. The backend calls
/// `Simulation::resume(token)` when an activity it started completes.
class ResourceBackend {
 public:
  virtual ~ResourceBackend() = default;
  /// Starts executing `flops` on `host`.
  virtual void start_exec(uint32_t host, double flops, uint64_t token) = 0;
  /// Starts moving `bytes` from host `from` to host `to`.
  virtual void start_transfer(uint32_t from, uint32_t to, double bytes, uint64_t token) = 0;
  /// Runs `host` at its speed level `level` (HostConfig::speed_levels) from now on.
  virtual void set_speed_level(uint32_t host, uint32_t level) = 0;
  /// Sets the bandwidth of `host`'s link to `factor` times the platform's.
  virtual void set_link_factor(uint32_t host, double factor) = 0;
};

}  // namespace rapture
