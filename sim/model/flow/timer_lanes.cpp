#include "model/flow/timer_lanes.hpp"

namespace rapture {

TimerLanes::TimerLanes(Scheduler& clock, void* owner, Expire expire)
    : clock_(clock), owner_(owner), expire_(expire), due_(clock.add_kind<&TimerLanes::on_due>(this)) {}

void TimerLanes::add(uint32_t lane, double at, uint32_t id, uint32_t gen) {
  auto& l = lanes_[lane];
  l.entries.push_back(Entry{at, id, gen});
  if (!l.scheduled) {
    l.scheduled = true;
    clock_.at(at, due_, lane);
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
  l.scheduled = !l.entries.empty();
  if (l.scheduled) clock_.at(l.entries.front().at, due_, e.id);
}

}  // namespace rapture
