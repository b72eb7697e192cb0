#pragma once
/// Callee-side protection of the services: outlier ejection (callers balance away from a
/// failing replica), admission control at the entry, and queue-time shedding of each
/// replica's queue (CoDel, adaptive LIFO). The policies are the state machines of
/// model/policy/; this wires them to replicas and to the detector's timer.

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "model/flow/scheduler.hpp"
#include "model/policy/load_shedding.hpp"
#include "model/policy/outlier_detector.hpp"
#include "model/system.hpp"

namespace rapture {

class CalleeProtection {
 public:
  CalleeProtection(const System& system, Scheduler& clock);

  /// Whether `service`'s admission control lets in a visit with `in_flight` already there.
  bool admit(uint32_t service, uint32_t in_flight) {
    auto& a = services_[service].admission;
    return !a || a->admit(clock_.now(), in_flight);
  }
  /// Whether `service` ejects outliers (its callers' replies are recorded).
  [[nodiscard]] bool ejects(uint32_t service) const { return services_[service].outlier.has_value(); }
  /// Whether replica `local` of `service` is ejected now; `service` must eject outliers.
  [[nodiscard]] bool ejected(uint32_t service, uint32_t local) const {
    return services_[service].outlier->ejected(local, clock_.now());
  }
  /// Records a reply of (global) replica `replica` (a server error or not); its service must
  /// eject outliers.
  void record(uint32_t replica, bool server_error);

  /// A visit joins the queue of `replica` where `waiting` already wait.
  void on_enqueue(uint32_t replica, uint32_t waiting) {
    if (auto& l = queues_[replica].adaptive_lifo) l->on_enqueue(clock_.now(), waiting);
  }
  /// Whether a free worker of `replica` takes the newest of the `waiting` visits.
  bool serve_newest(uint32_t replica, uint32_t waiting) {
    auto& l = queues_[replica].adaptive_lifo;
    return l && l->use_lifo(clock_.now(), waiting);
  }
  /// Whether a visit leaving `replica`'s queue after `sojourn`, `remaining` behind it, is shed.
  bool shed(uint32_t replica, double sojourn, uint32_t remaining) {
    auto& q = queues_[replica];
    return q.adaptive_lifo ? q.adaptive_lifo->expired(clock_.now(), sojourn)
           : q.codel       ? q.codel->on_dequeue(clock_.now(), sojourn, remaining)
                           : false;
  }

 private:
  struct ServiceGuard {
    std::optional<OutlierDetector> outlier;
    std::optional<AdmissionControl> admission;
    uint32_t first_replica = 0;
    PolicyTimer outlier_timer;
  };
  struct QueueShedding {
    uint32_t service = 0;
    std::optional<CoDel> codel;
    std::optional<AdaptiveLifo> adaptive_lifo;
  };
  void on_outlier_timer(const Event& e);

  Scheduler& clock_;
  std::vector<ServiceGuard> services_;
  std::vector<QueueShedding> queues_;  ///< by global replica
  EventKind outlier_timer_;
};

}  // namespace rapture
