#include "model/policy/outlier_detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kDefaultMaxEjectionTime = 300;  // Envoy's DEFAULT_MAX_EJECTION_TIME_MS

void require(bool ok, const char* field, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("outlier detection: ") + field + " " + what);
}
}  // namespace

OutlierConfig OutlierConfig::envoy() { return OutlierConfig{}; }

double OutlierConfig::effective_max_ejection_time() const {
  // Envoy: "If max_ejection_time was not specified, apply the default or base_ejection_time
  // whatever is larger", so a long base time alone is not an error.
  return max_ejection_time > 0 ? max_ejection_time : std::max(kDefaultMaxEjectionTime, base_ejection_time);
}

void OutlierConfig::validate() const {
  require(consecutive_5xx >= 1, "consecutive_5xx", "must be >= 1");
  require(interval > 0 && std::isfinite(interval), "interval", "must be finite and > 0");
  require(base_ejection_time > 0 && std::isfinite(base_ejection_time), "base_ejection_time", "must be finite and > 0");
  require(max_ejection_percent >= 0 && max_ejection_percent <= 100, "max_ejection_percent",
          "must be a percentage in [0, 100]");
  require(max_ejection_time >= 0 && std::isfinite(max_ejection_time), "max_ejection_time",
          "must be finite and >= 0 (0: Envoy's default)");
  // Envoy rejects the cluster: "max_ejection_time cannot be smaller than base_ejection_time".
  require(max_ejection_time == 0 || max_ejection_time >= base_ejection_time, "max_ejection_time",
          "must not be smaller than base_ejection_time");
}

OutlierDetector::OutlierDetector(OutlierConfig config, uint32_t replicas, double start)
    : config_(config), max_time_(0), start_(start), hosts_(replicas), next_uneject_(kInf) {
  config_.validate();
  max_time_ = config_.effective_max_ejection_time();
}

int64_t OutlierDetector::last_tick(double t) const {
  if (t < start_) return 0;
  auto k = static_cast<int64_t>(std::floor((t - start_) / config_.interval));
  // The division may round across a tick; settle on the times the ticks are compared with.
  while (tick_time(k + 1) <= t) ++k;
  while (k > 0 && tick_time(k) > t) --k;
  return k;
}

bool OutlierDetector::ejected(uint32_t replica, double now) const {
  const Host& h = hosts_.at(replica);
  return h.ejected && now < h.uneject_at;
}

uint32_t OutlierDetector::ejected_count(double now) const {
  uint32_t n = 0;
  for (const Host& h : hosts_) n += h.ejected && now < h.uneject_at;
  return n;
}

double OutlierDetector::next_timer() const { return next_uneject_; }

void OutlierDetector::on_timer(double now) { refresh(now); }

void OutlierDetector::refresh(double now) {
  if (now < next_uneject_) return;
  next_uneject_ = kInf;
  for (Host& h : hosts_) {
    if (!h.ejected) continue;
    if (h.uneject_at <= now) {
      // Envoy's unejectHost: back in the set, with the consecutive counters reset so that a
      // few errors right after return do not eject it again.
      h.ejected = false;
      h.consecutive = 0;
      --active_;
    } else {
      next_uneject_ = std::min(next_uneject_, h.uneject_at);
    }
  }
}

bool OutlierDetector::on_result(uint32_t replica, bool server_error, double now) {
  refresh(now);
  Host& h = hosts_.at(replica);
  if (!server_error) {
    h.consecutive = 0;
    return false;
  }
  // An ejected replica is not ejected again (Envoy returns early); its counter is reset when it returns.
  if (h.ejected) return false;
  if (++h.consecutive < config_.consecutive_5xx) return false;
  // Envoy resets the counter after the attempt whether or not the ejection was allowed, so a
  // refused replica needs another full run of errors.
  h.consecutive = 0;

  // ejectHost: allowed while (ejected + 1) / replicas <= max_ejection_percent; multiplied out
  // so that 1 of 10 at 10 % is exactly at the limit.
  const double n = static_cast<double>(hosts_.size());
  const bool allowed = 100.0 * static_cast<double>(active_ + 1) <= config_.max_ejection_percent * n ||
                       (config_.always_eject_one_host && active_ == 0);
  if (!allowed) return false;

  // The multiplier decays by one at each tick the replica spent healthy, from the tick after
  // its last return (onIntervalTimer: now - lastUnejectionTime >= interval).
  if (h.uneject_tick >= 0) {
    const int64_t healthy_ticks = last_tick(now) - h.uneject_tick;
    if (healthy_ticks > 0) h.backoff = std::max<int64_t>(0, h.backoff - healthy_ticks);
  }
  // Envoy grows the multiplier while base x multiplier < max + base, so one extra step
  // beyond the cap must decay before the ejection time drops below the cap.
  if (static_cast<double>(h.backoff) * config_.base_ejection_time < max_time_ + config_.base_ejection_time) ++h.backoff;
  const double duration = std::min(config_.base_ejection_time * static_cast<double>(h.backoff), max_time_);

  // checkHostForUneject runs at the ticks: the first tick at least `duration` after now.
  auto k = static_cast<int64_t>(std::ceil((now + duration - start_) / config_.interval));
  k = std::max<int64_t>(k, 1);
  while (tick_time(k) - now < duration) ++k;
  while (k > 1 && tick_time(k - 1) - now >= duration) --k;

  h.ejected = true;
  h.uneject_tick = k;
  h.uneject_at = tick_time(k);
  ++h.times;
  ++active_;
  next_uneject_ = std::min(next_uneject_, h.uneject_at);
  return true;
}

}  // namespace rapture
