#pragma once
/// The request-flow model, assembled: the components of model/flow/ on one clock. The
/// request flow moves visits through queues, workers and calls; the caller-side policies
/// and the callee-side protection decide around it; the fault timeline changes what it
/// runs on; the run meter measures it. Event-driven: every state change is an event in one
/// heap; nothing allocates per event once the pools have grown. Time on uncontended
/// resources is a plain delay; contended CPU and bandwidth are delegated to a
/// ResourceBackend (SimGrid, in engine/).

#include <cstdint>
#include <functional>

#include "model/flow/call_policies.hpp"
#include "model/flow/callee_protection.hpp"
#include "model/flow/fault_timeline.hpp"
#include "model/flow/request_flow.hpp"
#include "model/flow/resource_backend.hpp"
#include "model/flow/run_meter.hpp"
#include "model/flow/scheduler.hpp"
#include "model/run_result.hpp"
#include "model/system.hpp"

namespace rapture {

class Simulation {
 public:
  /// `backend` may be null when no host is contended and the network has no bandwidth limit.
  Simulation(const System& system, BinSink& sink, ResourceBackend* backend);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Current simulated time, in seconds.
  [[nodiscard]] double now() const { return clock_.now(); }
  /// Time of the next scheduled event; +inf when none.
  [[nodiscard]] double next_event_time() const { return clock_.next_time(); }
  /// Processes events up to time `until` (inclusive). Returns early, with true, right after
  /// an event that started a backend activity, so that the engine can wait on it.
  bool run_until(double until);
  /// Processes the next event.
  void step() { clock_.step(); }
  /// Continues the visit whose backend activity `token` completed at time `at`.
  void resume(double at, uint64_t token) { clock_.resume(at, token); }
  /// True once a limit stopped the run.
  [[nodiscard]] bool stopped() const { return flow_.stopped(); }
  /// Closes the last bin at `end` and returns the totals.
  RunTotals finish(double end);
  /// Events processed so far.
  [[nodiscard]] uint64_t events() const { return clock_.events(); }
  /// Called every ~2^18 events with the simulated time (progress display).
  void on_progress(std::function<void(double)> callback) { clock_.on_progress(std::move(callback)); }

 private:
  void on_bin_end(const Event& e);
  /// Closes the bin ending at `end` (the policies' share of open breakers, then the meter).
  double close_bin(double end);

  const System& system_;
  Scheduler clock_;
  RunMeter meter_;
  CalleeProtection protection_;
  RequestFlow flow_;
  FaultTimeline faults_;
  CallPolicies policies_;
  EventKind bin_end_;
};

}  // namespace rapture
