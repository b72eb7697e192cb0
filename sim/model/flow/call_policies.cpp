#include "model/flow/call_policies.hpp"

#include <algorithm>
#include <limits>

#include "model/flow/request_flow.hpp"

namespace rapture {

CallPolicies::CallPolicies(const System& system, Scheduler& clock, RunMeter& meter, CalleeProtection& protection,
                           RequestFlow& flow)
    : system_(system),
      clock_(clock),
      meter_(meter),
      protection_(protection),
      flow_(flow),
      lanes_(
          clock, this,
          [](void* self, uint32_t lane, uint32_t id, uint32_t gen) {
            static_cast<CallPolicies*>(self)->on_lane(lane, id, gen);
          },
          [](const void* self, uint32_t lane, uint32_t id, uint32_t gen) {
            return static_cast<const CallPolicies*>(self)->lane_timer_alive(lane, id, gen);
          }) {
  edges_.resize(system.edge_policies.size());
  lanes_.resize(2 * system.edge_policies.size());
  for (size_t e = 0; e < system.edge_policies.size(); ++e) {
    const auto& p = system.edge_policies[e];
    auto& st = edges_[e];
    st.first = static_cast<uint32_t>(slots_.size());
    st.count = static_cast<uint32_t>(system.services[p.caller].replicas);
    for (uint32_t r = 0; r < st.count; ++r) {
      auto& slot = slots_.emplace_back();
      if (p.circuit_breaker) slot.breaker.emplace(*p.circuit_breaker);
      slot.budget = p.budget;
      if (p.retry_quota) slot.quota.emplace(*p.retry_quota);
      if (p.bulkhead > 0) {
        slot.bulkhead.emplace(
            BulkheadConfig{static_cast<uint32_t>(std::min<int64_t>(p.bulkhead, std::numeric_limits<uint32_t>::max()))});
      }
      slot.edge = static_cast<uint32_t>(e);
    }
  }
  deadline_ = clock.add_kind<&CallPolicies::on_deadline>(this);
  retry_due_ = clock.add_kind<&CallPolicies::on_retry_due>(this);
  breaker_timer_ = clock.add_kind<&CallPolicies::on_breaker_timer>(this);
}

uint32_t CallPolicies::new_call() {
  uint32_t id = 0;
  if (!free_calls_.empty()) {
    id = free_calls_.back();
    free_calls_.pop_back();
  } else {
    id = static_cast<uint32_t>(calls_.size());
    calls_.emplace_back();
  }
  calls_[id].serial = clock_.next_generation();
  return id;
}

double CallPolicies::propagated_deadline(uint32_t call) const {
  const auto& c = calls_[call];
  return system_.edge_policies[c.policy].retry.propagate_deadline ? c.deadline_at : INFINITY;
}

void CallPolicies::start_call(uint32_t caller, const CallConfig& config) {
  const double now = clock_.now();
  const uint32_t id = new_call();
  Visit& parent = flow_.visit(caller);
  Call& c = calls_[id];
  const auto& policy = system_.edge_policies[config.policy];
  c.parent = caller;
  c.policy = config.policy;
  c.slot = edges_[config.policy].first + (parent.replica - flow_.first_replica(policy.caller));
  c.current = kNone;
  c.attempts = 0;
  c.config = &config;
  c.start = now;
  c.last_backoff = 0;
  c.retry_slot = false;
  c.retried = false;
  c.quota_taken = 0;
  c.sent = false;
  c.deadline_armed = false;
  c.deadline_at = policy.retry.deadline > 0 ? now + policy.retry.deadline : INFINITY;
  c.deadline_at = std::min(c.deadline_at, parent.deadline);
  ++parent.pending;
  ++meter_.edge(config.policy).calls;
  if (auto& budget = slots_[c.slot].budget) budget->on_request(now);
  // The deadline cannot end the call while every try ends (by its timeout) before it, and a
  // backoff is never started past it: it is set only once a try could outlast it, which with a
  // per-try timeout well below the deadline is almost never (send_attempt).
  const double per_try = policy.retry.per_try_timeout;
  if (!(per_try > 0 && now + per_try < c.deadline_at)) {
    arm_deadline(id, policy.retry.deadline > 0 && c.deadline_at == now + policy.retry.deadline);
  }
  send_attempt(id);
}

/// Sets the call's deadline timer: in its edge's deadline lane when it is the edge's own
/// deadline counted from now (those come in order), else as an event of its own.
void CallPolicies::arm_deadline(uint32_t call_id, bool in_lane) {
  Call& c = calls_[call_id];
  if (!std::isfinite(c.deadline_at) || c.deadline_at <= clock_.now()) return;
  c.deadline_armed = true;
  if (in_lane) {
    lanes_.add(2 * c.policy + 1, c.deadline_at, call_id, c.serial);
  } else {
    clock_.at(c.deadline_at, deadline_, call_id, c.serial);  // a propagated deadline, or a late retry's
  }
}

void CallPolicies::send_attempt(uint32_t call_id) {
  const double now = clock_.now();
  Call& c = calls_[call_id];
  auto& row = meter_.edge(c.policy);
  auto& slot = slots_[c.slot];
  const auto& policy = system_.edge_policies[c.policy];
  if (now >= c.deadline_at) {
    finish_call(call_id, false, ErrorCause::Timeout, false);
    return;
  }
  if (c.attempts > 0) ++row.retries;
  ++c.attempts;
  if (slot.breaker) {
    const bool permitted = slot.breaker->try_acquire(now);
    record_breaker(c.slot);
    if (!permitted) {
      ++row.circuit_rejections;
      end_retry_slot(c);
      try_failed(call_id, ErrorCause::CircuitOpen);
      return;
    }
  }
  if (slot.bulkhead && !slot.bulkhead->try_enter()) {
    if (slot.breaker) slot.breaker->release(now);
    ++row.bulkhead_rejections;
    end_retry_slot(c);
    try_failed(call_id, ErrorCause::Rejected);
    return;
  }
  ++row.attempts;
  c.sent = true;
  c.try_start = now;
  c.try_gen = clock_.next_generation();
  c.current = flow_.send_try(c.parent, *c.config, call_id);
  double timeout_at = c.deadline_at;
  if (policy.retry.per_try_timeout > 0) timeout_at = std::min(timeout_at, now + policy.retry.per_try_timeout);
  if (std::isfinite(timeout_at) && timeout_at < c.deadline_at) {
    lanes_.add(2 * c.policy, timeout_at, call_id, c.try_gen);
  } else if (!c.deadline_armed) {
    arm_deadline(call_id, false);  // this try may outlast the deadline: it is what ends it
  }
}

void CallPolicies::on_retry_due(const Event& e) {
  if (calls_[e.id].serial == e.gen) send_attempt(e.id);
}

void CallPolicies::on_lane(uint32_t lane, uint32_t call_id, uint32_t gen) {
  if (lane % 2 == 0) {
    try_timeout(call_id, gen);
  } else {
    call_deadline(call_id, gen);
  }
}

bool CallPolicies::lane_timer_alive(uint32_t lane, uint32_t call_id, uint32_t gen) const {
  // The same tests as try_timeout and call_deadline make before acting.
  const Call& c = calls_[call_id];
  return lane % 2 == 0 ? c.try_gen == gen && c.current != kNone : c.serial == gen;
}

bool CallPolicies::retryable(const Call& c, ErrorCause cause) const {
  const auto& on = system_.edge_policies[c.policy].retry.retry_on;
  switch (cause) {
    case ErrorCause::Timeout: return on.timeout;
    case ErrorCause::QueueOverflow: return on.overflow;
    case ErrorCause::CircuitOpen: return on.circuit_open;
    default: return on.error;
  }
}

/// A retry holds its budget slot from the decision to retry until its try ends (Envoy).
void CallPolicies::end_retry_slot(Call& c) {
  if (!c.retry_slot) return;
  c.retry_slot = false;
  if (auto& budget = slots_[c.slot].budget) budget->on_retry_done();
}

/// The caller stops waiting for the try in flight: it becomes an orphan whose reply, when it
/// comes, is thrown away (and whose work is wasted); with cancellation it is dropped unserved.
void CallPolicies::abandon_try(Call& c, bool retryable_timeout) {
  if (c.current == kNone) return;
  const double now = clock_.now();
  Visit& t = flow_.visit(c.current);
  // A try that never answered in time counts as a server error for outlier detection (Envoy).
  if (protection_.ejects(t.service)) protection_.record(t.replica, true);
  if (t.swallowed) {
    flow_.release(c.current);  // it finished long ago; its reply was never going to come
  } else {
    t.orphan = true;
    t.call = kNone;
    t.orphan_edge = c.policy;
    t.cancelled = system_.edge_policies[c.policy].retry.cancel_on_timeout;
  }
  ++meter_.edge(c.policy).timeouts;
  auto& slot = slots_[c.slot];
  if (slot.bulkhead) slot.bulkhead->leave();
  if (slot.breaker) {
    slot.breaker->on_error(now, now - c.try_start);
    record_breaker(c.slot);
  }
  if (slot.budget) slot.budget->on_failure(now, retryable_timeout);
  end_retry_slot(c);
  c.current = kNone;
  ++c.try_gen;
}

void CallPolicies::on_try_reply(uint32_t visit) {
  const double now = clock_.now();
  Visit& t = flow_.visit(visit);
  const uint32_t call_id = t.call;
  Call& c = calls_[call_id];
  const bool ok = !t.failed;
  const ErrorCause cause = t.cause;
  const bool degraded = ok && t.degraded;
  flow_.release(visit);
  c.current = kNone;
  ++c.try_gen;  // its timeout is stale now
  auto& slot = slots_[c.slot];
  if (slot.bulkhead) slot.bulkhead->leave();
  if (slot.breaker) {
    if (ok) {
      slot.breaker->on_success(now, now - c.try_start);
    } else {
      slot.breaker->on_error(now, now - c.try_start);
    }
    record_breaker(c.slot);
  }
  const ErrorCause seen = cause == ErrorCause::QueueOverflow ? ErrorCause::QueueOverflow : ErrorCause::Downstream;
  if (slot.budget) {
    if (ok) {
      slot.budget->on_success(now);
    } else {
      slot.budget->on_failure(now, retryable(c, seen));
    }
  }
  end_retry_slot(c);
  if (ok) {
    if (slot.quota) slot.quota->on_success(c.retried, c.quota_taken);
    finish_call(call_id, true, cause, degraded);
  } else {
    try_failed(call_id, seen);
  }
}

void CallPolicies::try_timeout(uint32_t call_id, uint32_t gen) {
  Call& c = calls_[call_id];
  if (c.try_gen != gen || c.current == kNone) return;  // the try ended before its timeout
  abandon_try(c, retryable(c, ErrorCause::Timeout));
  try_failed(call_id, ErrorCause::Timeout);
}

void CallPolicies::call_deadline(uint32_t call_id, uint32_t gen) {
  Call& c = calls_[call_id];
  if (c.serial != gen) return;  // the call ended before its deadline
  abandon_try(c, false);        // the overall deadline is never retried
  finish_call(call_id, false, ErrorCause::Timeout, false);
}

/// A try failed (or was refused): retry when the policy, the attempts left, the deadline and
/// the budget allow it, else the call fails.
void CallPolicies::try_failed(uint32_t call_id, ErrorCause cause) {
  const double now = clock_.now();
  Call& c = calls_[call_id];
  auto& budget = slots_[c.slot].budget;
  auto& quota = slots_[c.slot].quota;
  const auto& retry = system_.edge_policies[c.policy].retry;
  // The AWS quota charges more after a timeout, as after any transient (connection) error.
  const bool timed_out = cause == ErrorCause::Timeout;
  if (retryable(c, cause) && c.attempts < static_cast<uint32_t>(retry.max_attempts) &&
      (!budget || budget->allow_retry(now)) && (!quota || quota->allows(timed_out))) {
    const double delay = retry.backoff.delay(static_cast<int>(c.attempts), c.last_backoff,
                                             flow_.calls_rng(system_.edge_policies[c.policy].caller));
    c.last_backoff = delay;
    if (now + delay < c.deadline_at) {
      if (budget) budget->on_retry(now);
      if (quota) c.quota_taken = static_cast<uint32_t>(quota->take(timed_out));
      c.retried = true;
      c.retry_slot = true;
      if (delay > 0) {
        clock_.at(now + delay, retry_due_, call_id, c.serial);
      } else {
        send_attempt(call_id);
      }
      return;
    }
  }
  finish_call(call_id, false, cause, false);
}

void CallPolicies::finish_call(uint32_t call_id, bool ok, ErrorCause cause, bool degraded) {
  Call& c = calls_[call_id];
  const auto& policy = system_.edge_policies[c.policy];
  auto& row = meter_.edge(c.policy);
  const uint32_t parent_id = c.parent;
  const bool critical = c.config->critical;
  end_retry_slot(c);  // a retry still backing off when the deadline ended the call
  if (!c.sent) ++row.calls_refused;
  if (auto& budget = slots_[c.slot].budget) budget->on_request_done();
  if (!ok && policy.fallback) {
    ++row.fallbacks;
    ok = true;
    degraded = true;
  } else if (!ok) {
    ++row.failures;
  }
  c.serial = clock_.next_generation();  // deadline and retry timers of this call are stale from now on
  free_calls_.push_back(call_id);
  ErrorCause told = ErrorCause::Downstream;
  switch (cause) {
    case ErrorCause::Timeout:
    case ErrorCause::CircuitOpen:
    case ErrorCause::Rejected: told = cause; break;
    default: break;
  }
  flow_.answer(parent_id, !ok && critical, told, degraded);
}

void CallPolicies::record_breaker(uint32_t slot_id) {
  auto& slot = slots_[slot_id];
  auto& transitions = slot.breaker->transitions();
  if (!transitions.empty()) {
    for (const auto& t : transitions) {
      meter_.circuit_transition(CircuitEvent{t.time, slot.edge, slot_id - edges_[slot.edge].first,
                                             static_cast<uint8_t>(t.from), static_cast<uint8_t>(t.to)});
    }
    transitions.clear();
  }
  slot.breaker_timer.set(clock_, slot.breaker->next_timer(), breaker_timer_, slot_id);
}

void CallPolicies::on_breaker_timer(const Event& e) {
  auto& slot = slots_[e.id];
  if (!slot.breaker_timer.fire(e.gen)) return;
  slot.breaker->on_timer(clock_.now());
  record_breaker(e.id);
}

void CallPolicies::measure_open() const {
  for (uint32_t e = 0; e < edges_.size(); ++e) {
    const auto& st = edges_[e];
    uint32_t open = 0;
    for (uint32_t k = 0; k < st.count; ++k) {
      const auto& b = slots_[st.first + k].breaker;
      if (b && b->state() != CircuitBreaker::State::Closed) ++open;
    }
    meter_.edge(e).open_fraction = st.count ? static_cast<double>(open) / st.count : 0;
  }
}

}  // namespace rapture
