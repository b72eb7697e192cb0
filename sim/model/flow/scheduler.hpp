#pragma once
/// The clock and the pending events the simulation's components share: each component
/// registers the event kinds it handles and schedules them here, so the event loop knows no
/// component. Also the one generation counter of every timer that may go stale.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>

#include "model/event_queue.hpp"

namespace rapture {

class Scheduler {
 public:
  /// Current simulated time, in seconds.
  [[nodiscard]] double now() const { return now_; }
  /// Time of the next scheduled event; +inf when none.
  [[nodiscard]] double next_time() const { return queue_.next_time(); }
  /// Schedules an event of `kind` about `id` at time `t`.
  void at(double t, EventKind kind, uint32_t id, uint32_t gen = 0) { queue_.push(t, kind, id, gen); }
  /// Registers `owner->*Method(const Event&)` as the handler of a new event kind.
  template <auto Method, typename Owner>
  EventKind add_kind(Owner* owner) {
    return table_.add<Method>(owner);
  }
  /// A fresh generation for a timer (one counter for all, so that a generation names one timer).
  uint32_t next_generation() { return next_gen_++; }

  /// Runs the earliest event.
  void step() {
    const Event e = queue_.pop();
    now_ = e.time;
    dispatch(e);
  }
  /// Runs the event of a backend activity that ended at `at` (`token` from token()).
  void resume(double at, uint64_t token) {
    now_ = std::max(now_, at);
    dispatch(Event{now_, 0, static_cast<uint32_t>(token & 0xffffffffu), 0, static_cast<EventKind>(token >> 32)});
  }
  /// Moves the clock to `t` if it is later (the end of a run).
  void advance_to(double t) { now_ = std::max(now_, t); }

  /// The token a backend activity carries: the event to run when it ends.
  static uint64_t token(EventKind kind, uint32_t id) { return (static_cast<uint64_t>(kind) << 32) | id; }
  /// The event being processed started a backend activity: the engine must wait on it.
  void activity_started() { activity_started_ = true; }
  /// Whether an activity was started since the last call.
  bool take_activity() { return std::exchange(activity_started_, false); }

  /// Events processed so far.
  [[nodiscard]] uint64_t events() const { return event_count_; }
  /// Called every ~2^18 events with the simulated time (progress display).
  void on_progress(std::function<void(double)> callback) { progress_ = std::move(callback); }

 private:
  void dispatch(const Event& e) {
    ++event_count_;
    if ((event_count_ & ((1u << 18) - 1)) == 0 && progress_) progress_(now_);
    table_.dispatch(e);
  }

  EventQueue queue_;
  EventTable table_;
  double now_ = 0;
  uint64_t event_count_ = 0;
  uint32_t next_gen_ = 1;
  bool activity_started_ = false;
  std::function<void(double)> progress_;
};

/// A policy's own timer (a breaker's, an outlier detector's): the state machine says when it
/// next needs the clock; one event is pending for that time, earlier ones are stale.
struct PolicyTimer {
  uint32_t gen = 0;
  double at = INFINITY;
  /// Schedules `kind` about `id` at `t`, unless it is already set for then or `t` is +inf.
  void set(Scheduler& clock, double t, EventKind kind, uint32_t id) {
    if (t == at || !std::isfinite(t)) return;
    at = t;
    gen = clock.next_generation();
    clock.at(std::max(t, clock.now()), kind, id, gen);
  }
  /// Whether an event of generation `g` is the pending one; it is then spent.
  bool fire(uint32_t g) {
    if (g != gen) return false;
    at = INFINITY;
    return true;
  }
};

}  // namespace rapture
