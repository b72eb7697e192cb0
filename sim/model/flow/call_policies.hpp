#pragma once
/// Caller-side tolerance policies of synchronous calls: timeouts and deadlines, retries with
/// backoff and budgets, circuit breakers, bulkheads and fallbacks. A call under policies is a
/// series of tries, each a visit the request flow sends; this decides when to try again,
/// when to give up and what the caller is told. The policies themselves are the state
/// machines of model/policy/; this wires them to calls, tries and timers.

#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "model/flow/callee_protection.hpp"
#include "model/flow/run_meter.hpp"
#include "model/flow/scheduler.hpp"
#include "model/flow/timer_lanes.hpp"
#include "model/policy/circuit_breaker.hpp"
#include "model/policy/load_shedding.hpp"
#include "model/policy/retry_budget.hpp"
#include "model/policy/retry_quota.hpp"
#include "model/system.hpp"

namespace rapture {

class RequestFlow;

class CallPolicies {
 public:
  CallPolicies(const System& system, Scheduler& clock, RunMeter& meter, CalleeProtection& protection,
               RequestFlow& flow);

  /// Visit `caller` makes `config`'s call (config.policy names the edge's policies).
  void start_call(uint32_t caller, const CallConfig& config);
  /// The reply of try `visit` has reached its caller.
  void on_try_reply(uint32_t visit);
  /// The deadline a try of call `call` carries downstream: the call's, when propagated; else +inf.
  [[nodiscard]] double propagated_deadline(uint32_t call) const;
  /// Writes each edge's share of open breakers into the meter's current bin.
  void measure_open() const;

 private:
  /// A synchronous call under tolerance policies: its tries, timers and outcome.
  struct Call {
    uint32_t parent;    ///< caller's visit
    uint32_t policy;    ///< index into System::edge_policies
    uint32_t slot;      ///< caller replica's CallSlot on the edge
    uint32_t current;   ///< the try in flight, kNone while backing off
    uint32_t attempts;  ///< tries sent so far
    uint32_t try_gen;   ///< generation of the current try's timeout
    uint32_t serial;    ///< generation of the call (deadline and retry timers)
    const CallConfig* config;
    uint32_t quota_taken;  ///< retry-quota tokens its last retry took (given back if the call succeeds)
    bool retried;          ///< a retry was decided (the quota refunds it on success instead of refilling)
    bool retry_slot;       ///< holds a retry-budget slot (a retry decided and not yet ended)
    bool sent;             ///< a try reached the callee (a call ending without one is counted refused)
    bool deadline_armed;   ///< its deadline timer is set (only once a try could outlast it)
    double start, deadline_at, try_start, last_backoff;
  };
  /// The policies of one caller replica on one edge: breakers, budgets and bulkheads are per
  /// caller replica, as each process of the caller keeps its own.
  struct CallSlot {
    std::optional<CircuitBreaker> breaker;
    std::optional<RetryBudget> budget;
    std::optional<RetryQuota> quota;
    std::optional<Bulkhead> bulkhead;
    uint32_t edge = 0;
    PolicyTimer breaker_timer;
  };
  /// An edge's slots: those of its caller's replicas, in order.
  struct EdgeSlots {
    uint32_t first = 0, count = 0;
  };

  uint32_t new_call();
  void send_attempt(uint32_t call_id);
  void on_retry_due(const Event& e);
  void on_deadline(const Event& e) { call_deadline(e.id, e.gen); }
  void on_lane(uint32_t lane, uint32_t call_id, uint32_t gen);
  [[nodiscard]] bool lane_timer_alive(uint32_t lane, uint32_t call_id, uint32_t gen) const;
  void arm_deadline(uint32_t call_id, bool in_lane);
  void try_timeout(uint32_t call_id, uint32_t gen);
  void call_deadline(uint32_t call_id, uint32_t gen);
  void try_failed(uint32_t call_id, ErrorCause cause);
  void finish_call(uint32_t call_id, bool ok, ErrorCause cause, bool degraded);
  void abandon_try(Call& c, bool retryable_timeout);
  void end_retry_slot(Call& c);
  [[nodiscard]] bool retryable(const Call& c, ErrorCause cause) const;
  void record_breaker(uint32_t slot);
  void on_breaker_timer(const Event& e);

  const System& system_;
  Scheduler& clock_;
  RunMeter& meter_;
  CalleeProtection& protection_;
  RequestFlow& flow_;
  std::vector<EdgeSlots> edges_;
  std::vector<CallSlot> slots_;
  std::deque<Call> calls_;
  std::vector<uint32_t> free_calls_;
  TimerLanes lanes_;  ///< per edge: try timeouts (lane 2e) and deadlines (lane 2e+1)
  EventKind deadline_, retry_due_, breaker_timer_;
};

}  // namespace rapture
