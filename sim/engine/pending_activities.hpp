#pragma once
/// The SimGrid activities the model is waiting on, each tagged with the model's token.
///
/// One container: the token rides on its activity (the activity's user data), so nothing
/// parallel to the set has to be kept in step with it. SimGrid 3.35 introduced
/// `s4u::ActivitySet` and deprecated `Activity::wait_any_for` (gone in 4.0); Debian bookworm
/// ships 3.32, which has only `wait_any_for`. This class is the one place that knows: it
/// uses `ActivitySet` when the headers have it, `wait_any_for` on older ones. The two return
/// simultaneous completions in different orders (`ActivitySet` keeps the order of insertion;
/// the older path moves the last activity into the hole, as rapture always did), so a seed's
/// results on SimGrid >= 3.35 are not expected to match 3.32's bit for bit.

#include <cstdint>
#include <optional>

#include <simgrid/s4u/Activity.hpp>
// After an s4u header: version.h uses the macros of xbt/base.h without including it.
#include <simgrid/version.h>

#define RAPTURE_HAS_ACTIVITY_SET (SIMGRID_VERSION >= 33500)

#if RAPTURE_HAS_ACTIVITY_SET
#include <simgrid/s4u/ActivitySet.hpp>
#else
#include <vector>
#endif

namespace rapture {

class PendingActivities {
 public:
  /// Adds a started activity; `wait_until` hands `token` back when it completes.
  void add(const simgrid::s4u::ActivityPtr& activity, uint64_t token);
  /// Whether no activity is running.
  [[nodiscard]] bool empty() const { return set_.empty(); }
  /// How many activities are running.
  [[nodiscard]] size_t size() const { return static_cast<size_t>(set_.size()); }
  /// Blocks the calling actor until an activity completes (returns its token and forgets it)
  /// or SimGrid's clock reaches `until` (returns nothing).
  std::optional<uint64_t> wait_until(double until);

 private:
#if RAPTURE_HAS_ACTIVITY_SET
  simgrid::s4u::ActivitySet set_;
#else
  std::vector<simgrid::s4u::ActivityPtr> set_;
#endif
};

}  // namespace rapture
