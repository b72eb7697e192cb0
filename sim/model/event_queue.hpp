#pragma once
/// The pending-event set of the simulation: a binary min-heap ordered by (time, insertion
/// sequence), so that events at the same time run in the order they were scheduled and a
/// run is deterministic. No allocation once the heap has grown to its working size. What an
/// event does is the EventTable's business: the queue only orders them.

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace rapture {

/// Which handler an event goes to: an index into an EventTable, given out when a component
/// registers the kinds it handles. The queue never looks at it, so a new kind of event (a
/// policy's timer, a fault) is registered by its owner without touching this header.
using EventKind = uint8_t;

struct Event {
  double time;
  uint64_t seq;
  uint32_t id;   ///< what the event is about (a visit, a call, a source...): the handler's to interpret
  uint32_t gen;  ///< for timers that may have become stale: must match the target's generation
  EventKind kind;
};

/// The event kinds and their handlers: a handler is a plain function pointer and its owner,
/// so dispatching is an indexed indirect call (no allocation, no lookup by name).
class EventTable {
 public:
  using Handler = void (*)(void* owner, const Event& e);
  /// Registers a handler and returns the kind that reaches it.
  EventKind add(void* owner, Handler handler) {
    if (slots_.size() > std::numeric_limits<EventKind>::max()) throw std::logic_error("too many event kinds");
    slots_.push_back(Slot{handler, owner});
    return static_cast<EventKind>(slots_.size() - 1);
  }
  /// Registers `owner->*Method(const Event&)`.
  template <auto Method, typename Owner>
  EventKind add(Owner* owner) {
    return add(owner, [](void* o, const Event& e) { (static_cast<Owner*>(o)->*Method)(e); });
  }
  /// Runs the handler of `e.kind`.
  void dispatch(const Event& e) const {
    const Slot& s = slots_[e.kind];
    s.handler(s.owner, e);
  }

 private:
  struct Slot {
    Handler handler;
    void* owner;
  };
  std::vector<Slot> slots_;
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
  static bool before(const Event& a, const Event& b) { return a.time < b.time || (a.time == b.time && a.seq < b.seq); }
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
