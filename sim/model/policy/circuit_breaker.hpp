#pragma once
/// A circuit breaker with the semantics of resilience4j's CircuitBreaker, as a plain state
/// machine driven by the simulated clock: architects paste their resilience4j (or Hystrix)
/// settings and get the behaviour their services run with. The caller owns time: it passes
/// `now` (seconds) to every call and schedules `next_timer()` for the transitions the library
/// makes by itself. Windows are sized at construction, so recording an outcome allocates nothing.

#include <cstdint>
#include <string_view>
#include <vector>

namespace rapture {

struct CircuitBreakerConfig {
  enum class Window { CountBased, TimeBased };
  Window window = Window::CountBased;     ///< slidingWindowType
  int64_t window_size = 100;              ///< calls (COUNT_BASED) or seconds (TIME_BASED)
  int64_t minimum_calls = 100;            ///< minimumNumberOfCalls
  double failure_rate_threshold = 50;     ///< percent
  double slow_call_duration = 60;         ///< seconds (slowCallDurationThreshold); +inf: no slow-call rule
  double slow_call_rate_threshold = 100;  ///< percent
  double wait_in_open = 60;               ///< seconds (waitDurationInOpenState), counted in whole milliseconds
  /// >1: the open wait grows by this factor each time it re-opens without closing (the exponential
  /// IntervalFunction of waitIntervalFunctionInOpenState), capped by max_wait_in_open.
  double wait_multiplier = 1;
  double max_wait_in_open = 0;          ///< 0: no cap
  bool automatic_half_open = false;     ///< automaticTransitionFromOpenToHalfOpenEnabled
  int64_t permitted_in_half_open = 10;  ///< permittedNumberOfCallsInHalfOpenState
  double max_wait_in_half_open = 0;     ///< seconds; 0 = stay half-open until the permitted calls complete

  /// The library's defaults.
  static CircuitBreakerConfig resilience4j();
  /// 20 requests in a 10 s rolling window, 50 %, 5 s sleep, one trial request, no slow-call rule.
  static CircuitBreakerConfig hystrix();
  /// Throws std::invalid_argument naming the field for contradictory or out-of-range settings.
  void validate() const;
};

class CircuitBreaker {
 public:
  enum class State : uint8_t { Closed, Open, HalfOpen };

  /// Validates `config` (std::invalid_argument) and sizes the windows.
  explicit CircuitBreaker(CircuitBreakerConfig config);

  /// Asks permission for one call at `now`; false means rejected (CallNotPermitted): not recorded
  /// in the window. Performs the lazy OPEN -> HALF_OPEN transition when the wait has elapsed.
  bool try_acquire(double now);
  /// Records the outcome of a permitted call that started at now - duration.
  void on_success(double now, double duration);
  /// Records a failed permitted call that started at now - duration.
  void on_error(double now, double duration);
  /// A permitted call that ended with no outcome to record (cancelled, refused further on): while
  /// HALF_OPEN gives a permit back, even for a call admitted while CLOSED, as resilience4j does.
  void release(double now);

  /// The current state (as of the last call that was given `now`).
  [[nodiscard]] State state() const { return state_; }
  /// When the breaker will change state by itself (automatic half-open, or max_wait_in_half_open
  /// expiry); +inf if never. The engine schedules a timer and calls `on_timer(now)` then.
  [[nodiscard]] double next_timer() const;
  /// Applies the transitions due at or before `now`.
  void on_timer(double now);

  /// One state change.
  struct Transition {
    double time;
    State from, to;
  };
  /// State changes since the last call, oldest first; the caller drains it (clear()) to record events.
  std::vector<Transition>& transitions() { return transitions_; }

  /// Percent of failed calls in the current window, computed in float as resilience4j, or -1 when
  /// below the minimum number of calls; a TIME_BASED window is as of its last recorded outcome.
  [[nodiscard]] double failure_rate() const;
  /// Percent of slow calls (failed or not) in the current window, or -1 as failure_rate().
  [[nodiscard]] double slow_call_rate() const;
  /// Calls in the current window (as resilience4j's getNumberOfBufferedCalls).
  [[nodiscard]] int64_t buffered_calls() const { return metrics().calls; }

 private:
  static constexpr uint8_t kFailed = 1, kSlow = 2;

  /// Totals of a window, kept incrementally (subtract on evict) so a rate is O(1).
  struct Totals {
    int64_t calls = 0, failed = 0, slow = 0;
    void add(uint8_t outcome, int sign) {
      calls += sign;
      failed += sign * static_cast<int>(outcome & kFailed);
      slow += sign * static_cast<int>((outcome & kSlow) != 0);
    }
  };
  /// The last N outcomes (resilience4j's FixedSizeSlidingWindowMetrics).
  struct CountWindow {
    std::vector<uint8_t> ring;
    size_t head = 0, filled = 0;
    Totals totals;
    int64_t minimum = 0;
    void reset();
    void record(uint8_t outcome);
  };
  /// One bucket per epoch second over the last N seconds (SlidingTimeWindowMetrics).
  struct TimeWindow {
    struct Bucket {
      int64_t calls = 0, failed = 0, slow = 0;
    };
    std::vector<Bucket> buckets;
    size_t head = 0;
    int64_t head_epoch = 0;
    Totals totals;
    int64_t minimum = 0;
    void reset(double now);
    void record(double now, uint8_t outcome);
  };
  /// Which window's snapshot decides: OPEN keeps the one of the state it came from.
  enum class Metrics : uint8_t { Closed, HalfOpen };

  struct View {
    int64_t calls, failed, slow, minimum;
  };
  [[nodiscard]] View metrics() const;
  /// The wait, in seconds of whole milliseconds, of the OPEN period just entered (attempts_ of them
  /// since the last CLOSED), after backoff; advances open_wait_ms_.
  double open_wait();
  void record(double now, double duration, bool failed);
  /// Applies the transitions the library's scheduler would have made by `now`.
  void advance(double now);
  void to_open(double time);
  void to_half_open(double time);
  void to_closed(double time);
  void transition(double time, State to);

  CircuitBreakerConfig config_;
  State state_ = State::Closed;
  Metrics metrics_ = Metrics::Closed;
  CountWindow closed_count_;
  TimeWindow closed_time_;
  CountWindow half_open_;
  int64_t attempts_ = 0;     // OPEN periods since the last CLOSED (resilience4j's attempts)
  double open_wait_ms_ = 0;  // the uncapped interval of the latest OPEN period, whole milliseconds
  double open_until_ = 0;    // OPEN: when the wait has elapsed
  double half_open_since_ = 0;
  int64_t permits_left_ = 0;  // HALF_OPEN: trial calls still admitted
  std::vector<Transition> transitions_;
};

/// "closed", "open" or "half_open".
std::string_view to_string(CircuitBreaker::State state);

}  // namespace rapture
