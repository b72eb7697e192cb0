#pragma once
/// The cascade analysis of one run: a health state per service and request type per bin
/// against the run's own baseline (the bins before the first trigger: a fault or a change of offered load), the
/// propagation graph (which services turned unhealthy, when, and why: the fault itself, a dependency path, or an
/// emergent coupling), the blast radius, time to detect, time to recover, the verdict after the trigger (recovered, a
/// slow drain with its ETA, or a metastable loop with its sustaining effect) and the signal journal.
/// Computed from the recorded bins after a run; no SimGrid, no HDF5.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/recovery_verdict.hpp"
#include "analysis/run_series.hpp"
#include "model/run_result.hpp"
#include "model/scenario.hpp"
#include "model/system.hpp"

namespace rapture {

/// Health of a service or request type during one bin.
enum class Health : int8_t { Healthy = 0, Degraded = 1, Failed = 2 };
std::string_view to_string(Health health);

/// Why a service first turned unhealthy.
enum class Cause : uint8_t {
  Fault,       ///< a trigger touches it directly: a fault on its service, host or traffic, or a load change
  Dependency,  ///< a service it calls synchronously turned unhealthy first
  Emergent,    ///< no dependency path from the fault explains it
};
std::string_view to_string(Cause cause);

/// For emergent failures: the coupling that reached the service.
enum class Mechanism : uint8_t {
  None,              ///< not emergent
  SharedHost,        ///< a replica shares a host with a service the fault loaded or broke
  Retries,           ///< a caller's retries spiked against it
  LoadSurge,         ///< its arrivals surged with no retry spike (load shifted from elsewhere)
  SharedDownstream,  ///< it calls a service that an affected service also calls
  Unexplained,       ///< no coupling found in the model: worth a look
};
std::string_view to_string(Mechanism mechanism);

/// Triage of a journal entry.
enum class Category : uint8_t {
  FaultEffect,              ///< the fault doing what it does, where it is
  DependencyPropagation,    ///< spread along the call graph from an unhealthy callee
  HiddenDependencyExposed,  ///< reached a service with no dependency path from the fault
  RetryAmplification,       ///< retries multiplying load
  QueueExhaustion,          ///< thread pools busy and queues full
  MetastableLoop,           ///< still unhealthy long after the trigger ended, the backlog not shrinking
  ArchitecturalHotSpot,     ///< a failing service on most request types' paths
  UserImpact,               ///< a request type turned unhealthy: what users see
  SlowDrain,                ///< still unhealthy long after the trigger ended, but the backlog shrinks
};
inline constexpr int kCategories = 9;
std::string_view to_string(Category category);

/// What was observed.
enum class Signal : uint8_t {
  ServiceUnhealthy,  ///< a service left its baseline band (magnitude: the metric that did)
  RequestUnhealthy,  ///< a request type left its baseline band
  CircuitOpened,     ///< breakers on an edge opened (magnitude: openings in the episode)
  QueueSaturated,    ///< a queue filled or overflowed (magnitude: share of places used)
  WorkersExhausted,  ///< every worker busy (magnitude: busy share)
  RetrySpike,        ///< retries per call above the baseline band (magnitude: retries per call)
  LoadSurge,         ///< arrivals above the baseline band (magnitude: ratio to the baseline)
  NotRecovered,      ///< still unhealthy `metastable_after` after the trigger ended, the backlog not shrinking
  HotSpot,           ///< a failing service touching most request types (magnitude: share of types)
  BacklogDraining,   ///< a saturated service's backlog shrinks after the trigger (magnitude: drain ETA, s)
};
std::string_view to_string(Signal signal);

/// Which metric put a service or request type out of its band.
enum class Symptom : uint8_t { None, Errors, Latency, QueueSaturation };
std::string_view to_string(Symptom symptom);

/// One anomaly.
struct JournalEntry {
  double time = 0;  ///< start of the bin where it was first seen
  Category category = Category::FaultEffect;
  Signal signal = Signal::ServiceUnhealthy;
  std::string place;     ///< a service, "caller -> callee", a request type
  double magnitude = 0;  ///< see Signal
  double baseline = 0;   ///< the same quantity in the baseline (NaN when none)
  std::string note;      ///< one sentence for the user
};

/// A service that turned unhealthy.
struct PropagationNode {
  uint32_t service = 0;
  double onset = 0;  ///< start of the first bin of the first unhealthy episode
  Health worst = Health::Degraded;
  Symptom symptom = Symptom::None;  ///< what put it out of band at the onset
  Cause cause = Cause::Fault;
  bool load_change = false;  ///< cause Fault: the trigger is a change of offered load (a rate profile), not a fault
  Mechanism mechanism = Mechanism::None;
  uint32_t parent = kNone;  ///< the service it came from (dependency, shared host, retries...); kNone: none
  std::string via;          ///< the fault's name, the edge "a -> b", or the host
  std::string path;         ///< from the root: "fault 'x' -> search -> [host app-2] -> recommendations"
};

/// The whole analysis of one run.
struct CascadeReport {
  double baseline_from = 0, baseline_to = 0;      ///< the bins the baseline comes from (seconds)
  bool has_baseline = false;                      ///< false: too few bins before the trigger, latency not judged
  double trigger_start = NAN, trigger_end = NAN;  ///< the span of the faults and load changes; NaN: none
  int64_t bins = 0;
  double bin_width = 1;
  std::vector<int8_t> service_health;        ///< [bin * services + service], Health values
  std::vector<int8_t> request_health;        ///< [bin * request types + type]
  std::vector<PropagationNode> propagation;  ///< by onset
  std::vector<JournalEntry> journal;         ///< by time
  std::vector<uint32_t> touched;             ///< services a fault or a load change touches directly
  double blast_radius_requests = 0;          ///< failed / ended requests from the trigger's start to the end
  double blast_radius_types = 0;             ///< share of request types unhealthy at some point after the trigger
  double time_to_detect = NAN;               ///< first onset - trigger start
  double recovery_time = NAN;                ///< from the trigger's end until all stayed healthy `stable` s (MTTR)
  bool recovered = false;
  double metastable_after = 0;  ///< the setting the verdict was judged with (seconds)
  RecoveryVerdict verdict;      ///< after the trigger: recovered, recovering (a drain) or sustained (a loop)
  int metastable = -1;          ///< 1 the verdict is Sustained; 0 Recovered or Recovering; -1 cannot tell or no trigger
  double peak_unhealthy_share = 0;  ///< largest share of services unhealthy in one bin
  int64_t emergent = 0;             ///< propagation nodes with cause Emergent
  std::string dot;                  ///< the propagation graph in Graphviz DOT

  [[nodiscard]] Health service(int64_t bin, size_t s, size_t services) const {
    return static_cast<Health>(service_health[static_cast<size_t>(bin) * services + s]);
  }
};

/// Analyses one finished run.
CascadeReport analyze_cascade(const System& system, const AnalysisSpec& spec, const RunSeries& series);

/// The report for a terminal: propagation table, blast radius, recovery, and the journal: every
/// entry with `whole_journal`, else the first entry of each category.
std::string format_cascade_report(const System& system, const CascadeReport& report, bool whole_journal = false);

}  // namespace rapture
