#pragma once
/// The fault timeline: each fault switches on at its start and off at its end; the state of
/// its target is then recomputed from every fault active on it, so that faults compose and
/// overlap (latencies add, error rates combine, slowdowns multiply, shrinks take the smallest
/// size, a crash lasts while any crash of the replica is active). The request flow asks it
/// what the faults do to a visit, a message or a source now.

#include <cstdint>
#include <span>
#include <vector>

#include "model/distribution.hpp"
#include "model/flow/resource_backend.hpp"
#include "model/flow/run_meter.hpp"
#include "model/flow/scheduler.hpp"
#include "model/random_stream.hpp"
#include "model/system.hpp"

namespace rapture {

class RequestFlow;

class FaultTimeline {
 public:
  FaultTimeline(const System& system, Scheduler& clock, RunMeter& meter, ResourceBackend* backend, RequestFlow& flow);
  /// Schedules every fault's start and end within the run.
  void start();

  /// Multiplier of workload source `source`'s rate (load spikes).
  [[nodiscard]] double rate_factor(uint32_t source) const { return rate_factor_[source]; }
  /// The mix shift replacing `source`'s mix, or kNone.
  [[nodiscard]] uint32_t mix_shift(uint32_t source) const { return mix_fault_[source]; }
  /// Product of (1 - p) over the error faults active on `service`.
  [[nodiscard]] double error_keep(uint32_t service) const { return services_[service].error_keep; }
  /// Whether a fault swallows `service`'s replies.
  [[nodiscard]] bool swallowing(uint32_t service) const { return services_[service].swallowing > 0; }
  /// The latency faults active on `service`'s visits.
  [[nodiscard]] std::span<const Distribution* const> latencies(uint32_t service) const {
    return services_[service].latencies;
  }
  /// Network time from host `from` to `to` with the active network faults; sets `lost` when a
  /// partition drops the message. `caller`/`callee` select edge latency (kNone for replies).
  double transit(uint32_t from, uint32_t to, uint32_t caller, uint32_t callee, bool& lost);

 private:
  /// What the active faults do to a service's visits.
  struct ServiceFaults {
    double error_keep = 1;                       ///< product of (1 - p) over the active error faults
    uint32_t swallowing = 0;                     ///< active swallow faults: replies are never sent
    std::vector<const Distribution*> latencies;  ///< active latency faults
  };
  void on_start(const Event& e) { switch_fault(e.id, true); }
  void on_end(const Event& e) { switch_fault(e.id, false); }
  void switch_fault(uint32_t fault, bool starts);
  void refresh_service(uint32_t service);
  void refresh_host(uint32_t host);

  const System& system_;
  Scheduler& clock_;
  RunMeter& meter_;
  ResourceBackend* backend_;
  RequestFlow& flow_;
  std::vector<bool> active_;
  uint32_t network_faults_ = 0;      ///< active faults on edges and links
  std::vector<uint32_t> mix_fault_;  ///< by workload source: the active mix shift, or kNone
  std::vector<double> rate_factor_;  ///< by workload source: product of active load spikes
  std::vector<ServiceFaults> services_;
  RandomStream rng_;
  EventKind start_, end_;
};

}  // namespace rapture
