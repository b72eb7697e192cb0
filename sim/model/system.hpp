#pragma once
/// The system to simulate: a topology and a scenario merged, checked against each other and
/// flattened into integer-indexed tables (services, replicas, hosts, call plans) so that the
/// simulation never looks up a name or follows a graph edge while it runs.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/distribution.hpp"
#include "model/scenario.hpp"
#include "model/topology.hpp"

namespace rapture {

/// A machine replicas run on.
struct HostConfig {
  std::string name;
  std::vector<double> speed_levels{1.0};  ///< speed multipliers the faults need (SimGrid pstates); [0] = 1
  double speed = 1e9;                     ///< flop/s per core
  int64_t cores = 1;
  int64_t workers = 0;  ///< worker threads of all replicas placed on it
  /// More workers than cores: executions share the cores through SimGrid's CPU model;
  /// otherwise each one runs at full speed and is a plain timer.
  [[nodiscard]] bool contended() const { return workers > cores; }
};

/// Callee-side protection of a service, resolved.
struct ServiceProtection {
  std::optional<OutlierConfig> outlier_ejection;
  std::optional<AdmissionConfig> admission;
  ProtectionSpec::Shedding shedding = ProtectionSpec::Shedding::None;
};

/// A service with every parameter resolved.
struct ServiceConfig {
  std::string name;
  ServiceKind kind = ServiceKind::Service;
  int64_t replicas = 1, workers = 1, queue_capacity = 0;
  Distribution service_time;
  QueueDiscipline discipline = QueueDiscipline::Fifo;
  Balancer balancer = Balancer::RoundRobin;
  double error_rate = 0;                ///< share of visits that fail with cause `injected` after computing
  LoadCost load_cost;                   ///< the demand's multiplier as a function of the replica's load
  bool decaying = false;                ///< a decay layer's legacy service: the ramps below apply
  Ramp decay_error;                     ///< share of visits failing over time (on top of error_rate)
  Ramp decay_latency;                   ///< seconds added to each visit over time
  std::vector<uint32_t> replica_hosts;  ///< host index of each replica
  ServiceProtection protection;
  uint32_t cache = 0xffffffffu;  ///< a stateful look-aside cache: index into System::caches; kNone otherwise
};

/// A stateful look-aside cache, resolved: the service that is the cache and the backend it calls
/// on a miss (its key space, capacity, eviction and TTL in `spec`).
struct CacheConfig {
  uint32_t service = 0, backend = 0;
  CacheSpec spec;
};

/// Resolved tolerance policies of one edge's synchronous calls (caller side).
struct EdgePolicy {
  std::string name;  ///< "caller -> callee"
  uint32_t caller = 0, callee = 0;
  RetryPolicy retry;                                    ///< max_attempts 1 and no timeouts when not configured
  std::optional<RetryBudget> budget;                    ///< prototype: each caller replica gets its own copy
  std::optional<RetryQuotaConfig> retry_quota;          ///< one quota per caller replica
  std::optional<CircuitBreakerConfig> circuit_breaker;  ///< one breaker per caller replica
  bool fallback = false;
  int64_t bulkhead = 0;  ///< max concurrent calls per caller replica; 0 = none
};

/// An absent index: no policy on a call, no parent visit, no user, no target of a fault.
inline constexpr uint32_t kNone = 0xffffffffu;

/// A fault with its target resolved to indices (kNone where not applicable).
struct FaultConfig {
  FaultSpec spec;
  uint32_t service = kNone;            ///< crash, latency, error, queue/worker shrink, swallow
  uint32_t replica = kNone;            ///< crash of one replica (global index); kNone: all of the service
  uint32_t host = kNone;               ///< slowdown, host failure
  uint32_t workload = kNone;           ///< load spike or mix shift of one source; kNone: all
  uint32_t caller = kNone;             ///< latency on an edge: caller and callee services
  std::vector<uint32_t> mix_types;     ///< mix shift: request types
  std::vector<double> mix_cumulative;  ///< mix shift: cumulative weights ending at 1
};

/// One call a service makes during a visit.
struct CallConfig {
  uint32_t callee = 0;
  CallMode mode = CallMode::Sync;
  double probability = 1;
  uint32_t count = 1;
  bool critical = true;
  double request_bytes = 0, response_bytes = 0;
  uint32_t policy = kNone;  ///< index into System::edge_policies
  /// A stateful cache's call to its backend (index into System::caches), made on a miss only: the
  /// edge's `probability` does not apply. kNone for every other call.
  uint32_t cache = kNone;
};

/// Calls issued together: a sequential stage holds one call (made `count` times, one after
/// the other); a parallel stage holds a fan-out group, all issued at once and joined.
struct CallStage {
  uint32_t first_call = 0, call_count = 0;
  bool sequential = true;
};

/// What a visit of one request type to one service does after computing.
struct CallPlan {
  uint32_t first_stage = 0, stage_count = 0;
};

struct RequestTypeConfig {
  std::string name;
  uint32_t entry = 0;
  std::vector<uint32_t> cell_entries;  ///< cell-based design: the entry's copy in each cell; empty: `entry`
};

/// A workload source with names resolved.
struct WorkloadConfig {
  WorkloadSpec::Kind kind = WorkloadSpec::Kind::Poisson;
  std::vector<uint32_t> mix_types;     ///< request type indices
  std::vector<double> mix_cumulative;  ///< cumulative weights, normalised to end at 1
  RateProfile rate;
  int64_t users = 0;
  Distribution think;
  std::string label;          ///< for random-stream keys: "workload[i]"
  uint32_t tenants = 1;       ///< users behind the source
  uint32_t first_tenant = 0;  ///< tenant ids are global: this source's are first_tenant + [0, tenants)
};

struct System {
  std::string name;
  uint64_t seed = 1;
  double duration = 0, warmup = 0, bin_width = 1;
  double reference_speed = 1e9;
  double hop_latency = 0;
  double bandwidth = 0;  ///< 0: unlimited
  Limits limits;
  std::vector<ServiceConfig> services;
  std::vector<HostConfig> hosts;
  std::vector<RequestTypeConfig> request_types;
  std::vector<WorkloadConfig> workload;
  std::vector<CallConfig> calls;
  std::vector<CallStage> stages;
  std::vector<CallPlan> plans;  ///< [request type * services + service]
  std::vector<EdgePolicy> edge_policies;
  std::vector<FaultConfig> faults;
  std::vector<CacheConfig> caches;  ///< the stateful look-aside caches
  uint32_t tenants = 0;             ///< over all sources
  uint32_t cells = 0;               ///< cell-based design: the cell count; 0: no cell router
  bool shuffle_sharding = false;    ///< each tenant on a pair of cells, one picked per request
  /// Users are judged over the faults' span: a user whose share of failed requests there is above
  /// `user_failing_share` is a failing user (the share of users a failure reaches).
  double user_window_start = INFINITY, user_window_end = INFINITY;
  double user_failing_share = 0.05;

  [[nodiscard]] const CallPlan& plan(uint32_t request_type, uint32_t service) const {
    return plans[static_cast<size_t>(request_type) * services.size() + service];
  }
  /// True when some host's executions need SimGrid's CPU model.
  [[nodiscard]] bool any_contended_host() const;
  /// True when some call carries bytes over a bandwidth-limited network.
  [[nodiscard]] bool uses_bandwidth() const;
};

/// The parameters build_system resolves for a service: built-in kind defaults < the scenario's
/// kind defaults < the topology's attributes < the scenario's per-service settings.
ServiceParams resolved_params(const ServiceNode& node, const Scenario& scenario);

/// Bytes the tables of `system`'s stateful caches take (LookAsideCache::memory_bytes_for each
/// capacity): the memory estimate's share for them, bounded by the capacities, not the key spaces.
double cache_table_bytes(const System& system);

/// Merges and checks; throws InputError naming the scenario or topology location of the
/// first problem (unknown names, a call cycle a request would follow, absurd sizes).
System build_system(const Topology& topology, const Scenario& scenario);

}  // namespace rapture
