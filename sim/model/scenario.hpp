#pragma once
/// A scenario: what to simulate on a topology — duration, seed, request types, workload,
/// per-kind defaults and per-service overrides, and the platform. Plain data, filled by
/// io/scenario_reader from YAML and checked against the topology by model/system.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/text.hpp"
#include "model/design/design_spec.hpp"
#include "model/distribution.hpp"
#include "model/policy/circuit_breaker.hpp"
#include "model/policy/load_shedding.hpp"
#include "model/policy/outlier_detector.hpp"
#include "model/policy/retry_budget.hpp"
#include "model/policy/retry_policy.hpp"
#include "model/policy/retry_quota.hpp"
#include "model/topology.hpp"

namespace rapture {

/// Per-edge settings from the scenario, overriding the topology's edge attributes.
struct EdgeOverride {
  std::string from, to;
  std::optional<CallMode> mode;
  std::optional<double> probability;
  std::optional<int64_t> calls;
  std::optional<std::string> group;
  std::optional<bool> active;
  std::optional<bool> critical;
  SourceLocation where;

  /// Sets the fields this override gives on `edge`.
  void apply_to(CallEdge& edge) const {
    if (mode) edge.mode = *mode;
    if (probability) edge.probability = *probability;
    if (calls) edge.calls = *calls;
    if (group) edge.group = *group;
    if (active) edge.active = *active;
    if (critical) edge.critical = *critical;
  }
};

/// A request type: where it enters and which calls it makes.
struct RequestTypeSpec {
  std::string name;
  std::string entry;  ///< entry service
  /// When non-empty, the request follows only these edges ("from -> to"); otherwise every
  /// active edge reachable from the entry.
  std::vector<std::pair<std::string, std::string>> only_edges;
  /// Edges this request never takes.
  std::vector<std::pair<std::string, std::string>> skip_edges;
  /// Edge settings for this request type only, over the scenario's `edges` (e.g. a checkout
  /// request always calls checkout although the topology says 4 % of visits do).
  std::vector<EdgeOverride> calls;
  /// Cell-based designs: the entry's copy in each cell, by cell (empty: not routed to cells).
  std::vector<std::string> cell_entries;
  SourceLocation where;
};

/// An arrival rate that changes over time: `base` outside the segments; inside a segment the
/// rate goes linearly from `rate_start` to `rate_end` (equal for a step or a spike).
struct RateProfile {
  struct Segment {
    double start = 0, end = 0;            ///< seconds; [start, end)
    double rate_start = 0, rate_end = 0;  ///< per second
  };
  /// An instantaneous burst: `count` requests sent at the same time `at`, on top of the rate (a
  /// retry wave, a cron job, a reconnect storm after a partition heals).
  struct Burst {
    double at = 0;      ///< seconds
    int64_t count = 0;  ///< requests, >= 1
  };
  double base = 0;
  std::vector<Segment> segments;  ///< sorted, non-overlapping
  std::vector<Burst> bursts;      ///< in the order written

  /// The rate at time t.
  [[nodiscard]] double at(double t) const {
    for (const auto& s : segments) {
      if (t >= s.start && t < s.end) {
        if (s.rate_start == s.rate_end || s.end <= s.start) return s.rate_start;
        return s.rate_start + (s.rate_end - s.rate_start) * (t - s.start) / (s.end - s.start);
      }
    }
    return base;
  }
  /// An upper bound of the rate over all time.
  [[nodiscard]] double max() const {
    double m = base;
    for (const auto& s : segments) m = std::max({m, s.rate_start, s.rate_end});
    return m;
  }
};

/// One source of requests.
struct WorkloadSpec {
  enum class Kind { Poisson, Closed };
  Kind kind = Kind::Poisson;
  /// Request types and their weights in the mix (one entry for a single type).
  std::vector<std::pair<std::string, double>> mix;
  RateProfile rate;                   ///< Poisson: arrivals per second over time
  int64_t users = 0;                  ///< Closed: concurrent users
  std::optional<Distribution> think;  ///< Closed: think time between a response and the next request
  /// Users (tenants) behind the source: each request comes from one, drawn uniformly (Poisson;
  /// default 1000) or is its closed-loop user. A cell router places tenants in cells.
  std::optional<int64_t> tenants;
  SourceLocation where;
};

/// A simulated machine (or a group of identical ones when `count` > 1: name-0, name-1, ...).
struct HostSpec {
  std::string name;
  double speed = 1e9;  ///< flop/s of one core
  int64_t cores = 1;
  int64_t count = 1;
  SourceLocation where;
};

/// The platform replicas run on. Without hosts, each replica gets a dedicated host of the
/// reference speed with one core per worker (no contention).
struct PlatformSpec {
  std::vector<HostSpec> hosts;
  /// Placement: service -> hosts (or host groups); replica i goes to the i-th host, cycling.
  std::vector<std::pair<std::string, std::vector<std::string>>> placement;
  std::vector<SourceLocation> placement_where;  ///< where each entry of `placement` is written
  double hop_latency = 100e-6;                  ///< one-way latency of a network hop between two hosts
  double bandwidth = 0;                         ///< bytes/s of each host's link; 0: unlimited (latency only)
  double reference_speed = 1e9;                 ///< service times are CPU demands measured on a core of this speed
};

/// Tolerance policies of the synchronous calls on an edge, caller side. Every field is
/// optional so that defaults (all edges, then by callee kind) and per-edge settings layer.
struct PolicySpec {
  std::optional<RetryPolicy> retry;                 ///< retries (and a preset's timeouts)
  std::optional<double> per_try_timeout, deadline;  ///< `timeout:` settings, layered on their own
  std::optional<bool> propagate_deadline, cancel_on_timeout;
  std::optional<RetryBudget> budget;
  std::optional<RetryQuotaConfig> retry_quota;  ///< the AWS SDKs' retry circuit breaker: gates retries only
  std::optional<CircuitBreakerConfig> circuit_breaker;
  bool no_retry_quota = false;      ///< `retry_quota: none`: no quota on these calls, whatever a level above says
  bool no_circuit_breaker = false;  ///< `circuit_breaker: none`: no breaker on these calls, whatever a level above says
  std::optional<bool> fallback;     ///< on failure or open circuit, answer degraded
  std::optional<int64_t> bulkhead;  ///< max concurrent calls per caller replica; 0 = none
  SourceLocation where;

  /// Fields set in `over` replace those here.
  void overlay(const PolicySpec& over) {
    if (over.any()) where = over.where;
    if (over.retry) retry = over.retry;
    if (over.per_try_timeout) per_try_timeout = over.per_try_timeout;
    if (over.deadline) deadline = over.deadline;
    if (over.propagate_deadline) propagate_deadline = over.propagate_deadline;
    if (over.cancel_on_timeout) cancel_on_timeout = over.cancel_on_timeout;
    if (over.budget) budget = over.budget;
    if (over.retry_quota || over.no_retry_quota) {
      retry_quota = over.retry_quota;
      no_retry_quota = over.no_retry_quota;
    }
    if (over.circuit_breaker || over.no_circuit_breaker) {
      circuit_breaker = over.circuit_breaker;
      no_circuit_breaker = over.no_circuit_breaker;
    }
    if (over.fallback) fallback = over.fallback;
    if (over.bulkhead) bulkhead = over.bulkhead;
  }
  [[nodiscard]] bool any() const {
    return retry || per_try_timeout || deadline || budget || retry_quota || circuit_breaker || fallback || bulkhead ||
           no_retry_quota || no_circuit_breaker;
  }
};

/// Protection of a service on the callee side.
struct ProtectionSpec {
  std::string service;
  std::optional<OutlierConfig> outlier_ejection;  ///< callers eject its failing replicas
  std::optional<AdmissionConfig> admission;       ///< entry admission control
  enum class Shedding { None, CoDel, AdaptiveLifo };
  Shedding shedding = Shedding::None;
  SourceLocation where;
};

/// A fault on the timeline: what, where, from when to when.
struct FaultSpec {
  enum class Kind {
    Crash,
    Latency,
    Error,
    Slowdown,
    QueueShrink,
    WorkerShrink,
    HostFailure,
    Swallow,
    LoadSpike,
    LinkDegradation,
    Partition,
    MixShift,
    CacheFlush
  };
  std::string name;
  Kind kind = Kind::Crash;
  /// A service, an edge "a -> b" (latency), a host (slowdown, host_failure, link_degradation,
  /// partition) or a workload index (load_spike, mix_shift; empty: all).
  std::string target;
  std::optional<int64_t> replica;  ///< crash: one replica of the service instead of all
  /// Cell-based designs: the cell whose copy of the target service it hits (default 0: a cell is
  /// a failure domain); -1: every cell.
  std::optional<int64_t> cell;
  double start = 0;
  double end = INFINITY;                ///< start + duration (crash: + restart time)
  std::optional<Distribution> latency;  ///< latency: added to each visit's processing
  double error_rate = 0;                ///< error: share of visits failing after computing
  double factor = 1;                    ///< slowdown: CPU speed multiplier (< 1); load_spike: rate multiplier
  int64_t size = 0;                     ///< queue_shrink: queue capacity; worker_shrink: workers per replica
  std::vector<std::pair<std::string, double>> mix;  ///< mix_shift: the request mix while it lasts
  double share = 1;                                 ///< cache_flush: share of the cached keys dropped
  SourceLocation where;

  /// True for the kinds aimed at a service (a latency fault: a service or a call).
  [[nodiscard]] bool targets_service() const {
    return kind == Kind::Crash || kind == Kind::Latency || kind == Kind::Error || kind == Kind::QueueShrink ||
           kind == Kind::WorkerShrink || kind == Kind::Swallow || kind == Kind::CacheFlush;
  }
  /// A latency fault's call "caller -> callee", split and trimmed; nullopt when it names a
  /// service. The scenario reader rejects a target with an arrow that is not one such call.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> target_call() const {
    if (kind != Kind::Latency) return std::nullopt;
    return text::split_edge(target);
  }
};

/// How the cascade analysis judges a run (scenario section `analysis:`). A service or request
/// type is compared bin by bin with its own baseline: the measured bins before the first fault.
struct AnalysisSpec {
  double degraded_error = 0.05;   ///< error share above the baseline's by more than this: degraded
  double failed_error = 0.5;      ///< error share above this: failed
  double latency_factor = 3;      ///< mean latency above this multiple of the baseline's: degraded
  double queue_saturation = 0.8;  ///< waiting visits above this share of the queue places: saturated (degraded)
  int64_t min_samples = 10;       ///< visits a bin needs before its error share or latency is judged
  int64_t onset_bins = 2;         ///< consecutive unhealthy bins that make an onset (one bin can be noise)
  double stable = 5;              ///< seconds all must stay healthy to count as recovered
  double metastable_after = 60;   ///< not recovered this long after the trigger ended: metastable
  double retry_spike = 0.1;       ///< retries per call above the baseline's by more than this: a retry spike
  double surge_factor = 1.5;      ///< arrivals above this multiple of the baseline's: a load surge
  double hot_spot_share =
      0.5;  ///< a failing root service on more than this share of the failing request types: a hot spot
  SourceLocation where;
};

/// One probe of a steady-state hypothesis (Chaos Toolkit style): a measured quantity over a
/// window, compared with a tolerance.
struct ProbeSpec {
  enum class Metric {
    ErrorRate,      ///< failed / ended requests in the window
    Goodput,        ///< successful requests per second in the window
    LatencyP99,     ///< the worst one-bin p99 of the window (end-to-end, successes)
    LatencyMean,    ///< mean latency of successes in the window
    RecoveryTime,   ///< seconds from the trigger's end until all is healthy (the simulated MTTR)
    UnhealthyShare  ///< largest share of services unhealthy at once in the window
  };
  enum class Window { Whole, Steady, DuringFault, AfterFault };
  std::string name;
  Metric metric = Metric::ErrorRate;
  std::string request;  ///< a request type; empty: all
  Window window = Window::Whole;
  std::optional<double> below, above;  ///< the tolerance: value < below and/or value > above
  SourceLocation where;
};

/// A steady-state hypothesis: what must hold for the experiment to count as survived.
struct HypothesisSpec {
  std::string title;
  std::vector<ProbeSpec> probes;
};

/// Bounds that stop a run whose state explodes; the run keeps what it measured.
struct Limits {
  int64_t max_in_flight = 2'000'000;  ///< requests (service visits) alive at once
};

/// A service whose errors and latency worsen over the run (a decay layer's legacy path).
struct ServiceDecay {
  std::string service;
  Ramp error_rate;  ///< share of visits failing
  Ramp latency;     ///< seconds added to each visit
};

/// Something the reader changed or assumed that the user should know, though it is no error
/// (gRPC's preset lowering max_attempts to 5); commands print `note: file:line: element: text`.
struct ScenarioNote {
  SourceLocation where;  ///< the value it is about
  std::string text;      ///< what happened, e.g. "max_attempts 8 lowered to 5, as gRPC clamps ..."
};

struct Scenario {
  std::string name;
  std::string file;           ///< path of the YAML file
  std::string text;           ///< the YAML text as read (provenance)
  std::string topology_path;  ///< resolved relative to the scenario file
  double duration = 60;       ///< simulated seconds
  double warmup = 0;          ///< seconds excluded from the summary
  double bin_width = 1;       ///< seconds per time-series bin
  uint64_t seed = 1;
  std::vector<RequestTypeSpec> requests;
  std::vector<WorkloadSpec> workload;
  std::array<ServiceParams, kServiceKinds> kind_defaults;       ///< indexed by ServiceKind
  std::vector<std::pair<std::string, ServiceParams>> services;  ///< per-service overrides
  std::vector<SourceLocation> service_where;                    ///< location of each entry of `services`
  std::vector<EdgeOverride> edges;
  PlatformSpec platform;
  Limits limits;
  /// Policies: for every sync edge, then by the callee's kind, then per edge ("from -> to").
  PolicySpec policy_all;
  std::array<PolicySpec, kServiceKinds> policy_by_kind;
  std::vector<std::pair<std::pair<std::string, std::string>, PolicySpec>> policy_edges;
  std::vector<ProtectionSpec> protections;
  std::vector<FaultSpec> faults;
  AnalysisSpec analysis;
  std::optional<HypothesisSpec> hypothesis;
  std::vector<DesignSpec> designs;  ///< the variants `rapture compare` runs besides the baseline
  /// Where each entry of each design's `set` is written, by design name, in the order of DesignSpec::set.
  std::vector<std::pair<std::string, std::vector<SourceLocation>>> design_set_where;
  std::vector<ScenarioNote> notes;  ///< what the user should be told about the scenario as read, in file order
  // Filled by applying a design (model/design/design), not read from YAML:
  std::string design = "baseline";  ///< the design this scenario describes
  int64_t cells = 0;                ///< cell count of a cell-based design; 0: no cells
  bool shuffle_sharding = false;
  std::vector<ServiceDecay> decays;
};

}  // namespace rapture
