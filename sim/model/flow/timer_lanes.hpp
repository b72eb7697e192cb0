#pragma once
/// Timers of constant length expire in the order they were set: a lane keeps such timers
/// (an edge's try timeouts, or its deadlines) in a FIFO and only its earliest is in the event
/// heap, instead of one heap entry per call (most of which would be stale by then).
///
/// Most such timers die long before they are due (the call they guard ended): the lane asks
/// its owner whether its earliest timer is still alive and drops it if not, both when a timer
/// is added and when the lane's event comes, so that the heap holds an event for a live timer
/// only and the FIFO holds little more than the timers of the calls in flight.

#include <cstdint>
#include <vector>

#include "model/flow/scheduler.hpp"
#include "model/ring_queue.hpp"

namespace rapture {

class TimerLanes {
 public:
  /// Called for each timer that expires: its lane, the id and generation it was set with.
  using Expire = void (*)(void* owner, uint32_t lane, uint32_t id, uint32_t gen);
  /// Whether a timer can still expire to some effect; once false for a timer, false for good.
  using Alive = bool (*)(const void* owner, uint32_t lane, uint32_t id, uint32_t gen);
  TimerLanes(Scheduler& clock, void* owner, Expire expire, Alive alive);
  /// Sets the number of lanes.
  void resize(size_t lanes) { lanes_.resize(lanes); }
  /// Sets a timer at `at` on `lane`, no earlier than the lane's last one.
  void add(uint32_t lane, double at, uint32_t id, uint32_t gen);
  /// Timers held on `lane` (alive, or dead but not yet dropped).
  [[nodiscard]] uint32_t held(uint32_t lane) const { return lanes_[lane].entries.size(); }

 private:
  struct Entry {
    double at;
    uint32_t id, gen;
  };
  struct Lane {
    RingQueue<Entry> entries;
    bool scheduled = false;
  };
  void on_due(const Event& e);
  /// Drops the dead timers at the front of `lane`.
  void drop_dead(uint32_t lane, Lane& l) const;

  Scheduler& clock_;
  void* owner_;
  Expire expire_;
  Alive alive_;
  std::vector<Lane> lanes_;
  EventKind due_;
};

}  // namespace rapture
