#pragma once
/// The request-flow model: open- and closed-loop sources send requests into the entry
/// services; each visit waits in its replica's bounded queue (a full queue rejects it:
/// queue overflow), holds a worker while it computes and while its synchronous calls are
/// outstanding (the mechanism of thread-pool exhaustion), then replies to its caller.
/// Event-driven: every state change is an event in one heap; nothing allocates per event
/// once the pools have grown. Time on uncontended resources is a plain delay; contended CPU
/// and bandwidth are delegated to a ResourceBackend (SimGrid, in engine/).

#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model/event_queue.hpp"
#include "model/log_histogram.hpp"
#include "model/policy/circuit_breaker.hpp"
#include "model/policy/load_shedding.hpp"
#include "model/policy/outlier_detector.hpp"
#include "model/policy/retry_budget.hpp"
#include "model/random_stream.hpp"
#include "model/ring_queue.hpp"
#include "model/run_result.hpp"
#include "model/system.hpp"

namespace rapture {

/// Where contended CPU time and bandwidth are simulated. The backend calls
/// `Simulation::resume(token)` when an activity it started completes.
class ResourceBackend {
 public:
  virtual ~ResourceBackend() = default;
  /// Starts executing `flops` on `host`.
  virtual void start_exec(uint32_t host, double flops, uint64_t token) = 0;
  /// Starts moving `bytes` from host `from` to host `to`.
  virtual void start_transfer(uint32_t from, uint32_t to, double bytes, uint64_t token) = 0;
  /// Runs `host` at its speed level `level` (HostConfig::speed_levels) from now on.
  virtual void set_speed_level(uint32_t host, uint32_t level) = 0;
  /// Sets the bandwidth of `host`'s link to `factor` times the platform's.
  virtual void set_link_factor(uint32_t host, double factor) = 0;
};

class Simulation {
 public:
  /// `backend` may be null when no host is contended and the network has no bandwidth limit.
  Simulation(const System& system, BinSink& sink, ResourceBackend* backend);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Current simulated time, in seconds.
  [[nodiscard]] double now() const { return now_; }
  /// Time of the next scheduled event; +inf when none.
  [[nodiscard]] double next_event_time() const { return events_.next_time(); }
  /// Processes events up to time `until` (inclusive). Returns early, with true, right after
  /// an event that started a backend activity, so that the engine can wait on it.
  bool run_until(double until);
  /// Processes the next event.
  void step();
  /// Continues the visit whose backend activity `token` completed at time `at`.
  void resume(double at, uint64_t token);
  /// True once a limit stopped the run.
  [[nodiscard]] bool stopped() const { return stopped_; }
  /// Closes the last bin at `end` and returns the totals.
  RunTotals finish(double end);
  /// Events processed so far.
  [[nodiscard]] uint64_t events() const { return event_count_; }
  /// Called every ~2^18 events with the simulated time (progress display).
  void on_progress(std::function<void(double)> callback) { progress_ = std::move(callback); }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  /// One visit of a request to a service.
  struct Job {
    uint32_t parent;       ///< caller's job, kNone for the entry visit
    uint32_t service;
    uint32_t replica;      ///< global replica index
    uint32_t stage;        ///< current call stage
    uint32_t repeat_left;  ///< calls still to make in the current sequential stage
    uint32_t pending;      ///< synchronous calls outstanding
    uint32_t user;         ///< closed-loop user, kNone for open-loop
    uint32_t tenant;       ///< entry visit: the user (tenant) the request comes from
    uint32_t call;         ///< the policy-managed call this visit is a try of, kNone otherwise
    uint32_t orphan_edge;  ///< orphan: the edge whose caller gave up on it (its reply comes late)
    uint16_t request_type;
    ErrorCause cause;
    bool failed;
    bool sync;             ///< the caller waits for the reply
    bool critical;         ///< a failure fails the caller
    bool orphan;           ///< its caller gave up on it (timeout): its work is wasted
    bool cancelled;        ///< orphaned with cancellation: dropped before it computes
    bool degraded;         ///< a fallback answered somewhere below it
    bool delayed;          ///< its injected latency has been served
    bool swallowed;        ///< finished at a swallowing service: its reply will never be sent
    bool inproc;           ///< an in-process call: runs on its caller's replica and worker
    uint32_t epoch;        ///< its replica's epoch when it started: a crash since makes it dead
    double arrive_time;    ///< at the service
    double request_start;  ///< entry visit only: when the request was sent
    double response_bytes;
    double demand;         ///< CPU demand of its computation (reference seconds)
    double deadline;       ///< propagated deadline (absolute time), +inf when none
  };

  /// A synchronous call under tolerance policies: its tries, timers and outcome.
  struct Call {
    uint32_t parent;     ///< caller's job
    uint32_t policy;     ///< index into System::edge_policies
    uint32_t slot;       ///< caller replica within its service: selects breaker, budget, bulkhead
    uint32_t current;    ///< the try in flight, kNone while backing off
    uint32_t attempts;   ///< tries sent so far
    uint32_t try_gen;    ///< generation of the current try's timeout
    uint32_t serial;     ///< generation of the call (deadline and retry timers)
    const CallConfig* config;
    bool retry_slot;     ///< holds a retry-budget slot (a retry decided and not yet ended)
    double start, deadline_at, try_start, last_backoff;
  };

  struct Replica {
    uint32_t service, host;
    uint32_t workers, busy = 0;
    uint32_t queue_capacity;
    uint32_t outstanding = 0;  ///< sent to it and not yet answered (least-outstanding balancing)
    bool lifo;
    bool contended;
    bool down = false;        ///< crashed (a crash or host failure is active)
    uint32_t epoch = 0;       ///< incremented by each crash: visits of an older epoch died with it
    uint32_t killed = 0;      ///< visits killed by a crash that have not reached their end yet
    uint32_t base_workers, base_queue;  ///< without faults
    double time_factor;  ///< seconds of wall time per second of reference CPU demand
    RingQueue<> queue;
  };

  struct ServiceState {
    uint32_t first_replica = 0, replica_count = 0;
    uint32_t next_rr = 0;
    uint32_t queued = 0, busy = 0;  ///< over all replicas
    uint32_t inproc_live = 0;       ///< in-process visits computing (on their callers' workers)
    double last_change = 0;
    RandomStream service_time_rng, balancer_rng, calls_rng;
    // Current bin.
    ServiceBinRow row;
    double bin_queue_area = 0, bin_busy_area = 0;
    LogHistogram bin_latency;
    // Whole run, and snapshots at the end of the warm-up.
    ServiceTotals totals;
    double queue_area = 0, busy_area = 0, queue_area_warm = 0, busy_area_warm = 0;
    uint64_t arrivals_warm = 0;
    double latency_sum = 0;
    uint64_t latency_count = 0;
    double wasted_cpu = 0;
    std::optional<OutlierDetector> outlier;
    std::optional<AdmissionControl> admission;
    double fault_error_keep = 1;    ///< product of (1 - p) over the active error faults
    uint32_t swallowing = 0;        ///< active swallow faults: replies are never sent
    std::vector<const Distribution*> latency_faults;  ///< active latency faults
    uint32_t outlier_timer_gen = 0;
    double outlier_timer_at = INFINITY;
  };

  /// Runtime state of one edge with policies; breakers, budgets and bulkheads are per caller replica.
  struct EdgeState {
    uint32_t first_slot = 0;  ///< index of caller replica 0's breaker/budget/bulkhead
    uint32_t slots = 0;
    EdgeBinRow row;
  };

  struct RequestState {
    RequestBinRow row;
    LogHistogram bin_latency, latency;
    uint64_t successes = 0, failures = 0, degraded = 0;
  };

  struct Source {
    RandomStream arrival_rng, mix_rng, think_rng, tenant_rng, cell_rng;
    double max_rate = 0;
  };

  Job& job(uint32_t id) { return chunks_[id >> kChunkBits][id & kChunkMask]; }
  uint32_t new_job();
  void free_job(uint32_t id);

  void schedule(double t, EventKind kind, uint32_t id, uint32_t gen = 0) { events_.push(t, kind, id, gen); }
  void dispatch(const Event& e);
  void on_arrival(uint32_t source);
  void on_user_wake(uint32_t user);
  void start_request(uint32_t source, uint32_t user);
  uint32_t pick_replica(uint32_t service);
  /// The cell the router sends a request of `tenant` to.
  uint32_t cell_of(uint32_t tenant, RandomStream& rng) const;
  void send(uint32_t caller, const CallConfig& call, double bytes);
  uint32_t send_try(uint32_t caller, const CallConfig& call, uint32_t call_id);
  // Tolerance policies (simulation_tolerance.cpp).
  void init_tolerance();
  void start_call(uint32_t caller, const CallConfig& call);
  void send_attempt(uint32_t call_id);
  void on_try_reply(uint32_t job_id);
  void on_try_timeout(uint32_t call_id, uint32_t gen);
  void on_call_deadline(uint32_t call_id, uint32_t gen);
  void try_failed(uint32_t call_id, ErrorCause cause);
  void finish_call(uint32_t call_id, bool ok, ErrorCause cause, bool degraded);
  void abandon_try(Call& c, bool retryable_timeout);
  void end_retry_slot(Call& c);
  [[nodiscard]] bool retryable(const Call& c, ErrorCause cause) const;
  void record_breaker(uint32_t breaker);
  void on_breaker_timer(uint32_t breaker, uint32_t gen);
  void on_outlier_timer(uint32_t service, uint32_t gen);
  void record_outlier(uint32_t replica, bool server_error);
  bool replica_ejected(uint32_t service, uint32_t local) const;
  uint32_t new_call();
  void close_edge_bins();
  // Faults (simulation_faults.cpp).
  void init_faults();
  void on_fault(uint32_t fault, bool starts);
  void refresh_service_faults(uint32_t service);
  void refresh_host_faults(uint32_t host);
  [[nodiscard]] bool dead(const Job& j) const { return replicas_[j.replica].epoch != j.epoch; }
  /// Network time from host `from` to `to` with the active network faults; sets `lost` when a
  /// partition drops the message. `caller`/`callee` select edge latency (kNone for replies).
  double transit(uint32_t from, uint32_t to, uint32_t caller, uint32_t callee, bool& lost);
  void add_timer(uint32_t lane, double at, uint32_t call_id, uint32_t gen);
  void on_lane(uint32_t lane);
  void arrive(uint32_t job_id);
  void start_service(uint32_t job_id);
  void on_computed(uint32_t job_id);
  void advance(uint32_t job_id);
  void complete(uint32_t job_id);
  void start_next(uint32_t replica);
  void reject(uint32_t job_id, ErrorCause cause);
  void reply(uint32_t job_id);
  void on_reply(uint32_t job_id);
  void end_request(const Job& j);
  void touch(ServiceState& s);
  void close_bin(double end);
  void check_limits();
  double hop(uint32_t from_host, uint32_t to_host) const {
    return from_host == to_host ? 0.0 : system_.hop_latency;
  }

  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkMask = (1u << kChunkBits) - 1;

  const System& system_;
  BinSink& sink_;
  ResourceBackend* backend_;
  EventQueue events_;
  double now_ = 0;
  uint64_t event_count_ = 0;
  bool activity_started_ = false;
  bool stopped_ = false;
  bool measuring_ = false;
  std::string stop_reason_;
  int64_t bin_index_ = 0;
  double bin_start_ = 0;

  std::vector<std::unique_ptr<Job[]>> chunks_;
  std::vector<uint32_t> free_jobs_;
  uint32_t jobs_allocated_ = 0;
  uint64_t jobs_live_ = 0;

  std::vector<Replica> replicas_;
  std::vector<ServiceState> services_;
  std::vector<RequestState> requests_;
  std::vector<Source> sources_;
  std::vector<uint32_t> user_source_;  ///< closed-loop user -> workload source
  std::vector<EdgeState> edges_;
  std::vector<std::optional<CircuitBreaker>> breakers_;   ///< by slot
  std::vector<std::optional<RetryBudget>> budgets_;       ///< by slot
  std::vector<uint32_t> bulkhead_in_use_;                 ///< by slot
  std::vector<uint32_t> slot_edge_;                       ///< slot -> edge
  std::vector<uint32_t> breaker_timer_gen_;
  std::vector<double> breaker_timer_at_;
  std::vector<CircuitEvent> circuit_events_;
  std::vector<EdgeBinRow> edge_rows_;
  std::vector<EdgeBinRow> edge_totals_;
  std::vector<uint64_t> circuit_openings_;
  /// Timers of constant length expire in the order they were set: each edge keeps its try
  /// timeouts (lane 2e) and deadlines (lane 2e+1) in a FIFO and only the earliest of each is
  /// in the event heap, instead of one heap entry per call (most of which would be stale).
  struct TimerEntry {
    double at;
    uint32_t call, gen;
  };
  struct TimerLane {
    RingQueue<TimerEntry> entries;
    bool scheduled = false;
  };
  std::vector<TimerLane> lanes_;
  std::deque<Call> calls_;
  std::vector<uint32_t> free_calls_;
  uint32_t next_gen_ = 1;
  std::vector<uint64_t> visits_;  ///< [request type * services + service], after warm-up
  double wasted_cpu_ = 0;
  std::vector<std::optional<CoDel>> codel_;                ///< by replica
  std::vector<std::optional<AdaptiveLifo>> adaptive_lifo_; ///< by replica
  std::vector<bool> fault_active_;
  uint32_t network_faults_ = 0;      ///< active faults on edges and links
  std::vector<uint32_t> mix_fault_;  ///< by workload source: the active mix shift, or kNone
  RandomStream fault_rng_;
  std::vector<double> rate_factor_;  ///< by workload source: product of active load spikes
  std::vector<uint32_t> tenant_requests_, tenant_failures_;  ///< by tenant, over the faults' span
  std::vector<ServiceBinRow> service_rows_;
  std::vector<RequestBinRow> request_rows_;
  std::function<void(double)> progress_;
};

}  // namespace rapture
