#pragma once
/// Timers of constant length expire in the order they were set: a lane keeps such timers
/// (an edge's try timeouts, or its deadlines) in a FIFO and only its earliest is in the event
/// heap, instead of one heap entry per call (most of which would be stale by then).

#include <cstdint>
#include <vector>

#include "model/flow/scheduler.hpp"
#include "model/ring_queue.hpp"

namespace rapture {

class TimerLanes {
 public:
  /// Called for each timer that expires: its lane, the id and generation it was set with.
  using Expire = void (*)(void* owner, uint32_t lane, uint32_t id, uint32_t gen);
  TimerLanes(Scheduler& clock, void* owner, Expire expire);
  /// Sets the number of lanes.
  void resize(size_t lanes) { lanes_.resize(lanes); }
  /// Sets a timer at `at` on `lane`, no earlier than the lane's last one.
  void add(uint32_t lane, double at, uint32_t id, uint32_t gen);

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

  Scheduler& clock_;
  void* owner_;
  Expire expire_;
  std::vector<Lane> lanes_;
  EventKind due_;
};

}  // namespace rapture
