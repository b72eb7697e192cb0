#pragma once
/// Metastable or merely slow? After the trigger ends, whether the run recovered, is draining a
/// backlog that will empty on its own (with the time to empty), or is held down by a sustaining
/// effect (Bronson et al., HotOS'21; Huang et al., OSDI'22): retries, work that got more
/// expensive with load, a look-aside cache's misses, or arrivals amplified beyond the entry's. Judged from the run's
/// own bins at `metastable_after` past the trigger's end; no SimGrid, no HDF5.

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/health_timeline.hpp"
#include "analysis/run_series.hpp"
#include "analysis/system_graph.hpp"
#include "model/scenario.hpp"
#include "model/system.hpp"

namespace rapture {

/// What the run did after its trigger ended.
enum class RecoveryKind : uint8_t {
  None,        ///< no trigger: nothing to recover from
  CannotTell,  ///< the trigger lasts to the end, or the run ends before `metastable_after` past it
  Recovered,   ///< all healthy again (within `metastable_after`, or later with no backlog left to drain)
  Recovering,  ///< not yet healthy, but the backlog shrinks: a slow drain, not a loop
  Sustained,   ///< not healthy and the backlog does not shrink: metastable
};
std::string_view to_string(RecoveryKind kind);
/// The kind named `text` (to_string's spelling); nullopt when none is.
std::optional<RecoveryKind> recovery_kind_named(std::string_view text);

/// What keeps a sustained overload going once the trigger is gone.
enum class SustainingEffect : uint8_t {
  None,               ///< not sustained
  Retries,            ///< callers retry more per call than in the baseline
  LoadDependentCost,  ///< each visit takes more worker time than in the baseline (GC, contention, thrashing)
  AmplifiedArrivals,  ///< more visits per entry request than in the baseline, without retries or a cache behind
  CacheMisses,        ///< amplified arrivals at a look-aside cache's backend while its hit ratio is below baseline
  Unknown,            ///< none of those shows in the run
};
std::string_view to_string(SustainingEffect effect);
/// The effect named `text` (to_string's spelling); nullopt when none is.
std::optional<SustainingEffect> sustaining_effect_named(std::string_view text);
/// "sustained by retries", "sustained by load-dependent cost", ...: for sentences.
std::string_view describe(SustainingEffect effect);

/// The verdict, with the evidence it rests on.
struct RecoveryVerdict {
  RecoveryKind kind = RecoveryKind::None;
  SustainingEffect sustained_by = SustainingEffect::None;  ///< set when kind is Sustained
  double judged_at = NAN;      ///< s: the end of the window judged (trigger end + metastable_after, or the run's end)
  double drain_eta = NAN;      ///< Recovering: s from `judged_at` until the backlog is back to its baseline
  double backlog = NAN;        ///< visits waiting or in service at the saturated services at `judged_at` (fitted)
  double backlog_slope = NAN;  ///< visits per second over the window judged (fitted); NaN without saturated services
  double offered_load = NAN;   ///< the largest offered work / capacity of a saturated service over the window
  double evidence = NAN;       ///< the sustaining effect's measure (retries per call, work, arrivals ratio, hit ratio)
  double evidence_baseline = NAN;   ///< the same measure in the baseline
  std::string evidence_place;       ///< where it shows: an edge "a -> b", a service or a cache
  std::vector<uint32_t> saturated;  ///< services whose workers were all busy when the trigger ended
  std::string note;                 ///< one sentence for the user
};

/// What the verdict is judged from: the run, its health against the baseline, and the trigger.
struct RecoveryInputs {
  const System& sys;
  const AnalysisSpec& spec;
  const RunSeries& series;
  const HealthTimeline& health;
  const SystemGraph& graph;
  std::span<const double> edge_retry_base;  ///< by edge: baseline retries per call
  double trigger_end = NAN;                 ///< NaN: no trigger
  double recovery_time = NAN;               ///< s after `trigger_end` until all stayed healthy; NaN: never
};

/// Judges the run after its trigger. The rule and its thresholds are in docs/architecture.md
/// ("Metastable or merely slow?").
RecoveryVerdict judge_recovery(const RecoveryInputs& in);

/// "recovering, drain ETA 17 s", "metastable: sustained by retries", "recovered", "cannot tell".
std::string verdict_headline(const RecoveryVerdict& verdict);

/// What shows the sustaining effect: "gateway -> api: 1.80 retries per call vs 0.00 baseline".
std::string verdict_evidence(const RecoveryVerdict& verdict);

}  // namespace rapture
