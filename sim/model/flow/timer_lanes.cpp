#include "model/flow/timer_lanes.hpp"

namespace rapture {

TimerLanes::TimerLanes(Scheduler& clock, void* owner, Expire expire, Alive alive)
    : clock_(clock), owner_(owner), expire_(expire), alive_(alive), due_(clock.add_kind<&TimerLanes::on_due>(this)) {}

void TimerLanes::drop_dead(uint32_t lane, Lane& l) const {
  while (!l.entries.empty()) {
    const Entry& t = l.entries.front();
    if (alive_(owner_, lane, t.id, t.gen)) break;
    l.entries.pop_front();
  }
}

void TimerLanes::add(uint32_t lane, double at, uint32_t id, uint32_t gen) {
  auto& l = lanes_[lane];
  // Keeps the FIFO to the calls in flight. A scheduled event stays valid: it is no later than
  // any timer left behind the dropped ones.
  drop_dead(lane, l);
  l.entries.push_back(Entry{at, id, gen});
  if (!l.scheduled) {
    l.scheduled = true;
    clock_.at(l.entries.front().at, due_, lane);
  }
}

void TimerLanes::on_due(const Event& e) {
  auto& l = lanes_[e.id];
  // Still marked scheduled while it runs, so that timers set meanwhile (a retry's timeout)
  // join the FIFO without an event of their own; the head is scheduled once, below.
  while (!l.entries.empty() && l.entries.front().at <= clock_.now()) {
    const Entry t = l.entries.pop_front();
    expire_(owner_, e.id, t.id, t.gen);
  }
  // The next event is for the earliest live timer: the dead ones before it would cost an
  // event each and do nothing.
  drop_dead(e.id, l);
  l.scheduled = !l.entries.empty();
  if (l.scheduled) clock_.at(l.entries.front().at, due_, e.id);
}

}  // namespace rapture
