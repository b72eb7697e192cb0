#pragma once
/// The request flow: open- and closed-loop sources send requests into the entry services;
/// each visit waits in its replica's bounded queue (a full queue rejects it: queue
/// overflow), holds a worker while it computes and while its synchronous calls are
/// outstanding (the mechanism of thread-pool exhaustion), then replies to its caller.
/// Calls under tolerance policies go through CallPolicies, which sends their tries back
/// through here; what happens is reported to the RunMeter.

#include <cstdint>
#include <string>
#include <vector>

#include "model/cache/key_space.hpp"
#include "model/cache/look_aside_cache.hpp"
#include "model/flow/callee_protection.hpp"
#include "model/flow/resource_backend.hpp"
#include "model/flow/run_meter.hpp"
#include "model/flow/scheduler.hpp"
#include "model/flow/visit.hpp"
#include "model/random_stream.hpp"
#include "model/ring_queue.hpp"
#include "model/system.hpp"

namespace rapture {

class CallPolicies;
class FaultTimeline;

/// Least wait of a closed-loop user after a failed request before its next one (its think time
/// when longer): a client's back-off after an error (docs/scenario-format.md, `closed`).
inline constexpr double kClosedLoopErrorBackoff = 10e-3;

class RequestFlow {
 public:
  RequestFlow(const System& system, Scheduler& clock, RunMeter& meter, CalleeProtection& protection,
              ResourceBackend* backend);
  /// Connects the caller-side policies and the faults (each needs the flow too).
  void attach(CallPolicies& policies, FaultTimeline& faults);
  /// Schedules the first arrival of each open-loop source and the first wake of each user.
  void start();

  /// The visit `id`.
  Visit& visit(uint32_t id) { return visits_[id]; }
  /// Frees visit `id`.
  void release(uint32_t id) { visits_.release(id); }
  /// Sends one try of `call` from visit `caller`; `call_id` is its policy-managed call or
  /// kNone. Returns the new visit.
  uint32_t send_try(uint32_t caller, const CallConfig& call, uint32_t call_id);
  /// A call of visit `parent` ended: it fails the parent with `cause` when `fails`.
  void answer(uint32_t parent, bool fails, ErrorCause cause, bool degraded);

  /// Index of `service`'s first replica (its replicas are consecutive).
  [[nodiscard]] uint32_t first_replica(uint32_t service) const { return services_[service].first_replica; }
  /// The random stream of `service`'s call decisions (and of its callers' backoffs).
  RandomStream& calls_rng(uint32_t service) { return services_[service].calls_rng; }
  /// Resizes replica `replica` as the faults make it; `down` crashes it (or keeps it down). A
  /// crashed replica of a stateful cache loses its share of the keys (all of them with one replica).
  void set_replica(uint32_t replica, uint32_t workers, uint32_t queue, bool down);
  /// Seconds of wall time per reference second on `host` (slowdowns).
  void set_host_time_factor(uint32_t host, double factor);
  /// A flush of stateful cache `cache` (index into System::caches): drops each key with
  /// probability `share` (all of them at 1). Returns the keys dropped.
  uint32_t flush_cache(uint32_t cache, double share);
  /// The contents of stateful cache `cache` (for tests).
  [[nodiscard]] const LookAsideCache& cache_contents(uint32_t cache) const { return caches_[cache].contents; }

  /// True once a limit stopped the run.
  [[nodiscard]] bool stopped() const { return stopped_; }
  /// Why, when stopped.
  [[nodiscard]] const std::string& stop_reason() const { return stop_reason_; }
  /// Visits waiting or in service now, by service.
  [[nodiscard]] std::vector<uint64_t> in_flight() const;

 private:
  struct Replica {
    uint32_t service, host;
    uint32_t workers, busy = 0;
    uint32_t queue_capacity;
    uint32_t outstanding = 0;  ///< sent to it and not yet answered (least-outstanding balancing)
    bool lifo;
    bool contended;
    bool down = false;    ///< crashed (a crash or host failure is active)
    uint32_t epoch = 0;   ///< incremented by each crash: visits of an older epoch died with it
    uint32_t killed = 0;  ///< visits killed by a crash that have not reached their end yet
    double time_factor;   ///< seconds of wall time per second of reference CPU demand
    RingQueue<> queue;
  };
  struct ServiceFlow {
    uint32_t first_replica = 0, replica_count = 0;
    uint32_t next_rr = 0;
    uint32_t inproc_live = 0;  ///< in-process visits computing (on their callers' workers)
    RandomStream service_time_rng, balancer_rng, calls_rng;
  };
  /// A stateful look-aside cache: its contents, its keys and their random streams.
  struct CacheFlow {
    LookAsideCache contents;
    KeySpace keys;
    RandomStream key_rng, flush_rng;
  };
  struct Source {
    RandomStream arrival_rng, mix_rng, think_rng, tenant_rng, cell_rng;
    double max_rate = 0;
  };

  void on_arrival(const Event& e);
  void on_user_wake(const Event& e) { start_request(user_source_[e.id], e.id); }
  void on_visit_arrive(const Event& e) { arrive(e.id); }
  void on_burst(const Event& e);
  void on_computed(const Event& e);
  void on_reply(const Event& e);
  void start_request(uint32_t source, uint32_t user);
  /// The cell the router sends a request of `tenant` to.
  uint32_t cell_of(uint32_t tenant, RandomStream& rng) const;
  uint32_t pick_replica(uint32_t service);
  void send(uint32_t caller, const CallConfig& call);
  void arrive(uint32_t id);
  void start_service(uint32_t id);
  void advance(uint32_t id);
  void complete(uint32_t id);
  void start_next(uint32_t replica);
  void reject(uint32_t id, ErrorCause cause);
  void reply(uint32_t id);
  void end_request(const Visit& v);
  /// Visit `id` asks its cache `cache` for a key: true on a miss (the backend call is made).
  bool cache_miss(uint32_t id, uint32_t cache);
  /// The backend's answer `child` reached its cache: fills it when the answer is a success.
  void fill_cache(const Visit& child);
  void check_limits();
  /// The load `variable` reads on `rep` (the visit starting there already counted busy).
  static double load_of(const Replica& rep, LoadCost::Variable variable);
  [[nodiscard]] bool dead(const Visit& v) const { return replicas_[v.replica].epoch != v.epoch; }

  const System& system_;
  Scheduler& clock_;
  RunMeter& meter_;
  CalleeProtection& protection_;
  ResourceBackend* backend_;
  CallPolicies* policies_ = nullptr;
  FaultTimeline* faults_ = nullptr;
  VisitPool visits_;
  std::vector<Replica> replicas_;
  std::vector<ServiceFlow> services_;
  std::vector<Source> sources_;
  std::vector<CacheFlow> caches_;      ///< by System::caches index
  std::vector<uint32_t> user_source_;  ///< closed-loop user -> workload source
  bool stopped_ = false;
  std::string stop_reason_;
  EventKind arrival_, user_wake_, visit_arrive_, computed_, reply_arrive_, burst_;
};

}  // namespace rapture
