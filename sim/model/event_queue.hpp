#pragma once
/// The pending-event set of the simulation: a binary min-heap ordered by (time, insertion
/// sequence), so that events at the same time run in the order they were scheduled and a
/// run is deterministic. No allocation once the heap has grown to its working size.

#include <cstdint>
#include <limits>
#include <vector>

namespace rapture {

/// What an event does; `id` is a job, a user or a workload source depending on the kind.
enum class EventKind : uint8_t {
  Arrival,      ///< next open-loop arrival of workload source `id`
  UserWake,     ///< closed-loop user `id` ends thinking and sends a request
  JobArrive,    ///< job `id` reaches its replica
  ComputeDone,  ///< job `id` finished its CPU demand
  ReplyArrive,  ///< the reply of job `id` reaches its caller
  BinEnd,       ///< a metric bin closes
  WarmupEnd,    ///< the warm-up period ends
  CallTimeout,  ///< the current try of call `id` times out (stale unless `gen` matches)
  CallDeadline, ///< the overall deadline of call `id` (stale unless `gen` matches)
  RetryDue,     ///< call `id` sends its next try after backoff (stale unless `gen` matches)
  BreakerTimer, ///< circuit breaker `id` changes state by itself (stale unless `gen` matches)
  OutlierTimer, ///< outlier detection interval of service `id` (stale unless `gen` matches)
  LaneTimer,    ///< the earliest timer of timer lane `id` is due
  FaultStart,   ///< fault `id` begins
  FaultEnd,     ///< fault `id` ends
};

struct Event {
  double time;
  uint64_t seq;
  uint32_t id;
  uint32_t gen;  ///< for timers that may have become stale: must match the target's generation
  EventKind kind;
};

class EventQueue {
 public:
  /// Schedules an event.
  void push(double time, EventKind kind, uint32_t id, uint32_t gen = 0) {
    heap_.push_back(Event{time, next_seq_++, id, gen, kind});
    sift_up(heap_.size() - 1);
  }
  /// Removes and returns the earliest event; the queue must not be empty.
  Event pop() {
    Event top = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return top;
  }
  /// Time of the earliest event; +inf when empty.
  [[nodiscard]] double next_time() const {
    return heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front().time;
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] size_t size() const { return heap_.size(); }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  void sift_up(size_t i) {
    Event e = heap_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void sift_down(size_t i) {
    const size_t n = heap_.size();
    Event e = heap_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], e)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace rapture
