#include "engine/pending_activities.hpp"

#include <cstdint>
#include <utility>

namespace rapture {

namespace {

// The slot index is stored in the activity's user-data pointer: no allocation per activity
// and no lookup on completion.
void* as_data(uint32_t slot) { return reinterpret_cast<void*>(static_cast<uintptr_t>(slot)); }
uint32_t slot_of(const simgrid::s4u::Activity& activity) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(activity.get_data<void>()));
}

}  // namespace

simgrid::s4u::ExecPtr PendingActivities::exec() {
  if (spare_execs_.empty()) return simgrid::s4u::Exec::init();
  simgrid::s4u::ExecPtr e = std::move(spare_execs_.back());
  spare_execs_.pop_back();
  // SimGrid's execution starts afresh from its configuration (one host, one amount of flops,
  // both assigned anew by the caller); only the s4u state says it ended.
  e->set_state(simgrid::s4u::Activity::State::INITED);
  return e;
}

void PendingActivities::add(simgrid::s4u::ActivityPtr activity, uint64_t token, bool is_exec) {
  uint32_t slot = 0;
  if (free_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  activity->set_data(as_data(slot));
  slots_[slot].activity = std::move(activity);
  slots_[slot].token = token;
  slots_[slot].is_exec = is_exec;
  ++running_;
}

uint64_t PendingActivities::complete(const simgrid::s4u::Activity& activity) {
  const uint32_t slot = slot_of(activity);
  // The previous completion's `complete()` has returned by now: its slot may be reused, and
  // its execution too; a transfer is released.
  if (retired_ != kNoSlot) {
    Slot& old = slots_[retired_];
    if (old.is_exec) spare_execs_.push_back(boost::static_pointer_cast<simgrid::s4u::Exec>(std::move(old.activity)));
    old.activity.reset();
    free_.push_back(retired_);
  }
  retired_ = slot;
  --running_;
  return slots_[slot].token;
}

void PendingActivities::cancel_all() {
  // Free slots hold no activity; the retired one holds an activity that ended.
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slot != retired_ && slots_[slot].activity) slots_[slot].activity->cancel();
  }
}

}  // namespace rapture
