#include "model/policy/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
// Windows are allocated up front; this bounds what a typo can allocate (resilience4j takes an int).
constexpr int64_t kMaxWindow = 1'000'000;

void require(bool ok, const char* field, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("circuit breaker: ") + field + " " + what);
}
bool percent(double v) { return v > 0 && v <= 100; }  // false for NaN too

/// Duration.toMillis(): whole milliseconds, truncated, of a duration first rounded to the
/// nanosecond (the scenario's "290ms" is 0.29 s, a little below it in binary).
double whole_millis(double seconds) { return std::floor(std::round(seconds * 1e9) / 1e6); }

/// Java's (long) of a non-negative double: truncated, saturating at Long.MAX_VALUE.
double java_long(double v) { return std::min(std::trunc(v), 9.223372036854775807e18); }

/// resilience4j's rate test (SnapshotImpl.getFailureRate / getSlowCallRate, then
/// CircuitBreakerMetrics.checkIfThresholdsExceeded): count * 100.0f / calls in float, compared
/// with the float threshold.
bool rate_reached(int64_t count, int64_t calls, double threshold) {
  const float rate = static_cast<float>(count) * 100.0F / static_cast<float>(calls);
  return rate >= static_cast<float>(threshold);
}
}  // namespace

CircuitBreakerConfig CircuitBreakerConfig::resilience4j() { return CircuitBreakerConfig{}; }

CircuitBreakerConfig CircuitBreakerConfig::hystrix() {
  // Hystrix trips when at least requestVolumeThreshold (20) requests fell in the rolling
  // window (10 one-second buckets) and the error percentage is >= 50; after the sleep window
  // (5 s) the next request is the single trial; latency counts only through timeouts (errors).
  CircuitBreakerConfig c;
  c.window = Window::TimeBased;
  c.window_size = 10;
  c.minimum_calls = 20;
  c.failure_rate_threshold = 50;
  c.slow_call_duration = kInf;
  c.slow_call_rate_threshold = 100;
  c.wait_in_open = 5;
  c.permitted_in_half_open = 1;
  return c;
}

void CircuitBreakerConfig::validate() const {
  require(window == Window::CountBased || window == Window::TimeBased, "window", "must be count_based or time_based");
  require(window_size >= 1 && window_size <= kMaxWindow, "window_size", "must be in [1, 1000000] (calls or seconds)");
  require(minimum_calls >= 1, "minimum_calls", "must be >= 1");
  require(percent(failure_rate_threshold), "failure_rate_threshold", "must be a percentage in (0, 100]");
  require(percent(slow_call_rate_threshold), "slow_call_rate_threshold", "must be a percentage in (0, 100]");
  require(slow_call_duration > 0, "slow_call_duration", "must be > 0 (infinite disables the slow-call rule)");
  // IntervalFunction.checkInterval refuses an interval below one millisecond.
  require(whole_millis(wait_in_open) >= 1 && std::isfinite(wait_in_open), "wait_in_open",
          "must be finite and at least 1 ms (resilience4j counts it in whole milliseconds)");
  require(wait_multiplier >= 1 && std::isfinite(wait_multiplier), "wait_multiplier", "must be finite and >= 1");
  require(max_wait_in_open >= 0 && std::isfinite(max_wait_in_open), "max_wait_in_open",
          "must be finite and >= 0 (0: no cap)");
  require(max_wait_in_open == 0 || whole_millis(max_wait_in_open) >= whole_millis(wait_in_open), "max_wait_in_open",
          "must not be below wait_in_open (it would shorten the first wait)");
  require(permitted_in_half_open >= 1 && permitted_in_half_open <= kMaxWindow, "permitted_in_half_open",
          "must be in [1, 1000000]");
  require(max_wait_in_half_open >= 0 && std::isfinite(max_wait_in_half_open), "max_wait_in_half_open",
          "must be finite and >= 0 (0: no limit)");
}

// ---- windows ----

void CircuitBreaker::CountWindow::reset() {
  std::fill(ring.begin(), ring.end(), uint8_t{0});
  head = filled = 0;
  totals = Totals{};
}

void CircuitBreaker::CountWindow::record(uint8_t outcome) {
  if (filled == ring.size()) {
    totals.add(ring[head], -1);  // the oldest outcome leaves the window
  } else {
    ++filled;
  }
  ring[head] = outcome;
  totals.add(outcome, +1);
  head = head + 1 == ring.size() ? 0 : head + 1;
}

void CircuitBreaker::TimeWindow::reset(double now) {
  std::fill(buckets.begin(), buckets.end(), Bucket{});
  head = 0;
  head_epoch = static_cast<int64_t>(std::floor(now));
  totals = Totals{};
}

void CircuitBreaker::TimeWindow::record(double now, uint8_t outcome) {
  // As SlidingTimeWindowMetrics: move the head to the current epoch second, evicting (and
  // subtracting) the buckets of the seconds that left the window, then add to the head.
  const int64_t epoch = static_cast<int64_t>(std::floor(now));
  if (epoch > head_epoch) {
    const int64_t n = static_cast<int64_t>(buckets.size());
    for (int64_t step = std::min(epoch - head_epoch, n); step > 0; --step) {
      head = head + 1 == buckets.size() ? 0 : head + 1;
      Bucket& b = buckets[head];
      totals.calls -= b.calls;
      totals.failed -= b.failed;
      totals.slow -= b.slow;
      b = Bucket{};
    }
    head_epoch = epoch;
  }
  Bucket& b = buckets[head];
  b.calls += 1;
  b.failed += outcome & kFailed;
  b.slow += (outcome & kSlow) != 0;
  totals.add(outcome, +1);
}

// ---- the state machine ----

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config) : config_(config) {
  config_.validate();
  if (config_.window == CircuitBreakerConfig::Window::CountBased) {
    closed_count_.ring.assign(static_cast<size_t>(config_.window_size), 0);
    // resilience4j caps the minimum at the size of a count window (it could never be reached).
    closed_count_.minimum = std::min(config_.minimum_calls, config_.window_size);
  } else {
    closed_time_.buckets.assign(static_cast<size_t>(config_.window_size), TimeWindow::Bucket{});
    closed_time_.minimum = config_.minimum_calls;  // not capped: a second may hold any number of calls
    closed_time_.reset(0);
  }
  // HALF_OPEN metrics are a count window of `permitted` calls, its minimum capped likewise:
  // the decision comes after min(minimum_calls, permitted) outcomes.
  half_open_.ring.assign(static_cast<size_t>(config_.permitted_in_half_open), 0);
  half_open_.minimum = std::min(config_.minimum_calls, config_.permitted_in_half_open);
  transitions_.reserve(16);
}

CircuitBreaker::View CircuitBreaker::metrics() const {
  if (metrics_ == Metrics::HalfOpen) {
    return {half_open_.totals.calls, half_open_.totals.failed, half_open_.totals.slow, half_open_.minimum};
  }
  if (config_.window == CircuitBreakerConfig::Window::CountBased) {
    return {closed_count_.totals.calls, closed_count_.totals.failed, closed_count_.totals.slow, closed_count_.minimum};
  }
  return {closed_time_.totals.calls, closed_time_.totals.failed, closed_time_.totals.slow, closed_time_.minimum};
}

double CircuitBreaker::failure_rate() const {
  const View v = metrics();
  if (v.calls == 0 || v.calls < v.minimum) return -1;
  return static_cast<float>(v.failed) * 100.0F / static_cast<float>(v.calls);  // float, as resilience4j
}

double CircuitBreaker::slow_call_rate() const {
  const View v = metrics();
  if (v.calls == 0 || v.calls < v.minimum) return -1;
  return static_cast<float>(v.slow) * 100.0F / static_cast<float>(v.calls);  // float, as resilience4j
}

double CircuitBreaker::open_wait() {
  // IntervalFunction.ofExponentialBackoff(wait, multiplier[, max]).apply(attempts): the first OPEN
  // period waits wait_in_open, each re-open from HALF_OPEN multiplies the previous interval and
  // truncates it to whole milliseconds ((long) (x * multiplier)), then caps it at max; a constant
  // wait (multiplier 1) is IntervalFunction.of(wait), the same whole milliseconds. Kept from one
  // OPEN to the next since attempts grows by one each time, where resilience4j iterates from 1.
  open_wait_ms_ =
      attempts_ == 1 ? whole_millis(config_.wait_in_open) : java_long(open_wait_ms_ * config_.wait_multiplier);
  double wait_ms = open_wait_ms_;
  if (config_.max_wait_in_open > 0) wait_ms = std::min(wait_ms, whole_millis(config_.max_wait_in_open));
  return wait_ms / 1000;
}

double CircuitBreaker::next_timer() const {
  if (state_ == State::Open && config_.automatic_half_open) return open_until_;
  if (state_ == State::HalfOpen && config_.max_wait_in_half_open > 0) {
    return half_open_since_ + config_.max_wait_in_half_open;
  }
  return kInf;
}

void CircuitBreaker::on_timer(double now) { advance(now); }

void CircuitBreaker::advance(double now) {
  // A loop because one late call may cover several timer periods (OPEN -> HALF_OPEN -> OPEN);
  // each transition is stamped with the time its timer was due, not with `now`.
  for (;;) {
    if (state_ == State::Open && config_.automatic_half_open && now >= open_until_) {
      to_half_open(open_until_);
    } else if (state_ == State::HalfOpen && config_.max_wait_in_half_open > 0 &&
               now >= half_open_since_ + config_.max_wait_in_half_open) {
      to_open(half_open_since_ + config_.max_wait_in_half_open);
    } else {
      return;
    }
  }
}

bool CircuitBreaker::try_acquire(double now) {
  advance(now);
  switch (state_) {
    case State::Closed: return true;
    case State::Open:
      // resilience4j: clock.instant().isAfter(retryAfterWaitDuration), strictly after.
      if (now > open_until_) {
        to_half_open(now);
        break;  // the call is admitted as a HALF_OPEN trial, if a permit is left
      }
      return false;
    case State::HalfOpen: break;
  }
  if (permits_left_ > 0) {
    --permits_left_;
    return true;
  }
  return false;
}

void CircuitBreaker::release(double now) {
  advance(now);
  // Not capped, as HalfOpenState.releasePermission (permittedNumberOfCalls.incrementAndGet()): a
  // call admitted while CLOSED and released during HALF_OPEN widens the trial by one call.
  if (state_ == State::HalfOpen) ++permits_left_;
}

void CircuitBreaker::on_success(double now, double duration) { record(now, duration, false); }
void CircuitBreaker::on_error(double now, double duration) { record(now, duration, true); }

void CircuitBreaker::record(double now, double duration, bool failed) {
  advance(now);
  // Slow means strictly above the threshold, as resilience4j.
  const auto outcome =
      static_cast<uint8_t>((failed ? kFailed : 0) | (duration > config_.slow_call_duration ? kSlow : 0));
  // The outcome goes to the window of the current state, even for a call admitted in an
  // earlier state (resilience4j records a late outcome where it lands).
  if (metrics_ == Metrics::HalfOpen) {
    half_open_.record(outcome);
  } else if (config_.window == CircuitBreakerConfig::Window::CountBased) {
    closed_count_.record(outcome);
  } else {
    closed_time_.record(now, outcome);
  }
  if (state_ == State::Open) return;  // recorded, but OPEN waits for its timer

  const View v = metrics();
  if (v.calls == 0 || v.calls < v.minimum) return;  // BELOW_MINIMUM_CALLS_THRESHOLD: no decision
  const bool exceeded = rate_reached(v.failed, v.calls, config_.failure_rate_threshold) ||
                        rate_reached(v.slow, v.calls, config_.slow_call_rate_threshold);
  if (exceeded) {
    to_open(now);
  } else if (state_ == State::HalfOpen) {
    to_closed(now);
  }
}

void CircuitBreaker::transition(double time, State to) {
  transitions_.push_back(Transition{time, state_, to});
  state_ = to;
}

void CircuitBreaker::to_open(double time) {
  // OPEN keeps the metrics of the state it came from (what tripped it stays readable).
  ++attempts_;
  open_until_ = time + open_wait();
  transition(time, State::Open);
}

void CircuitBreaker::to_half_open(double time) {
  half_open_.reset();
  metrics_ = Metrics::HalfOpen;
  permits_left_ = config_.permitted_in_half_open;
  half_open_since_ = time;
  transition(time, State::HalfOpen);
}

void CircuitBreaker::to_closed(double time) {
  attempts_ = 0;
  metrics_ = Metrics::Closed;
  if (config_.window == CircuitBreakerConfig::Window::CountBased) {
    closed_count_.reset();
  } else {
    closed_time_.reset(time);
  }
  transition(time, State::Closed);
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::Closed: return "closed";
    case CircuitBreaker::State::Open: return "open";
    case CircuitBreaker::State::HalfOpen: return "half_open";
  }
  return "?";
}

}  // namespace rapture
