#pragma once
/// The request-flow model: open- and closed-loop sources send requests into the entry
/// services; each visit waits in its replica's bounded queue (a full queue rejects it:
/// queue overflow), holds a worker while it computes and while its synchronous calls are
/// outstanding (the mechanism of thread-pool exhaustion), then replies to its caller.
/// Event-driven: every state change is an event in one heap; nothing allocates per event
/// once the pools have grown. Time on uncontended resources is a plain delay; contended CPU
/// and bandwidth are delegated to a ResourceBackend (SimGrid, in engine/).

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model/event_queue.hpp"
#include "model/log_histogram.hpp"
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
    uint16_t request_type;
    ErrorCause cause;
    bool failed;
    bool sync;             ///< the caller waits for the reply
    bool critical;         ///< a failure fails the caller
    double arrive_time;    ///< at the service
    double request_start;  ///< entry visit only: when the request was sent
    double response_bytes;
  };

  struct Replica {
    uint32_t service, host;
    uint32_t workers, busy = 0;
    uint32_t queue_capacity;
    uint32_t outstanding = 0;  ///< sent to it and not yet answered (least-outstanding balancing)
    bool lifo;
    bool contended;
    double time_factor;  ///< seconds of wall time per second of reference CPU demand
    RingQueue queue;
  };

  struct ServiceState {
    uint32_t first_replica = 0, replica_count = 0;
    uint32_t next_rr = 0;
    uint32_t queued = 0, busy = 0;  ///< over all replicas
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
  };

  struct RequestState {
    RequestBinRow row;
    LogHistogram bin_latency, latency;
    uint64_t successes = 0, failures = 0;
  };

  struct Source {
    RandomStream arrival_rng, mix_rng, think_rng;
    double max_rate = 0;
  };

  Job& job(uint32_t id) { return chunks_[id >> kChunkBits][id & kChunkMask]; }
  uint32_t new_job();
  void free_job(uint32_t id);

  void schedule(double t, EventKind kind, uint32_t id) { events_.push(t, kind, id); }
  void dispatch(const Event& e);
  void on_arrival(uint32_t source);
  void on_user_wake(uint32_t user);
  void start_request(uint32_t source, uint32_t user);
  uint32_t pick_replica(uint32_t service);
  void send(uint32_t caller, const CallConfig& call, double bytes);
  void arrive(uint32_t job_id);
  void start_service(uint32_t job_id);
  void advance(uint32_t job_id);
  void complete(uint32_t job_id);
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
  std::vector<ServiceBinRow> service_rows_;
  std::vector<RequestBinRow> request_rows_;
  std::function<void(double)> progress_;
};

}  // namespace rapture
