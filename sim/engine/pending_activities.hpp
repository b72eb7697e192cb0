#pragma once
/// The SimGrid activities the model is waiting on, each with the model's token: a table of
/// slots reused through a free list, so that starting and ending an activity costs O(1) and
/// allocates nothing of rapture's own once the table has grown to the most activities
/// running at once. Nothing here waits: the engine learns of a completion from SimGrid's
/// completion signal (activities started outside any actor, by maestro, are completed by the
/// engine itself) and hands the activity back here to get its token.
///
/// The slot's index rides on its activity (the activity's user data). An ended activity's
/// handle is kept until the next completion: the completion signal is fired from inside
/// SimGrid's `Activity::complete()`, which uses the activity after its callbacks return, so
/// the handle must outlive that call. An ended execution is then kept for reuse: a new
/// `s4u::Exec` costs SimGrid two objects, a host-state callback and their strings, where a
/// reused one costs only its CPU action.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <simgrid/s4u/Activity.hpp>
#include <simgrid/s4u/Exec.hpp>

namespace rapture {

class PendingActivities {
 public:
  /// An execution to configure and start, then `add`: one that ended, or a new one.
  simgrid::s4u::ExecPtr exec();
  /// Adds a started activity; `complete` hands `token` back when it ends.
  void add(simgrid::s4u::ActivityPtr activity, uint64_t token, bool is_exec);
  /// The token of `activity`, which has just ended (called from its completion callback).
  uint64_t complete(const simgrid::s4u::Activity& activity);
  /// Cancels every running activity (the end of a run); their completions still come.
  void cancel_all();
  /// Whether no activity is running.
  [[nodiscard]] bool empty() const { return running_ == 0; }
  /// How many activities are running.
  [[nodiscard]] size_t size() const { return running_; }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  struct Slot {
    simgrid::s4u::ActivityPtr activity;
    uint64_t token = 0;
    bool is_exec = false;
  };
  std::vector<Slot> slots_;
  std::vector<simgrid::s4u::ExecPtr> spare_execs_;  ///< ended executions, to reuse
  std::vector<uint32_t> free_;
  uint32_t retired_ = kNoSlot;  ///< the slot of the last activity that ended: free from the next completion on
  size_t running_ = 0;
};

}  // namespace rapture
