// Timer lanes: FIFO timers of one length per lane with one heap event for the earliest live
// one. Dead timers (their call ended) are dropped without an event and without being held.

#include "model/flow/timer_lanes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace rapture {
namespace {

/// An owner that says which (id, generation) pairs are still alive and records expirations.
struct Owner {
  std::set<std::pair<uint32_t, uint32_t>> alive;
  std::vector<std::pair<double, uint32_t>> expired;  ///< (time, id) of the live timers that expired
  Scheduler* clock = nullptr;
};

TimerLanes make_lanes(Scheduler& clock, Owner& owner) {
  owner.clock = &clock;
  return TimerLanes(
      clock, &owner,
      [](void* o, uint32_t, uint32_t id, uint32_t gen) {
        auto* self = static_cast<Owner*>(o);
        if (self->alive.count({id, gen})) self->expired.emplace_back(self->clock->now(), id);
      },
      [](const void* o, uint32_t, uint32_t id, uint32_t gen) {
        return static_cast<const Owner*>(o)->alive.count({id, gen}) > 0;
      });
}

void run_all(Scheduler& clock) {
  while (clock.next_time() < INFINITY) clock.step();
}

TEST(TimerLanes, LiveTimersExpireAtTheirTimesInOrder) {
  Scheduler clock;
  Owner owner;
  TimerLanes lanes = make_lanes(clock, owner);
  lanes.resize(2);
  owner.alive = {{1, 1}, {2, 2}, {3, 3}};
  lanes.add(0, 1.0, 1, 1);
  lanes.add(0, 2.0, 2, 2);
  lanes.add(1, 1.5, 3, 3);
  run_all(clock);
  const std::vector<std::pair<double, uint32_t>> want{{1.0, 1}, {1.5, 3}, {2.0, 2}};
  EXPECT_EQ(owner.expired, want);
}

TEST(TimerLanes, DeadTimersCostNoEventAndALiveOneBehindThemStillExpiresOnTime) {
  Scheduler clock;
  Owner owner;
  TimerLanes lanes = make_lanes(clock, owner);
  lanes.resize(1);
  owner.alive = {{1, 1}};
  lanes.add(0, 1.0, 1, 1);
  for (uint32_t id = 2; id < 100; ++id) {
    owner.alive.insert({id, id});
    lanes.add(0, 1.0 + id * 0.01, id, id);
  }
  // Every call but the last one ends before its timer is due.
  for (uint32_t id = 1; id < 99; ++id) owner.alive.erase({id, id});
  run_all(clock);
  ASSERT_EQ(owner.expired.size(), 1u);
  EXPECT_DOUBLE_EQ(owner.expired[0].first, 1.99);
  EXPECT_EQ(owner.expired[0].second, 99u);
  // The head's event (set while it was alive) and the live timer's: not one per timer.
  EXPECT_EQ(clock.events(), 2u);
  EXPECT_EQ(lanes.held(0), 0u);
}

TEST(TimerLanes, AddingDropsTheDeadTimersAtTheFrontSoTheLaneHoldsOnlyCallsInFlight) {
  Scheduler clock;
  Owner owner;
  TimerLanes lanes = make_lanes(clock, owner);
  lanes.resize(1);
  // A long timeout, calls ending quickly: at most two are in flight at any time.
  for (uint32_t id = 1; id <= 10000; ++id) {
    owner.alive.insert({id, id});
    lanes.add(0, 15.0 + id * 1e-3, id, id);
    if (id > 2) owner.alive.erase({id - 2, id - 2});
    EXPECT_LE(lanes.held(0), 3u);
  }
  owner.alive.clear();
  run_all(clock);
  EXPECT_TRUE(owner.expired.empty());
}

TEST(TimerLanes, ATimerSetWhileTheLaneExpiresJoinsItWithoutAnEventOfItsOwn) {
  Scheduler clock;
  struct Retrier {
    TimerLanes* lanes = nullptr;
    Scheduler* clock = nullptr;
    std::vector<double> expired;
    uint32_t live_gen = 1;
  } owner;
  TimerLanes lanes(
      clock, &owner,
      [](void* o, uint32_t lane, uint32_t id, uint32_t gen) {
        auto* self = static_cast<Retrier*>(o);
        if (gen != self->live_gen) return;
        self->expired.push_back(self->clock->now());
        if (self->expired.size() < 3) {  // a retry with its own timeout, one second later
          ++self->live_gen;
          self->lanes->add(lane, self->clock->now() + 1.0, id, self->live_gen);
        }
      },
      [](const void* o, uint32_t, uint32_t, uint32_t gen) { return gen == static_cast<const Retrier*>(o)->live_gen; });
  owner.lanes = &lanes;
  owner.clock = &clock;
  lanes.resize(1);
  lanes.add(0, 1.0, 7, 1);
  run_all(clock);
  EXPECT_EQ(owner.expired, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(clock.events(), 3u);
}

}  // namespace
}  // namespace rapture
