#pragma once
/// Envoy's outlier detection (consecutive 5xx) over the replicas of one service, as a plain
/// state machine driven by the simulated clock, so that an architect's Envoy or Istio settings
/// behave as in their mesh: ejection inline on the N-th consecutive server error, bounded by
/// max_ejection_percent; ejection time = base_ejection_time x the replica's ejection multiplier
/// (grows with each ejection, decays while healthy), capped by max_ejection_time; un-ejection
/// only at the detector's interval ticks (start + k x interval). Nothing allocates after construction.

#include <cstdint>
#include <vector>

namespace rapture {

struct OutlierConfig {
  int64_t consecutive_5xx = 5;         ///< consecutive server errors that eject a replica
  double interval = 10;                ///< seconds between the detector's sweeps, where ejections end
  double base_ejection_time = 30;      ///< seconds; multiplied by the replica's ejection multiplier
  double max_ejection_percent = 10;    ///< percent of the replicas that may be ejected at once
  double max_ejection_time = 0;        ///< seconds; 0: Envoy's default, max(300 s, base_ejection_time)
  bool always_eject_one_host = false;  ///< eject one replica when max_ejection_percent allows none

  /// Envoy's defaults.
  static OutlierConfig envoy();
  /// Throws std::invalid_argument naming the field for contradictory or out-of-range settings.
  void validate() const;
  /// The cap on one ejection, with Envoy's default applied.
  [[nodiscard]] double effective_max_ejection_time() const;
};

class OutlierDetector {
 public:
  /// Validates `config` (std::invalid_argument); the interval timer is armed at `start`.
  OutlierDetector(OutlierConfig config, uint32_t replicas, double start = 0);

  /// Whether `replica` is out of the load-balancing set at `now` (not before the last result recorded).
  [[nodiscard]] bool ejected(uint32_t replica, double now) const;
  /// Records a result of `replica` (server_error: a 5xx, a reset or a timeout); returns true when
  /// this result ejected the replica.
  bool on_result(uint32_t replica, bool server_error, double now);
  /// The next interval tick at which an ejected replica returns; +inf if none is ejected. The
  /// engine schedules a timer and calls `on_timer(now)` then.
  [[nodiscard]] double next_timer() const;
  /// Ends the ejections due by `now` and resets those replicas' error counters; ejected() tells
  /// which returned.
  void on_timer(double now);
  /// Replicas ejected at `now`.
  [[nodiscard]] uint32_t ejected_count(double now) const;
  /// Times `replica` has been ejected since the start (Envoy's num_ejections).
  [[nodiscard]] uint32_t times_ejected(uint32_t replica) const { return hosts_.at(replica).times; }
  /// The number of replicas.
  [[nodiscard]] uint32_t replicas() const { return static_cast<uint32_t>(hosts_.size()); }

 private:
  struct Host {
    int64_t consecutive = 0;    // consecutive server errors since the last success or reset
    int64_t backoff = 0;        // Envoy's ejectTimeBackoff: the ejection-time multiplier
    int64_t uneject_tick = -1;  // the tick of the last (or, while ejected, the coming) un-ejection; -1: never ejected
    double uneject_at = 0;      // while ejected: the time of that tick
    uint32_t times = 0;
    bool ejected = false;
  };
  [[nodiscard]] double tick_time(int64_t k) const { return start_ + static_cast<double>(k) * config_.interval; }
  /// The last tick at or before `t` (0 before the first tick).
  [[nodiscard]] int64_t last_tick(double t) const;
  /// Applies the un-ejections of the ticks at or before `now`.
  void refresh(double now);

  OutlierConfig config_;
  double max_time_;
  double start_;
  std::vector<Host> hosts_;
  uint32_t active_ = 0;  // ejected replicas (as of the last refresh)
  double next_uneject_;  // the earliest uneject_at among them; +inf if none
};

}  // namespace rapture
