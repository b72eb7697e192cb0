#include "model/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rapture {

namespace {
uint64_t make_token(EventKind kind, uint32_t id) { return (static_cast<uint64_t>(kind) << 32) | id; }
}  // namespace

Simulation::Simulation(const System& system, BinSink& sink, ResourceBackend* backend)
    : system_(system), sink_(sink), backend_(backend) {
  if (!backend_ && (system.any_contended_host() || system.uses_bandwidth())) {
    throw std::logic_error("contended hosts or bandwidth-limited calls need a resource backend");
  }
  const uint64_t seed = system.seed;
  services_.resize(system.services.size());
  for (size_t s = 0; s < system.services.size(); ++s) {
    const auto& cfg = system.services[s];
    auto& st = services_[s];
    st.first_replica = static_cast<uint32_t>(replicas_.size());
    st.replica_count = static_cast<uint32_t>(cfg.replicas);
    st.service_time_rng = RandomStream(seed, cfg.name, "service_time");
    st.balancer_rng = RandomStream(seed, cfg.name, "balancer");
    st.calls_rng = RandomStream(seed, cfg.name, "calls");
    for (int64_t r = 0; r < cfg.replicas; ++r) {
      const auto& host = system.hosts[cfg.replica_hosts[static_cast<size_t>(r)]];
      Replica rep;
      rep.service = static_cast<uint32_t>(s);
      rep.host = cfg.replica_hosts[static_cast<size_t>(r)];
      rep.workers = static_cast<uint32_t>(cfg.workers);
      rep.queue_capacity = static_cast<uint32_t>(cfg.queue_capacity);
      rep.lifo = cfg.discipline == QueueDiscipline::Lifo;
      rep.base_workers = rep.workers;
      rep.base_queue = rep.queue_capacity;
      rep.contended = host.contended();
      rep.time_factor = system.reference_speed / host.speed;
      replicas_.push_back(std::move(rep));
    }
  }
  requests_.resize(system.request_types.size());
  service_rows_.resize(services_.size());
  request_rows_.resize(requests_.size());

  sources_.resize(system.workload.size());
  for (uint32_t w = 0; w < system.workload.size(); ++w) {
    const auto& wl = system.workload[w];
    auto& src = sources_[w];
    src.arrival_rng = RandomStream(seed, wl.label, "arrivals");
    src.mix_rng = RandomStream(seed, wl.label, "mix");
    src.think_rng = RandomStream(seed, wl.label, "think");
    src.tenant_rng = RandomStream(seed, wl.label, "tenant");
    src.cell_rng = RandomStream(seed, wl.label, "cell");
    if (wl.kind == WorkloadSpec::Kind::Poisson) {
      // Load spikes raise the rate: thinning needs the peak of every spike that may overlap.
      src.max_rate = wl.rate.max();
      for (const auto& f : system.faults) {
        if (f.spec.kind == FaultSpec::Kind::LoadSpike && (f.workload == kNoPolicy || f.workload == w)) {
          src.max_rate *= std::max(1.0, f.spec.factor);
        }
      }
      schedule(-std::log1p(-src.arrival_rng.uniform()) / src.max_rate, EventKind::Arrival, w);
    } else {
      for (int64_t u = 0; u < wl.users; ++u) {
        const auto user = static_cast<uint32_t>(user_source_.size());
        user_source_.push_back(w);
        schedule(wl.think.sample(src.think_rng), EventKind::UserWake, user);
      }
    }
  }
  if (system.bin_width < system.duration) schedule(system.bin_width, EventKind::BinEnd, 0);
  if (system.warmup > 0) {
    schedule(system.warmup, EventKind::WarmupEnd, 0);
  } else {
    measuring_ = true;
  }
  visits_.assign(system.request_types.size() * system.services.size(), 0);
  tenant_requests_.assign(system.tenants, 0);
  tenant_failures_.assign(system.tenants, 0);
  init_tolerance();
  init_faults();
}

Simulation::~Simulation() = default;

uint32_t Simulation::new_job() {
  ++jobs_live_;
  if (!free_jobs_.empty()) {
    const uint32_t id = free_jobs_.back();
    free_jobs_.pop_back();
    return id;
  }
  if ((jobs_allocated_ & kChunkMask) == 0) chunks_.push_back(std::make_unique<Job[]>(kChunkMask + 1));
  return jobs_allocated_++;
}

void Simulation::free_job(uint32_t id) {
  --jobs_live_;
  free_jobs_.push_back(id);
}

bool Simulation::run_until(double until) {
  while (!stopped_ && events_.next_time() <= until) {
    step();
    if (activity_started_) {
      activity_started_ = false;
      return true;
    }
  }
  return false;
}

void Simulation::step() {
  const Event e = events_.pop();
  now_ = e.time;
  dispatch(e);
}

void Simulation::dispatch(const Event& e) {
  ++event_count_;
  if ((event_count_ & ((1u << 18) - 1)) == 0 && progress_) progress_(now_);
  switch (e.kind) {
    case EventKind::Arrival: on_arrival(e.id); break;
    case EventKind::UserWake: on_user_wake(e.id); break;
    case EventKind::JobArrive: arrive(e.id); break;
    case EventKind::ComputeDone: on_computed(e.id); break;
    case EventKind::ReplyArrive: on_reply(e.id); break;
    case EventKind::BinEnd: close_bin(now_); break;
    case EventKind::CallTimeout: on_try_timeout(e.id, e.gen); break;
    case EventKind::CallDeadline: on_call_deadline(e.id, e.gen); break;
    case EventKind::RetryDue:
      if (calls_[e.id].serial == e.gen) send_attempt(e.id);
      break;
    case EventKind::BreakerTimer: on_breaker_timer(e.id, e.gen); break;
    case EventKind::OutlierTimer: on_outlier_timer(e.id, e.gen); break;
    case EventKind::LaneTimer: on_lane(e.id); break;
    case EventKind::FaultStart: on_fault(e.id, true); break;
    case EventKind::FaultEnd: on_fault(e.id, false); break;
    case EventKind::WarmupEnd:
      std::fill(visits_.begin(), visits_.end(), 0);
      for (auto& s : services_) {
        touch(s);
        s.queue_area_warm = s.queue_area;
        s.busy_area_warm = s.busy_area;
        s.arrivals_warm = s.totals.arrivals;
      }
      measuring_ = true;
      break;
  }
}

void Simulation::resume(double at, uint64_t token) {
  now_ = std::max(now_, at);
  dispatch(Event{now_, 0, static_cast<uint32_t>(token & 0xffffffffu), 0, static_cast<EventKind>(token >> 32)});
}

void Simulation::on_arrival(uint32_t source) {
  const auto& wl = system_.workload[source];
  auto& src = sources_[source];
  // Thinning against the profile's peak rate gives a non-homogeneous Poisson process; with a
  // constant rate every candidate is accepted and no extra random number is drawn.
  const double rate = wl.rate.at(now_) * rate_factor_[source];
  if (rate >= src.max_rate || src.arrival_rng.uniform() * src.max_rate < rate) start_request(source, kNone);
  schedule(now_ - std::log1p(-src.arrival_rng.uniform()) / src.max_rate, EventKind::Arrival, source);
}

void Simulation::on_user_wake(uint32_t user) { start_request(user_source_[user], user); }

void Simulation::start_request(uint32_t source, uint32_t user) {
  const auto& wl = system_.workload[source];
  auto& src = sources_[source];
  // A mix shift replaces the source's mix while it lasts.
  const bool shifted = mix_fault_[source] != kNone;
  const auto& types = shifted ? system_.faults[mix_fault_[source]].mix_types : wl.mix_types;
  const auto& cumulative = shifted ? system_.faults[mix_fault_[source]].mix_cumulative : wl.mix_cumulative;
  uint32_t type = types.front();
  if (types.size() > 1) {
    const double u = src.mix_rng.uniform();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    type = types[std::min<size_t>(static_cast<size_t>(it - cumulative.begin()), types.size() - 1)];
  }
  ++requests_[type].row.arrivals;
  // A closed-loop user is its own tenant; an open-loop request comes from one drawn uniformly.
  const uint32_t tenant = wl.first_tenant + (user != kNone ? (user % wl.tenants) : src.tenant_rng.below(wl.tenants));
  const auto& rt = system_.request_types[type];
  const uint32_t id = new_job();
  Job& j = job(id);
  j.parent = kNone;
  j.service = rt.cell_entries.empty() ? rt.entry : rt.cell_entries[cell_of(tenant, src.cell_rng)];
  j.replica = pick_replica(j.service);
  j.user = user;
  j.tenant = tenant;
  j.inproc = false;
  j.request_type = static_cast<uint16_t>(type);
  j.sync = true;
  j.critical = true;
  j.request_start = now_;
  j.response_bytes = 0;
  j.call = kNone;
  j.orphan = j.cancelled = j.degraded = false;
  j.failed = j.delayed = j.swallowed = false;
  j.deadline = INFINITY;
  arrive(id);
  check_limits();
}

uint32_t Simulation::cell_of(uint32_t tenant, RandomStream& rng) const {
  // The router hashes the tenant (a fixed function: a tenant stays in its cell across runs).
  uint64_t h = tenant + 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  const uint64_t k = system_.cells;
  const auto first = static_cast<uint32_t>(h % k);
  if (!system_.shuffle_sharding || k < 2) return first;
  // Shuffle sharding: the tenant's shard is a pair of cells; each request goes to one of the two.
  const auto second = static_cast<uint32_t>((first + 1 + (h / k) % (k - 1)) % k);
  return rng.bernoulli(0.5) ? first : second;
}

uint32_t Simulation::pick_replica(uint32_t service) {
  auto& s = services_[service];
  uint32_t r = 0;
  if (s.replica_count > 1) {
    switch (system_.services[service].balancer) {
      case Balancer::RoundRobin:
        r = s.next_rr;
        s.next_rr = s.next_rr + 1 == s.replica_count ? 0 : s.next_rr + 1;
        break;
      case Balancer::Random: r = s.balancer_rng.below(s.replica_count); break;
      case Balancer::LeastOutstanding: {
        // Power of two choices, as Envoy's LEAST_REQUEST does: near-optimal, O(1) per call.
        const uint32_t a = s.balancer_rng.below(s.replica_count);
        uint32_t b = s.balancer_rng.below(s.replica_count - 1);
        if (b >= a) ++b;
        r = replicas_[s.first_replica + b].outstanding < replicas_[s.first_replica + a].outstanding ? b : a;
        break;
      }
    }
  }
  if (s.outlier && replica_ejected(service, r)) {
    // Envoy balances over the replicas left: one of them, uniformly (not the ejected one's
    // neighbour, which would get double traffic). With every replica ejected, keep r.
    uint32_t left = 0;
    for (uint32_t k = 0; k < s.replica_count; ++k) left += !replica_ejected(service, k);
    if (left > 0) {
      uint32_t pick = s.balancer_rng.below(left);
      for (uint32_t k = 0; k < s.replica_count; ++k) {
        if (replica_ejected(service, k)) continue;
        if (pick-- == 0) {
          r = k;
          break;
        }
      }
    }
  }
  const uint32_t global = s.first_replica + r;
  ++replicas_[global].outstanding;
  return global;
}

void Simulation::send(uint32_t caller, const CallConfig& call, double bytes) {
  if (call.policy != kNoPolicy) {
    start_call(caller, call);
    return;
  }
  (void)bytes;
  if (call.mode != CallMode::Async) ++job(caller).pending;
  send_try(caller, call, kNone);
}

uint32_t Simulation::send_try(uint32_t caller, const CallConfig& call, uint32_t call_id) {
  const uint32_t id = new_job();
  Job& parent = job(caller);
  Job& j = job(id);
  j.parent = call.mode == CallMode::Async ? kNone : caller;
  j.service = call.callee;
  j.inproc = call.mode == CallMode::InProcess;
  // An in-process call runs in the caller's process: its replica, host, worker and fate.
  j.replica = j.inproc ? parent.replica : pick_replica(call.callee);
  j.user = kNone;
  j.call = call_id;
  j.failed = j.delayed = j.swallowed = false;
  j.request_type = parent.request_type;
  j.sync = call.mode != CallMode::Async;
  j.critical = call.critical;
  j.orphan = j.cancelled = j.degraded = false;
  j.response_bytes = call.response_bytes;
  j.deadline = parent.deadline;
  if (call_id != kNone) {
    const auto& c = calls_[call_id];
    if (system_.edge_policies[c.policy].retry.propagate_deadline) j.deadline = std::min(j.deadline, c.deadline_at);
  }
  if (j.inproc) {
    schedule(now_, EventKind::JobArrive, id);
    return id;
  }
  const uint32_t from = replicas_[parent.replica].host;
  const uint32_t to = replicas_[j.replica].host;
  bool lost = false;
  const double delay = transit(from, to, parent.service, j.service, lost);
  if (lost) {
    j.swallowed = true;  // dropped by a partition: only the caller's timeout notices
  } else if (backend_ && call.request_bytes > 0 && system_.bandwidth > 0 && from != to) {
    activity_started_ = true;
    backend_->start_transfer(from, to, call.request_bytes, make_token(EventKind::JobArrive, id));
  } else {
    schedule(now_ + delay, EventKind::JobArrive, id);
  }
  return id;
}

void Simulation::arrive(uint32_t job_id) {
  Job& j = job(job_id);
  j.arrive_time = now_;
  j.stage = 0;
  j.repeat_left = 0;
  j.pending = 0;
  j.failed = false;
  auto& s = services_[j.service];
  ++s.row.arrivals;
  ++s.totals.arrivals;
  if (measuring_) ++visits_[static_cast<size_t>(j.request_type) * services_.size() + j.service];
  Replica& rep = replicas_[j.replica];
  j.delayed = false;
  j.swallowed = false;
  if (rep.down) {
    reject(job_id, ErrorCause::Unavailable);  // connection refused
  } else if (j.inproc) {
    ++s.inproc_live;
    start_service(job_id);  // a function call: no queue, no admission, the caller's worker
  } else if (j.cancelled) {
    reject(job_id, ErrorCause::Timeout);  // its caller gave up and cancelled it on the way
  } else if (s.admission && !s.admission->admit(now_, s.busy + s.queued)) {
    reject(job_id, ErrorCause::Rejected);
  } else if (rep.busy < rep.workers) {
    start_service(job_id);
  } else if (rep.queue.size() < rep.queue_capacity) {
    touch(s);
    // Adaptive LIFO wants the count before the request joins: zero means the queue was empty.
    if (adaptive_lifo_[j.replica]) adaptive_lifo_[j.replica]->on_enqueue(now_, rep.queue.size());
    rep.queue.push_back(job_id);
    ++s.queued;
    s.row.queue_max = std::max(s.row.queue_max, s.queued);
  } else {
    reject(job_id, ErrorCause::QueueOverflow);
  }
}

void Simulation::start_service(uint32_t job_id) {
  Job& j = job(job_id);
  auto& s = services_[j.service];
  Replica& rep = replicas_[j.replica];
  if (!j.inproc) {
    touch(s);
    ++rep.busy;
    ++s.busy;
  }
  const double demand = system_.services[j.service].service_time.sample(s.service_time_rng);
  j.demand = demand;
  j.epoch = rep.epoch;
  if (rep.contended) {
    activity_started_ = true;
    backend_->start_exec(rep.host, demand * system_.reference_speed, make_token(EventKind::ComputeDone, job_id));
  } else {
    schedule(now_ + demand * rep.time_factor, EventKind::ComputeDone, job_id);
  }
}

void Simulation::on_computed(uint32_t job_id) {
  Job& j = job(job_id);
  auto& s = services_[j.service];
  const auto& cfg = system_.services[j.service];
  if ((!s.latency_faults.empty() || cfg.decaying) && !j.delayed && !dead(j)) {
    // Injected latency: the visit takes this much longer (its worker stays held).
    double extra = cfg.decaying ? cfg.decay_latency.at(now_, system_.duration) : 0.0;
    for (const auto* d : s.latency_faults) extra += d->sample(s.service_time_rng);
    j.delayed = true;
    schedule(now_ + extra, EventKind::ComputeDone, job_id);
    return;
  }
  const double own_error = cfg.decaying ? std::min(1.0, cfg.error_rate + cfg.decay_error.at(now_, system_.duration))
                                        : cfg.error_rate;
  const double error_rate = 1.0 - (1.0 - own_error) * s.fault_error_keep;
  if (error_rate > 0 && s.calls_rng.bernoulli(error_rate)) {
    j.failed = true;
    j.cause = ErrorCause::Injected;
    complete(job_id);
    return;
  }
  advance(job_id);
}

void Simulation::advance(uint32_t job_id) {
  Job& j = job(job_id);  // chunks never move, so the reference survives send()
  if (dead(j) && !j.failed) {  // its replica crashed while it was in service
    j.failed = true;
    j.cause = ErrorCause::Unavailable;
  }
  const CallPlan& plan = system_.plan(j.request_type, j.service);
  auto& rng = services_[j.service].calls_rng;
  while (!j.failed && j.stage < plan.stage_count) {
    const CallStage& st = system_.stages[plan.first_stage + j.stage];
    if (st.sequential) {
      const CallConfig& c = system_.calls[st.first_call];
      if (j.repeat_left == 0) {  // entering the stage
        if (!rng.bernoulli(c.probability)) {
          ++j.stage;
          continue;
        }
        j.repeat_left = c.count;
      }
      if (c.mode == CallMode::Async) {
        for (; j.repeat_left > 0; --j.repeat_left) send(job_id, c, c.request_bytes);
        ++j.stage;
        continue;
      }
      if (--j.repeat_left == 0) ++j.stage;
      send(job_id, c, c.request_bytes);
      return;
    }
    // A guard count: a call that ends at once (an open breaker, a full bulkhead) must not
    // bring pending to zero and re-enter this visit while the group is still being sent.
    ++j.pending;
    ++j.stage;
    for (uint32_t i = 0; i < st.call_count; ++i) {
      const CallConfig& c = system_.calls[st.first_call + i];
      if (!rng.bernoulli(c.probability)) continue;
      for (uint32_t k = 0; k < c.count; ++k) send(job_id, c, c.request_bytes);
    }
    if (--j.pending > 0) return;
  }
  complete(job_id);
}

void Simulation::complete(uint32_t job_id) {
  Job& j = job(job_id);
  auto& s = services_[j.service];
  Replica& rep = replicas_[j.replica];
  touch(s);
  if (j.failed) {
    ++s.row.errors[static_cast<size_t>(j.cause)];
    ++s.totals.errors[static_cast<size_t>(j.cause)];
  } else {
    const double latency = now_ - j.arrive_time;
    ++s.row.completions;
    ++s.totals.completions;
    s.bin_latency.record(latency);
    if (measuring_) {
      s.latency_sum += latency;
      ++s.latency_count;
    }
  }
  if (j.orphan) {
    s.totals.wasted_cpu += j.demand;
    wasted_cpu_ += j.demand;
  }
  if (j.inproc) {
    --s.inproc_live;  // it ran on its caller's worker: nothing of this service's to give back
  } else {
    --rep.outstanding;
    if (dead(j)) {
      --rep.killed;  // a crash already took the workers of the visits it killed
    } else {
      --rep.busy;
      --s.busy;
      start_next(j.replica);
    }
  }
  if (s.swallowing > 0 && j.parent != kNone && !j.orphan) {
    // The reply is swallowed: only the caller's timeout notices (abandon_try frees it then).
    j.swallowed = true;
    return;
  }
  reply(job_id);
}

void Simulation::start_next(uint32_t replica) {
  Replica& rep = replicas_[replica];
  auto& s = services_[rep.service];
  while (!rep.queue.empty() && rep.busy < rep.workers) {
    const bool lifo = rep.lifo || (adaptive_lifo_[replica] && adaptive_lifo_[replica]->use_lifo(now_, rep.queue.size()));
    const uint32_t next = lifo ? rep.queue.pop_back() : rep.queue.pop_front();
    --s.queued;
    Job& n = job(next);
    // Queue-time shedding drops what waited too long; a cancelled orphan is dropped unserved.
    if (n.cancelled) {
      reject(next, ErrorCause::Timeout);
      continue;
    }
    const double sojourn = now_ - n.arrive_time;
    const bool shed = adaptive_lifo_[replica] ? adaptive_lifo_[replica]->expired(now_, sojourn)
                      : codel_[replica]       ? codel_[replica]->on_dequeue(now_, sojourn, rep.queue.size())
                                              : false;
    if (shed) {
      reject(next, ErrorCause::Rejected);
      continue;
    }
    start_service(next);
    return;
  }
}

void Simulation::reject(uint32_t job_id, ErrorCause cause) {
  Job& j = job(job_id);
  auto& s = services_[j.service];
  j.failed = true;
  j.cause = cause;
  ++s.row.errors[static_cast<size_t>(cause)];
  ++s.totals.errors[static_cast<size_t>(cause)];
  if (!j.inproc) --replicas_[j.replica].outstanding;
  reply(job_id);
}

void Simulation::reply(uint32_t job_id) {
  Job& j = job(job_id);
  if (j.orphan) {  // nobody waits for this reply any more
    if (j.parent != kNone) ++edges_[j.orphan_edge].row.late_replies;
    free_job(job_id);
    return;
  }
  if (j.parent == kNone) {
    if (j.sync) end_request(j);  // the entry visit: the request ends here
    free_job(job_id);
    return;
  }
  if (j.inproc) {
    schedule(now_, EventKind::ReplyArrive, job_id);
    return;
  }
  const uint32_t from = replicas_[j.replica].host;
  const uint32_t to = replicas_[job(j.parent).replica].host;
  bool lost = false;
  const double delay = transit(from, to, kNone, kNone, lost);
  if (lost) {
    j.swallowed = true;  // the reply is dropped by a partition
  } else if (backend_ && j.response_bytes > 0 && system_.bandwidth > 0 && from != to) {
    activity_started_ = true;
    backend_->start_transfer(from, to, j.response_bytes, make_token(EventKind::ReplyArrive, job_id));
  } else {
    schedule(now_ + delay, EventKind::ReplyArrive, job_id);
  }
}

void Simulation::on_reply(uint32_t job_id) {
  const Job& child = job(job_id);
  if (child.orphan) {  // its caller gave up while this reply was on its way
    ++edges_[child.orphan_edge].row.late_replies;
    free_job(job_id);
    return;
  }
  if (services_[child.service].outlier && !child.inproc) {
    record_outlier(child.replica, child.failed);  // Envoy counts every 5xx of the host
  }
  if (child.call != kNone) {
    on_try_reply(job_id);
    return;
  }
  const uint32_t parent_id = child.parent;
  const bool fails_caller = child.failed && child.critical;
  const bool degraded = !child.failed && child.degraded;
  free_job(job_id);
  Job& p = job(parent_id);
  --p.pending;
  if (fails_caller && !p.failed) {
    p.failed = true;
    p.cause = ErrorCause::Downstream;
  }
  if (degraded) p.degraded = true;
  if (p.pending == 0) advance(parent_id);
}

void Simulation::end_request(const Job& j) {
  auto& r = requests_[j.request_type];
  if (now_ >= system_.user_window_start && now_ < system_.user_window_end) {
    ++tenant_requests_[j.tenant];
    tenant_failures_[j.tenant] += j.failed;
  }
  if (j.failed) {
    ++r.row.failures;
    if (measuring_) ++r.failures;
  } else {
    const double latency = now_ - j.request_start;
    ++r.row.successes;
    r.bin_latency.record(latency);
    if (measuring_) {
      ++r.successes;
      if (j.degraded) ++r.degraded;
      r.latency.record(latency);
    }
  }
  if (j.user != kNone) {
    const uint32_t source = user_source_[j.user];
    schedule(now_ + system_.workload[source].think.sample(sources_[source].think_rng), EventKind::UserWake, j.user);
  }
}

void Simulation::touch(ServiceState& s) {
  const double dt = now_ - s.last_change;
  if (dt > 0) {
    const double q = s.queued * dt, b = s.busy * dt;
    s.bin_queue_area += q;
    s.bin_busy_area += b;
    s.queue_area += q;
    s.busy_area += b;
    s.last_change = now_;
  }
}

void Simulation::close_bin(double end) {
  const double width = end - bin_start_;
  for (size_t i = 0; i < services_.size(); ++i) {
    auto& s = services_[i];
    touch(s);
    auto& row = s.row;
    row.queue_mean = width > 0 ? s.bin_queue_area / width : 0;
    row.busy_mean = width > 0 ? s.bin_busy_area / width : 0;
    row.queue_max = std::max(row.queue_max, s.queued);
    row.latency_mean = s.bin_latency.mean();
    row.latency_p50 = s.bin_latency.quantile(0.5);
    row.latency_p95 = s.bin_latency.quantile(0.95);
    row.latency_p99 = s.bin_latency.quantile(0.99);
    service_rows_[i] = row;
    row = ServiceBinRow{};
    row.queue_max = s.queued;  // the next bin starts with what is waiting now
    s.bin_queue_area = s.bin_busy_area = 0;
    s.bin_latency.reset();
  }
  for (size_t i = 0; i < requests_.size(); ++i) {
    auto& r = requests_[i];
    r.row.latency_mean = r.bin_latency.mean();
    r.row.latency_p50 = r.bin_latency.quantile(0.5);
    r.row.latency_p99 = r.bin_latency.quantile(0.99);
    request_rows_[i] = r.row;
    r.row = RequestBinRow{};
    r.bin_latency.reset();
  }
  if (!edges_.empty()) close_edge_bins();
  sink_.write_bin(bin_index_, service_rows_, request_rows_);
  ++bin_index_;
  bin_start_ = end;
  const double next = bin_start_ + system_.bin_width;
  if (next < system_.duration - 1e-12 && !stopped_) schedule(next, EventKind::BinEnd, 0);
}

void Simulation::check_limits() {
  if (jobs_live_ > static_cast<uint64_t>(system_.limits.max_in_flight)) {
    stopped_ = true;
    stop_reason_ = "more than " + std::to_string(system_.limits.max_in_flight) +
                   " service visits in flight at t=" + std::to_string(now_) +
                   " s (overload or a call storm); stopped, results up to here kept";
  }
}

RunTotals Simulation::finish(double end) {
  now_ = std::max(now_, std::min(end, system_.duration));
  if (stopped_) now_ = std::max(now_, bin_start_);
  close_bin(now_);
  RunTotals out;
  const double measured = std::max(0.0, now_ - (measuring_ ? system_.warmup : now_));
  out.summary.measured_seconds = measured;
  for (size_t i = 0; i < services_.size(); ++i) {
    auto& s = services_[i];
    ServiceTotals t = s.totals;
    t.in_flight_end = 0;
    for (uint32_t r = 0; r < s.replica_count; ++r) {
      const auto& rep = replicas_[s.first_replica + r];
      t.in_flight_end += rep.busy + rep.killed + rep.queue.size();
    }
    t.in_flight_end += s.inproc_live;  // in-process visits hold their caller's worker, not this service's
    const double warm_q = system_.warmup > 0 ? s.queue_area_warm : 0;
    const double warm_b = system_.warmup > 0 ? s.busy_area_warm : 0;
    const uint64_t warm_a = system_.warmup > 0 ? s.arrivals_warm : 0;
    t.latency_mean = s.latency_count ? s.latency_sum / static_cast<double>(s.latency_count) : NAN;
    t.queue_mean = measured > 0 ? (s.queue_area - warm_q) / measured : NAN;
    t.busy_mean = measured > 0 ? (s.busy_area - warm_b) / measured : NAN;
    t.arrival_rate = measured > 0 ? static_cast<double>(s.totals.arrivals - warm_a) / measured : NAN;
    out.services.push_back(t);
  }
  LogHistogram all;
  for (auto& r : requests_) {
    RequestSummary rs;
    rs.successes = r.successes;
    rs.failures = r.failures;
    rs.latency_mean = r.latency.mean();
    rs.p50 = r.latency.quantile(0.5);
    rs.p95 = r.latency.quantile(0.95);
    rs.p99 = r.latency.quantile(0.99);
    rs.p999 = r.latency.quantile(0.999);
    rs.histogram = r.latency.counts();
    rs.degraded = r.degraded;
    const size_t rt = static_cast<size_t>(&r - requests_.data());
    const double ended = static_cast<double>(r.successes + r.failures);
    for (size_t s = 0; s < services_.size(); ++s) {
      rs.visits_per_request.push_back(ended > 0 ? static_cast<double>(visits_[rt * services_.size() + s]) / ended : NAN);
    }
    out.summary.degraded += r.degraded;
    all.merge(r.latency);
    out.summary.successes += r.successes;
    out.summary.failures += r.failures;
    out.requests.push_back(std::move(rs));
  }
  auto& sum = out.summary;
  sum.requests = sum.successes + sum.failures;
  sum.throughput = measured > 0 ? static_cast<double>(sum.requests) / measured : NAN;
  sum.goodput = measured > 0 ? static_cast<double>(sum.successes) / measured : NAN;
  for (uint32_t t = 0; t < tenant_requests_.size(); ++t) {
    if (tenant_requests_[t] == 0) continue;
    ++sum.users;
    sum.users_failing += tenant_failures_[t] > system_.user_failing_share * tenant_requests_[t];
  }
  sum.error_rate = sum.requests ? static_cast<double>(sum.failures) / static_cast<double>(sum.requests) : NAN;
  sum.latency_mean = all.mean();
  sum.p50 = all.quantile(0.5);
  sum.p95 = all.quantile(0.95);
  sum.p99 = all.quantile(0.99);
  sum.p999 = all.quantile(0.999);
  sum.wasted_cpu = wasted_cpu_;
  out.edges = edge_totals_;
  out.circuit_openings = circuit_openings_;
  sum.stopped_early = stopped_;
  sum.stop_reason = stop_reason_;
  sum.events = event_count_;
  return out;
}

}  // namespace rapture
