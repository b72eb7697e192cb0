// The tolerance policies in the request flow: timeouts, retries with backoff and budgets,
// circuit breakers, fallbacks, bulkheads (caller side) and outlier ejection, admission
// control and queue-time shedding (callee side). The policies themselves are the plain
// state machines of model/policy/; this file wires them to calls, tries and timers.

#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace rapture {

void Simulation::init_tolerance() {
  const auto& sys = system_;
  edges_.resize(sys.edge_policies.size());
  edge_rows_.resize(sys.edge_policies.size());
  lanes_.resize(2 * sys.edge_policies.size());
  edge_totals_.resize(sys.edge_policies.size());
  circuit_openings_.resize(sys.edge_policies.size());
  for (size_t e = 0; e < sys.edge_policies.size(); ++e) {
    const auto& p = sys.edge_policies[e];
    auto& st = edges_[e];
    st.first_slot = static_cast<uint32_t>(breakers_.size());
    st.slots = services_[p.caller].replica_count;
    for (uint32_t r = 0; r < st.slots; ++r) {
      if (p.circuit_breaker) {
        breakers_.emplace_back(CircuitBreaker(*p.circuit_breaker));
      } else {
        breakers_.emplace_back(std::nullopt);
      }
      budgets_.push_back(p.budget);
      bulkhead_in_use_.push_back(0);
      slot_edge_.push_back(static_cast<uint32_t>(e));
      breaker_timer_gen_.push_back(0);
      breaker_timer_at_.push_back(INFINITY);
    }
  }
  codel_.resize(replicas_.size());
  adaptive_lifo_.resize(replicas_.size());
  for (size_t s = 0; s < sys.services.size(); ++s) {
    const auto& prot = sys.services[s].protection;
    auto& st = services_[s];
    if (prot.outlier_ejection) st.outlier.emplace(*prot.outlier_ejection, st.replica_count);
    if (prot.admission) st.admission.emplace(*prot.admission);
    for (uint32_t r = 0; r < st.replica_count; ++r) {
      if (prot.shedding == ProtectionSpec::Shedding::CoDel) codel_[st.first_replica + r].emplace();
      if (prot.shedding == ProtectionSpec::Shedding::AdaptiveLifo) adaptive_lifo_[st.first_replica + r].emplace();
    }
  }
}

uint32_t Simulation::new_call() {
  uint32_t id = 0;
  if (!free_calls_.empty()) {
    id = free_calls_.back();
    free_calls_.pop_back();
  } else {
    id = static_cast<uint32_t>(calls_.size());
    calls_.emplace_back();
  }
  calls_[id].serial = next_gen_++;
  return id;
}

void Simulation::start_call(uint32_t caller, const CallConfig& config) {
  const uint32_t id = new_call();
  Job& parent = job(caller);
  Call& c = calls_[id];
  const auto& policy = system_.edge_policies[config.policy];
  c.parent = caller;
  c.policy = config.policy;
  c.slot = edges_[config.policy].first_slot + (parent.replica - services_[policy.caller].first_replica);
  c.current = kNone;
  c.attempts = 0;
  c.config = &config;
  c.start = now_;
  c.last_backoff = 0;
  c.retry_slot = false;
  c.deadline_at = policy.retry.deadline > 0 ? now_ + policy.retry.deadline : INFINITY;
  c.deadline_at = std::min(c.deadline_at, parent.deadline);
  ++parent.pending;
  ++edges_[config.policy].row.calls;
  if (budgets_[c.slot]) budgets_[c.slot]->on_request(now_);
  if (policy.retry.deadline > 0 && c.deadline_at == now_ + policy.retry.deadline) {
    add_timer(2 * config.policy + 1, c.deadline_at, id, c.serial);
  } else if (std::isfinite(c.deadline_at) && c.deadline_at > now_) {
    schedule(c.deadline_at, EventKind::CallDeadline, id, c.serial);  // a shorter propagated deadline
  }
  send_attempt(id);
}

void Simulation::send_attempt(uint32_t call_id) {
  Call& c = calls_[call_id];
  auto& row = edges_[c.policy].row;
  const auto& policy = system_.edge_policies[c.policy];
  if (now_ >= c.deadline_at) {
    finish_call(call_id, false, ErrorCause::Timeout, false);
    return;
  }
  if (c.attempts > 0) ++row.retries;
  ++c.attempts;
  if (auto& breaker = breakers_[c.slot]) {
    const bool permitted = breaker->try_acquire(now_);
    record_breaker(c.slot);
    if (!permitted) {
      ++row.circuit_rejections;
      end_retry_slot(c);
      try_failed(call_id, ErrorCause::CircuitOpen);
      return;
    }
  }
  if (policy.bulkhead > 0) {
    if (bulkhead_in_use_[c.slot] >= policy.bulkhead) {
      if (breakers_[c.slot]) breakers_[c.slot]->release(now_);
      ++row.bulkhead_rejections;
      end_retry_slot(c);
      try_failed(call_id, ErrorCause::Rejected);
      return;
    }
    ++bulkhead_in_use_[c.slot];
  }
  ++row.attempts;
  c.try_start = now_;
  c.try_gen = next_gen_++;
  c.current = send_try(c.parent, *c.config, call_id);
  double timeout_at = c.deadline_at;
  if (policy.retry.per_try_timeout > 0) timeout_at = std::min(timeout_at, now_ + policy.retry.per_try_timeout);
  if (std::isfinite(timeout_at) && timeout_at < c.deadline_at) add_timer(2 * c.policy, timeout_at, call_id, c.try_gen);
}

/// The caller stops waiting for the try in flight: it becomes an orphan whose reply, when it
/// comes, is thrown away (and whose work is wasted); with cancellation it is dropped unserved.
bool Simulation::retryable(const Call& c, ErrorCause cause) const {
  const auto& on = system_.edge_policies[c.policy].retry.retry_on;
  switch (cause) {
    case ErrorCause::Timeout: return on.timeout;
    case ErrorCause::QueueOverflow: return on.overflow;
    case ErrorCause::CircuitOpen: return on.circuit_open;
    default: return on.error;
  }
}

/// A retry holds its budget slot from the decision to retry until its try ends (Envoy).
void Simulation::end_retry_slot(Call& c) {
  if (!c.retry_slot) return;
  c.retry_slot = false;
  if (budgets_[c.slot]) budgets_[c.slot]->on_retry_done();
}

void Simulation::abandon_try(Call& c, bool retryable_timeout) {
  if (c.current == kNone) return;
  Job& t = job(c.current);
  // A try that never answered in time counts as a server error for outlier detection (Envoy).
  if (services_[t.service].outlier) record_outlier(t.replica, true);
  if (t.swallowed) {
    free_job(c.current);  // it finished long ago; its reply was never going to come
  } else {
    t.orphan = true;
    t.call = kNone;
    t.orphan_edge = c.policy;
    t.cancelled = system_.edge_policies[c.policy].retry.cancel_on_timeout;
  }
  ++edges_[c.policy].row.timeouts;
  if (system_.edge_policies[c.policy].bulkhead > 0) --bulkhead_in_use_[c.slot];
  if (auto& breaker = breakers_[c.slot]) {
    breaker->on_error(now_, now_ - c.try_start);
    record_breaker(c.slot);
  }
  if (budgets_[c.slot]) budgets_[c.slot]->on_failure(now_, retryable_timeout);
  end_retry_slot(c);
  c.current = kNone;
  ++c.try_gen;
}

void Simulation::on_try_reply(uint32_t job_id) {
  Job& t = job(job_id);
  const uint32_t call_id = t.call;
  Call& c = calls_[call_id];
  const bool ok = !t.failed;
  const ErrorCause cause = t.cause;
  const bool degraded = ok && t.degraded;
  free_job(job_id);
  c.current = kNone;
  ++c.try_gen;  // its timeout is stale now
  const auto& policy = system_.edge_policies[c.policy];
  if (policy.bulkhead > 0) --bulkhead_in_use_[c.slot];
  if (auto& breaker = breakers_[c.slot]) {
    if (ok) {
      breaker->on_success(now_, now_ - c.try_start);
    } else {
      breaker->on_error(now_, now_ - c.try_start);
    }
    record_breaker(c.slot);
  }
  const ErrorCause seen = cause == ErrorCause::QueueOverflow ? ErrorCause::QueueOverflow : ErrorCause::Downstream;
  if (budgets_[c.slot]) {
    if (ok) {
      budgets_[c.slot]->on_success(now_);
    } else {
      budgets_[c.slot]->on_failure(now_, retryable(c, seen));
    }
  }
  end_retry_slot(c);
  if (ok) {
    finish_call(call_id, true, cause, degraded);
  } else {
    try_failed(call_id, seen);
  }
}

void Simulation::on_try_timeout(uint32_t call_id, uint32_t gen) {
  Call& c = calls_[call_id];
  if (c.try_gen != gen || c.current == kNone) return;  // the try ended before its timeout
  abandon_try(c, retryable(c, ErrorCause::Timeout));
  try_failed(call_id, ErrorCause::Timeout);
}

void Simulation::on_call_deadline(uint32_t call_id, uint32_t gen) {
  Call& c = calls_[call_id];
  if (c.serial != gen) return;  // the call ended before its deadline
  abandon_try(c, false);  // the overall deadline is never retried
  finish_call(call_id, false, ErrorCause::Timeout, false);
}

/// A try failed (or was refused): retry when the policy, the attempts left, the deadline and
/// the budget allow it, else the call fails.
void Simulation::try_failed(uint32_t call_id, ErrorCause cause) {
  Call& c = calls_[call_id];
  const auto& retry = system_.edge_policies[c.policy].retry;
  if (retryable(c, cause) && c.attempts < static_cast<uint32_t>(retry.max_attempts) &&
      (!budgets_[c.slot] || budgets_[c.slot]->allow_retry(now_))) {
    const double delay = retry.backoff.delay(static_cast<int>(c.attempts), c.last_backoff,
                                             services_[system_.edge_policies[c.policy].caller].calls_rng);
    c.last_backoff = delay;
    if (now_ + delay < c.deadline_at) {
      if (budgets_[c.slot]) budgets_[c.slot]->on_retry(now_);
      c.retry_slot = true;
      if (delay > 0) {
        schedule(now_ + delay, EventKind::RetryDue, call_id, c.serial);
      } else {
        send_attempt(call_id);
      }
      return;
    }
  }
  finish_call(call_id, false, cause, false);
}

void Simulation::finish_call(uint32_t call_id, bool ok, ErrorCause cause, bool degraded) {
  Call& c = calls_[call_id];
  const auto& policy = system_.edge_policies[c.policy];
  auto& row = edges_[c.policy].row;
  const uint32_t parent_id = c.parent;
  const bool critical = c.config->critical;
  end_retry_slot(c);  // a retry still backing off when the deadline ended the call
  if (budgets_[c.slot]) budgets_[c.slot]->on_request_done();
  if (!ok && policy.fallback) {
    ++row.fallbacks;
    ok = true;
    degraded = true;
  } else if (!ok) {
    ++row.failures;
  }
  c.serial = next_gen_++;  // deadline and retry timers of this call are stale from now on
  free_calls_.push_back(call_id);
  Job& p = job(parent_id);
  --p.pending;
  if (!ok && critical && !p.failed) {
    p.failed = true;
    switch (cause) {
      case ErrorCause::Timeout:
      case ErrorCause::CircuitOpen:
      case ErrorCause::Rejected: p.cause = cause; break;
      default: p.cause = ErrorCause::Downstream; break;
    }
  }
  if (degraded) p.degraded = true;
  if (p.pending == 0) advance(parent_id);
}

void Simulation::record_breaker(uint32_t slot) {
  auto& breaker = *breakers_[slot];
  auto& transitions = breaker.transitions();
  if (!transitions.empty()) {
    const uint32_t edge = slot_edge_[slot];
    for (const auto& t : transitions) {
      if (t.to == CircuitBreaker::State::Open) ++circuit_openings_[edge];
      circuit_events_.push_back(CircuitEvent{t.time, edge, slot - edges_[edge].first_slot,
                                             static_cast<uint8_t>(t.from), static_cast<uint8_t>(t.to)});
    }
    transitions.clear();
  }
  const double at = breaker.next_timer();
  if (at != breaker_timer_at_[slot] && std::isfinite(at)) {
    breaker_timer_at_[slot] = at;
    breaker_timer_gen_[slot] = next_gen_++;
    schedule(std::max(at, now_), EventKind::BreakerTimer, slot, breaker_timer_gen_[slot]);
  }
}

void Simulation::on_breaker_timer(uint32_t slot, uint32_t gen) {
  if (breaker_timer_gen_[slot] != gen) return;
  breaker_timer_at_[slot] = INFINITY;
  breakers_[slot]->on_timer(now_);
  record_breaker(slot);
}

bool Simulation::replica_ejected(uint32_t service, uint32_t local) const {
  return services_[service].outlier->ejected(local, now_);
}

void Simulation::record_outlier(uint32_t replica, bool server_error) {
  auto& s = services_[replicas_[replica].service];
  s.outlier->on_result(replica - s.first_replica, server_error, now_);
  const double at = s.outlier->next_timer();
  if (std::isfinite(at) && at != s.outlier_timer_at) {
    s.outlier_timer_at = at;
    s.outlier_timer_gen = next_gen_++;
    schedule(std::max(at, now_), EventKind::OutlierTimer, replicas_[replica].service, s.outlier_timer_gen);
  }
}

void Simulation::on_outlier_timer(uint32_t service, uint32_t gen) {
  auto& s = services_[service];
  if (s.outlier_timer_gen != gen) return;
  s.outlier_timer_at = INFINITY;
  s.outlier->on_timer(now_);
  const double at = s.outlier->next_timer();
  if (std::isfinite(at)) {
    s.outlier_timer_at = at;
    s.outlier_timer_gen = next_gen_++;
    schedule(std::max(at, now_), EventKind::OutlierTimer, service, s.outlier_timer_gen);
  }
}

void Simulation::add_timer(uint32_t lane, double at, uint32_t call_id, uint32_t gen) {
  auto& l = lanes_[lane];
  l.entries.push_back(TimerEntry{at, call_id, gen});
  if (!l.scheduled) {
    l.scheduled = true;
    schedule(at, EventKind::LaneTimer, lane);
  }
}

void Simulation::on_lane(uint32_t lane) {
  auto& l = lanes_[lane];
  // Still marked scheduled while it runs, so that timers set meanwhile (a retry's timeout)
  // join the FIFO without an event of their own; the head is scheduled once, below.
  while (!l.entries.empty() && l.entries.front().at <= now_) {
    const TimerEntry e = l.entries.pop_front();
    if (lane % 2 == 0) {
      on_try_timeout(e.call, e.gen);
    } else {
      on_call_deadline(e.call, e.gen);
    }
  }
  l.scheduled = !l.entries.empty();
  if (l.scheduled) schedule(l.entries.front().at, EventKind::LaneTimer, lane);
}

void Simulation::close_edge_bins() {
  for (size_t e = 0; e < edges_.size(); ++e) {
    auto& st = edges_[e];
    uint32_t open = 0;
    for (uint32_t k = 0; k < st.slots; ++k) {
      const auto& b = breakers_[st.first_slot + k];
      if (b && b->state() != CircuitBreaker::State::Closed) ++open;
    }
    st.row.open_fraction = st.slots ? static_cast<double>(open) / st.slots : 0;
    edge_rows_[e] = st.row;
    auto& tot = edge_totals_[e];
    tot.calls += st.row.calls;
    tot.attempts += st.row.attempts;
    tot.retries += st.row.retries;
    tot.timeouts += st.row.timeouts;
    tot.failures += st.row.failures;
    tot.fallbacks += st.row.fallbacks;
    tot.circuit_rejections += st.row.circuit_rejections;
    tot.bulkhead_rejections += st.row.bulkhead_rejections;
    tot.late_replies += st.row.late_replies;
    tot.open_fraction += st.row.open_fraction / std::max(1.0, system_.duration / system_.bin_width);
    st.row = EdgeBinRow{};
  }
  sink_.write_edge_bin(bin_index_, edge_rows_);
  if (!circuit_events_.empty()) {
    sink_.write_circuit_events(circuit_events_);
    circuit_events_.clear();
  }
}

}  // namespace rapture
