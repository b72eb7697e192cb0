#include "model/policy/load_shedding.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {
void require(bool ok, const char* who, const char* field, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string(who) + ": " + field + " " + what);
}
bool positive(double v) { return v > 0 && std::isfinite(v); }       // false for NaN too
bool non_negative(double v) { return v >= 0 && std::isfinite(v); }  // false for NaN too
}  // namespace

// ---- CoDel ----

void CoDelConfig::validate() const {
  require(positive(target), "codel", "target", "must be a finite duration > 0");
  require(positive(interval), "codel", "interval", "must be a finite duration > 0");
  require(target <= interval, "codel", "target", "must not exceed interval (RFC 8289: target is 5-10 % of interval)");
}

CoDel::CoDel(CoDelConfig config) : config_(config) { config_.validate(); }

double CoDel::control_law(double t, uint32_t count) const {
  return t + config_.interval / std::sqrt(static_cast<double>(count));
}

bool CoDel::ok_to_drop(double now, double sojourn, uint32_t remaining) {
  if (sojourn < config_.target || remaining == 0) {
    above_ = false;
    return false;
  }
  if (!above_) {
    above_ = true;
    first_above_time_ = now + config_.interval;
    return false;
  }
  return now >= first_above_time_;
}

bool CoDel::on_dequeue(double now, double sojourn, uint32_t remaining) {
  const bool ok = ok_to_drop(now, sojourn, remaining);
  if (dropping_) {
    if (!ok) {
      dropping_ = false;
      return false;
    }
    if (now < drop_next_) return false;
    // RFC 8289 drops in a loop while now >= drop_next; the caller's next on_dequeue at the same
    // `now` is the loop's next turn. The RFC advances drop_next only when the next packet is
    // also ok to drop; advancing it here differs only in the 16-interval re-entry test below.
    ++count_;
    drop_next_ = control_law(drop_next_, count_);
    return true;
  }
  if (!ok) return false;
  dropping_ = true;
  // Re-entering soon after leaving: resume near the drop rate that last controlled the queue.
  const uint32_t delta = count_ - lastcount_;
  count_ = 1;
  if (delta > 1 && now - drop_next_ < 16 * config_.interval) count_ = delta;
  drop_next_ = control_law(now, count_);
  lastcount_ = count_;
  return true;
}

// ---- Adaptive LIFO ----

void AdaptiveLifoConfig::validate() const {
  require(positive(interval), "adaptive lifo", "interval", "must be a finite duration > 0");
  require(positive(overload_timeout), "adaptive lifo", "overload_timeout", "must be a finite duration > 0");
  require(non_negative(normal_timeout), "adaptive lifo", "normal_timeout", "must be a finite duration >= 0 (0: none)");
  require(normal_timeout == 0 || overload_timeout <= normal_timeout, "adaptive lifo", "overload_timeout",
          "must not exceed normal_timeout (overload shortens the wait)");
}

AdaptiveLifo::AdaptiveLifo(AdaptiveLifoConfig config, double start) : config_(config), last_empty_(start) {
  config_.validate();
}

void AdaptiveLifo::on_enqueue(double now, uint32_t waiting) {
  if (waiting == 0) last_empty_ = now;
}

bool AdaptiveLifo::use_lifo(double now, uint32_t waiting) {
  if (waiting == 0) {
    last_empty_ = now;
    return false;
  }
  return overloaded(now) || (config_.lifo_threshold > 0 && waiting >= config_.lifo_threshold);
}

double AdaptiveLifo::queue_timeout(double now) const {
  return overloaded(now) ? config_.overload_timeout : config_.normal_timeout;
}

bool AdaptiveLifo::expired(double now, double sojourn) const {
  // The queue has held this request since it joined, so it has not been empty since and
  // last_empty_ is what it was then: the timeout fixed at enqueue is recomputed exactly.
  const double timeout = queue_timeout(now - sojourn);
  return timeout > 0 && sojourn > timeout;
}

// ---- Admission control ----

void AdmissionConfig::validate() const {
  require(non_negative(rate), "admission", "rate", "must be finite and >= 0 (0: unlimited)");
  require(non_negative(burst), "admission", "burst", "must be finite and >= 0 (0: one second's worth)");
  require(burst == 0 || burst >= 1, "admission", "burst", "must be at least one request (or 0)");
}

AdmissionControl::AdmissionControl(AdmissionConfig config, double start) : config_(config), last_(start) {
  config_.validate();
  capacity_ = config_.burst > 0 ? config_.burst : std::max(1.0, config_.rate);
  tokens_ = capacity_;
}

bool AdmissionControl::admit(double now, uint32_t in_flight) {
  if (config_.max_concurrent > 0 && in_flight >= config_.max_concurrent) return false;
  if (config_.rate <= 0) return true;
  if (now > last_) {
    tokens_ = std::min(capacity_, tokens_ + (now - last_) * config_.rate);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

// ---- Bulkhead ----

BulkheadConfig BulkheadConfig::preset(std::string_view name) {
  BulkheadConfig c;
  if (name == "resilience4j") return c;
  if (name == "hystrix") {
    c.max_concurrent = 10;
    return c;
  }
  throw std::invalid_argument("unknown bulkhead preset '" + std::string(name) + "' (expected resilience4j or hystrix)");
}

void BulkheadConfig::validate() const { require(max_concurrent >= 1, "bulkhead", "max_concurrent", "must be >= 1"); }

Bulkhead::Bulkhead(BulkheadConfig config) : config_(config) { config_.validate(); }

bool Bulkhead::try_enter() {
  if (in_use_ >= config_.max_concurrent) return false;
  ++in_use_;
  return true;
}

void Bulkhead::leave() {
  if (in_use_ > 0) --in_use_;
}

}  // namespace rapture
