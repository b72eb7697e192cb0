#include "engine/pending_activities.hpp"

#include <algorithm>
#include <cstdint>

#include <simgrid/s4u/Engine.hpp>
#if RAPTURE_HAS_ACTIVITY_SET
#include <simgrid/Exception.hpp>
#endif

namespace rapture {

namespace {

// The token is stored in the activity's user-data pointer: no allocation per activity and
// no lookup on completion.
static_assert(sizeof(uintptr_t) >= sizeof(uint64_t), "a token must fit in an activity's user data");

void* as_data(uint64_t token) { return reinterpret_cast<void*>(static_cast<uintptr_t>(token)); }
uint64_t token_of(const simgrid::s4u::Activity& activity) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(activity.get_data<void>()));
}

}  // namespace

void PendingActivities::add(const simgrid::s4u::ActivityPtr& activity, uint64_t token) {
  activity->set_data(as_data(token));
#if RAPTURE_HAS_ACTIVITY_SET
  set_.push(activity);
#else
  set_.push_back(activity);
#endif
}

std::optional<uint64_t> PendingActivities::wait_until(double until) {
  const double timeout = std::max(0.0, until - simgrid::s4u::Engine::get_clock());
#if RAPTURE_HAS_ACTIVITY_SET
  try {
    const simgrid::s4u::ActivityPtr done = set_.wait_any_for(timeout);
    return token_of(*done);
  } catch (const simgrid::TimeoutException&) {
    return std::nullopt;
  }
#else
  const ssize_t i = simgrid::s4u::Activity::wait_any_for(set_, timeout);
  if (i < 0 || static_cast<size_t>(i) >= set_.size()) return std::nullopt;
  const uint64_t token = token_of(*set_[static_cast<size_t>(i)]);
  // Removal swaps the last activity into the hole: the order of the rest decides which of
  // several activities ending at the same instant comes back first, so it is part of what
  // makes a seed reproduce the same results.
  set_[static_cast<size_t>(i)] = set_.back();
  set_.pop_back();
  return token;
#endif
}

}  // namespace rapture
