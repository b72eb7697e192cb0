#pragma once
/// The model's results: every per-bin accumulator and every run total. The request flow and
/// the policies report what happens (a visit arrives, waits, completes, fails; a request
/// ends; a breaker opens); the meter turns it into the bins streamed to the BinSink and the
/// totals of the run. It also integrates the services' occupancy over time, so it holds the
/// counts of waiting and busy visits that the integrals are of.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "model/flow/scheduler.hpp"
#include "model/log_histogram.hpp"
#include "model/run_result.hpp"
#include "model/system.hpp"

namespace rapture {

class RunMeter {
 public:
  RunMeter(const System& system, BinSink& sink, Scheduler& clock);
  /// Starts measuring now, or schedules the end of the warm-up.
  void start();

  /// Brings the time integrals of `service`'s occupancy up to now.
  void touch(uint32_t service);
  /// A visit joins a queue of `service`.
  void enqueued(uint32_t service);
  /// `n` visits leave the queues of `service`.
  void dequeued(uint32_t service, uint32_t n = 1);
  /// A visit takes a worker of `service`.
  void started(uint32_t service);
  /// `n` visits give back their workers of `service`.
  void released(uint32_t service, uint32_t n = 1);
  /// Visits waiting at `service` (all replicas).
  [[nodiscard]] uint32_t queued(uint32_t service) const { return services_[service].queued; }
  /// Busy workers of `service` (all replicas).
  [[nodiscard]] uint32_t busy(uint32_t service) const { return services_[service].busy; }

  /// A visit of a request of `request_type` reaches `service`.
  void arrival(uint32_t service, uint16_t request_type);
  /// A visit of `service` fails.
  void error(uint32_t service, ErrorCause cause);
  /// A visit of `service` completes after `latency` seconds there.
  void completion(uint32_t service, double latency);
  /// CPU a visit of `service` spent for a caller that had given up.
  void wasted(uint32_t service, double cpu);
  /// A request of `type` is sent.
  void request_sent(uint32_t type);
  /// A request of `type` from `tenant` ends; `latency` counts for successes only.
  void request_end(uint32_t type, uint32_t tenant, bool failed, bool degraded, double latency);
  /// The current bin's row of edge `edge`, for the policies to count into.
  EdgeBinRow& edge(uint32_t edge) { return edges_[edge].row; }
  /// A circuit breaker changed state.
  void circuit_transition(const CircuitEvent& event);
  /// Stateful cache `cache` was asked for a key; `hit`: it was there, fresh.
  void cache_lookup(uint32_t cache, bool hit) {
    auto& row = caches_[cache].row;
    ++row.lookups;
    row.hits += hit;
  }
  /// A backend answer filled stateful cache `cache`.
  void cache_fill(uint32_t cache) { ++caches_[cache].row.fills; }

  /// Closes the bin ending at `end` and streams it; returns the end of the next bin.
  double close_bin(double end);
  /// When the current bin started.
  [[nodiscard]] double bin_start() const { return bin_start_; }
  /// The totals of a run ended at `end` with `in_flight` visits (by service) left.
  RunTotals totals(double end, std::span<const uint64_t> in_flight) const;

 private:
  /// A service's occupancy, its current bin and its whole run.
  struct ServiceMeter {
    uint32_t queued = 0, busy = 0;  ///< over all replicas
    double last_change = 0;
    ServiceBinRow row;
    double bin_queue_area = 0, bin_busy_area = 0;
    LogHistogram bin_latency;
    ServiceTotals totals;
    double queue_area = 0, busy_area = 0, queue_area_warm = 0, busy_area_warm = 0;  ///< warm: at the warm-up's end
    uint64_t arrivals_warm = 0;
    double latency_sum = 0;
    uint64_t latency_count = 0;
  };
  struct RequestMeter {
    RequestBinRow row;
    LogHistogram bin_latency, latency;
    uint64_t successes = 0, failures = 0, degraded = 0;
  };
  struct EdgeMeter {
    EdgeBinRow row;     ///< current bin
    EdgeBinRow totals;  ///< every closed bin added up
    uint64_t openings = 0;
  };
  struct CacheMeter {
    CacheBinRow row, totals;
  };
  void on_warmup_end(const Event& e);
  void close_edge_bins();

  const System& system_;
  BinSink& sink_;
  Scheduler& clock_;
  bool measuring_ = false;
  int64_t bin_index_ = 0;
  double bin_start_ = 0;
  std::vector<ServiceMeter> services_;
  std::vector<RequestMeter> requests_;
  std::vector<EdgeMeter> edges_;
  std::vector<CircuitEvent> circuit_events_;  ///< since the last bin end
  std::vector<uint64_t> visits_;              ///< [request type * services + service], after warm-up
  double wasted_cpu_ = 0;
  std::vector<uint32_t> tenant_requests_, tenant_failures_;  ///< by tenant, over the faults' span
  std::vector<ServiceBinRow> service_rows_;                  ///< the bin being written
  std::vector<RequestBinRow> request_rows_;
  std::vector<EdgeBinRow> edge_rows_;
  std::vector<CacheMeter> caches_;
  std::vector<CacheBinRow> cache_rows_;
  EventKind warmup_end_;
};

// Inline: these run at every visit.
inline void RunMeter::touch(uint32_t service) {
  auto& s = services_[service];
  const double dt = clock_.now() - s.last_change;
  if (dt > 0) {
    const double q = s.queued * dt, b = s.busy * dt;
    s.bin_queue_area += q;
    s.bin_busy_area += b;
    s.queue_area += q;
    s.busy_area += b;
    s.last_change = clock_.now();
  }
}

// Every change of a count first brings the integrals up to now; at a time already touched
// that is a no-op, so the sums are those of one touch per change.
inline void RunMeter::enqueued(uint32_t service) {
  touch(service);
  auto& s = services_[service];
  ++s.queued;
  s.row.queue_max = std::max(s.row.queue_max, s.queued);
}

inline void RunMeter::dequeued(uint32_t service, uint32_t n) {
  touch(service);
  services_[service].queued -= n;
}

inline void RunMeter::started(uint32_t service) {
  touch(service);
  ++services_[service].busy;
}

inline void RunMeter::released(uint32_t service, uint32_t n) {
  touch(service);
  services_[service].busy -= n;
}

inline void RunMeter::arrival(uint32_t service, uint16_t request_type) {
  auto& s = services_[service];
  ++s.row.arrivals;
  ++s.totals.arrivals;
  if (measuring_) ++visits_[static_cast<size_t>(request_type) * services_.size() + service];
}

inline void RunMeter::error(uint32_t service, ErrorCause cause) {
  auto& s = services_[service];
  ++s.row.errors[static_cast<size_t>(cause)];
  ++s.totals.errors[static_cast<size_t>(cause)];
}

inline void RunMeter::completion(uint32_t service, double latency) {
  auto& s = services_[service];
  ++s.row.completions;
  ++s.totals.completions;
  s.bin_latency.record(latency);
  if (measuring_) {
    s.latency_sum += latency;
    ++s.latency_count;
  }
}

}  // namespace rapture
