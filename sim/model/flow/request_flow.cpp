#include "model/flow/request_flow.hpp"

#include <algorithm>
#include <cmath>

#include "model/flow/call_policies.hpp"
#include "model/flow/fault_timeline.hpp"

namespace rapture {

RequestFlow::RequestFlow(const System& system, Scheduler& clock, RunMeter& meter, CalleeProtection& protection,
                         ResourceBackend* backend)
    : system_(system), clock_(clock), meter_(meter), protection_(protection), backend_(backend) {
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
      rep.contended = host.contended();
      rep.time_factor = system.reference_speed / host.speed;
      replicas_.push_back(std::move(rep));
    }
  }
  caches_.reserve(system.caches.size());
  for (const auto& c : system.caches) {
    const auto& name = system.services[c.service].name;
    caches_.push_back({LookAsideCache(c.spec.capacity, c.spec.eviction, c.spec.ttl),
                       KeySpace(c.spec.keys, c.spec.popularity, c.spec.exponent), RandomStream(seed, name, "keys"),
                       RandomStream(seed, name, "cache_flush")});
  }
  sources_.resize(system.workload.size());
  for (uint32_t w = 0; w < system.workload.size(); ++w) {
    const auto& wl = system.workload[w];
    auto& src = sources_[w];
    src.arrival_rng = RandomStream(seed, wl.label, "arrivals");
    src.mix_rng = RandomStream(seed, wl.label, "mix");
    src.think_rng = RandomStream(seed, wl.label, "think");
    src.tenant_rng = RandomStream(seed, wl.label, "tenant");
    src.cell_rng = RandomStream(seed, wl.label, "cell");
  }
  arrival_ = clock.add_kind<&RequestFlow::on_arrival>(this);
  user_wake_ = clock.add_kind<&RequestFlow::on_user_wake>(this);
  visit_arrive_ = clock.add_kind<&RequestFlow::on_visit_arrive>(this);
  computed_ = clock.add_kind<&RequestFlow::on_computed>(this);
  reply_arrive_ = clock.add_kind<&RequestFlow::on_reply>(this);
  burst_ = clock.add_kind<&RequestFlow::on_burst>(this);
}

void RequestFlow::attach(CallPolicies& policies, FaultTimeline& faults) {
  policies_ = &policies;
  faults_ = &faults;
}

void RequestFlow::start() {
  for (uint32_t w = 0; w < system_.workload.size(); ++w) {
    const auto& wl = system_.workload[w];
    auto& src = sources_[w];
    if (wl.kind == WorkloadSpec::Kind::Poisson) {
      // Load spikes raise the rate: thinning needs the peak of every spike that may overlap.
      src.max_rate = wl.rate.max();
      for (const auto& f : system_.faults) {
        if (f.spec.kind == FaultSpec::Kind::LoadSpike && (f.workload == kNone || f.workload == w)) {
          src.max_rate *= std::max(1.0, f.spec.factor);
        }
      }
      clock_.at(-std::log1p(-src.arrival_rng.uniform()) / src.max_rate, arrival_, w);
      for (uint32_t b = 0; b < wl.rate.bursts.size(); ++b) clock_.at(wl.rate.bursts[b].at, burst_, w, b);
    } else {
      for (int64_t u = 0; u < wl.users; ++u) {
        const auto user = static_cast<uint32_t>(user_source_.size());
        user_source_.push_back(w);
        clock_.at(wl.think.sample(src.think_rng), user_wake_, user);
      }
    }
  }
}

void RequestFlow::on_arrival(const Event& e) {
  const uint32_t source = e.id;
  const double now = clock_.now();
  const auto& wl = system_.workload[source];
  auto& src = sources_[source];
  // Thinning against the profile's peak rate gives a non-homogeneous Poisson process; with a
  // constant rate every candidate is accepted and no extra random number is drawn.
  const double rate = wl.rate.at(now) * faults_->rate_factor(source);
  if (rate >= src.max_rate || src.arrival_rng.uniform() * src.max_rate < rate) start_request(source, kNone);
  clock_.at(now - std::log1p(-src.arrival_rng.uniform()) / src.max_rate, arrival_, source);
}

void RequestFlow::on_burst(const Event& e) {
  // All at one instant, in one event: the arrivals of a burst are not spread by the clock.
  for (int64_t k = system_.workload[e.id].rate.bursts[e.gen].count; k > 0 && !stopped_; --k) {
    start_request(e.id, kNone);
  }
}

void RequestFlow::start_request(uint32_t source, uint32_t user) {
  const auto& wl = system_.workload[source];
  auto& src = sources_[source];
  // A mix shift replaces the source's mix while it lasts.
  const uint32_t shift = faults_->mix_shift(source);
  const auto& types = shift != kNone ? system_.faults[shift].mix_types : wl.mix_types;
  const auto& cumulative = shift != kNone ? system_.faults[shift].mix_cumulative : wl.mix_cumulative;
  uint32_t type = types.front();
  if (types.size() > 1) {
    const double u = src.mix_rng.uniform();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    type = types[std::min<size_t>(static_cast<size_t>(it - cumulative.begin()), types.size() - 1)];
  }
  meter_.request_sent(type);
  // A closed-loop user is its own tenant; an open-loop request comes from one drawn uniformly.
  const uint32_t tenant = wl.first_tenant + (user != kNone ? (user % wl.tenants) : src.tenant_rng.below(wl.tenants));
  const auto& rt = system_.request_types[type];
  const uint32_t id = visits_.make();
  Visit& v = visits_[id];
  v.parent = kNone;
  v.service = rt.cell_entries.empty() ? rt.entry : rt.cell_entries[cell_of(tenant, src.cell_rng)];
  v.replica = pick_replica(v.service);
  v.user = user;
  v.tenant = tenant;
  v.inproc = false;
  v.request_type = static_cast<uint16_t>(type);
  v.sync = true;
  v.critical = true;
  v.request_start = clock_.now();
  v.response_bytes = 0;
  v.call = kNone;
  v.fill_cache = kNone;
  v.cache_key = 0;
  v.orphan = v.cancelled = v.degraded = false;
  v.failed = v.delayed = v.swallowed = false;
  v.deadline = INFINITY;
  arrive(id);
  check_limits();
}

uint32_t RequestFlow::cell_of(uint32_t tenant, RandomStream& rng) const {
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

uint32_t RequestFlow::pick_replica(uint32_t service) {
  auto& s = services_[service];
  uint32_t r = 0;
  if (s.replica_count > 1) {
    switch (system_.services[service].balancer) {
      case Balancer::RoundRobin:
        r = s.next_rr;
        s.next_rr = s.next_rr + 1 == s.replica_count ? 0 : s.next_rr + 1;
        break;
      case Balancer::Random: r = s.balancer_rng.below(s.replica_count); break;
      case Balancer::LeastConnections: {
        // HAProxy's leastconn: every replica scanned, the fewest outstanding wins; ties go round
        // robin (the scan starts after the last pick), as HAProxy rotates within equal loads.
        const uint32_t start = s.next_rr;
        uint32_t best = replicas_[s.first_replica + start].outstanding;
        r = start;
        for (uint32_t k = 1; k < s.replica_count; ++k) {
          const uint32_t i = start + k < s.replica_count ? start + k : start + k - s.replica_count;
          if (replicas_[s.first_replica + i].outstanding < best) {
            best = replicas_[s.first_replica + i].outstanding;
            r = i;
          }
        }
        s.next_rr = r + 1 == s.replica_count ? 0 : r + 1;
        break;
      }
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
  if (protection_.ejects(service) && protection_.ejected(service, r)) {
    // Envoy balances over the replicas left: one of them, uniformly (not the ejected one's
    // neighbour, which would get double traffic). With every replica ejected, keep r.
    uint32_t left = 0;
    for (uint32_t k = 0; k < s.replica_count; ++k) left += !protection_.ejected(service, k);
    if (left > 0) {
      uint32_t pick = s.balancer_rng.below(left);
      for (uint32_t k = 0; k < s.replica_count; ++k) {
        if (protection_.ejected(service, k)) continue;
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

void RequestFlow::send(uint32_t caller, const CallConfig& call) {
  if (call.policy != kNone) {
    policies_->start_call(caller, call);
    return;
  }
  if (call.mode != CallMode::Async) ++visits_[caller].pending;
  send_try(caller, call, kNone);
}

uint32_t RequestFlow::send_try(uint32_t caller, const CallConfig& call, uint32_t call_id) {
  const uint32_t id = visits_.make();
  Visit& parent = visits_[caller];
  Visit& v = visits_[id];
  v.parent = call.mode == CallMode::Async ? kNone : caller;
  v.service = call.callee;
  v.inproc = call.mode == CallMode::InProcess;
  // An in-process call runs in the caller's process: its replica, host, worker and fate.
  v.replica = v.inproc ? parent.replica : pick_replica(call.callee);
  v.user = kNone;
  v.call = call_id;
  v.failed = v.delayed = v.swallowed = false;
  v.request_type = parent.request_type;
  v.sync = call.mode != CallMode::Async;
  v.critical = call.critical;
  v.orphan = v.cancelled = v.degraded = false;
  v.response_bytes = call.response_bytes;
  v.fill_cache = call.cache;
  v.cache_key = parent.cache_key;
  v.deadline = parent.deadline;
  if (call_id != kNone) v.deadline = std::min(v.deadline, policies_->propagated_deadline(call_id));
  const double now = clock_.now();
  if (v.inproc) {
    clock_.at(now, visit_arrive_, id);
    return id;
  }
  const uint32_t from = replicas_[parent.replica].host;
  const uint32_t to = replicas_[v.replica].host;
  bool lost = false;
  const double delay = faults_->transit(from, to, parent.service, v.service, lost);
  if (lost) {
    v.swallowed = true;  // dropped by a partition: only the caller's timeout notices
  } else if (backend_ && call.request_bytes > 0 && system_.bandwidth > 0 && from != to) {
    clock_.activity_started();
    backend_->start_transfer(from, to, call.request_bytes, Scheduler::token(visit_arrive_, id));
  } else {
    clock_.at(now + delay, visit_arrive_, id);
  }
  return id;
}

void RequestFlow::arrive(uint32_t id) {
  const double now = clock_.now();
  Visit& v = visits_[id];
  v.arrive_time = now;
  v.stage = 0;
  v.repeat_left = 0;
  v.pending = 0;
  v.failed = false;
  auto& s = services_[v.service];
  meter_.arrival(v.service, v.request_type);
  Replica& rep = replicas_[v.replica];
  v.delayed = false;
  v.swallowed = false;
  if (rep.down) {
    reject(id, ErrorCause::Unavailable);  // connection refused
  } else if (v.inproc) {
    ++s.inproc_live;
    start_service(id);  // a function call: no queue, no admission, the caller's worker
  } else if (v.cancelled) {
    reject(id, ErrorCause::Timeout);  // its caller gave up and cancelled it on the way
  } else if (!protection_.admit(v.service, meter_.busy(v.service) + meter_.queued(v.service))) {
    reject(id, ErrorCause::Rejected);
  } else if (rep.busy < rep.workers) {
    start_service(id);
  } else if (rep.queue.size() < rep.queue_capacity) {
    meter_.touch(v.service);
    // Adaptive LIFO wants the count before the request joins: zero means the queue was empty.
    protection_.on_enqueue(v.replica, rep.queue.size());
    rep.queue.push_back(id);
    meter_.enqueued(v.service);
  } else {
    reject(id, ErrorCause::QueueOverflow);
  }
}

void RequestFlow::start_service(uint32_t id) {
  Visit& v = visits_[id];
  auto& s = services_[v.service];
  Replica& rep = replicas_[v.replica];
  if (!v.inproc) {
    ++rep.busy;
    meter_.started(v.service);
  }
  const auto& cfg = system_.services[v.service];
  double demand = cfg.service_time.sample(s.service_time_rng);
  // Work that grows with load (GC, memory pressure, locks): read when the visit takes its worker.
  if (cfg.load_cost.active()) demand *= cfg.load_cost.multiplier(load_of(rep, cfg.load_cost.of));
  v.demand = demand;
  v.epoch = rep.epoch;
  if (rep.contended) {
    clock_.activity_started();
    backend_->start_exec(rep.host, demand * system_.reference_speed, Scheduler::token(computed_, id));
  } else {
    clock_.at(clock_.now() + demand * rep.time_factor, computed_, id);
  }
}

double RequestFlow::load_of(const Replica& rep, LoadCost::Variable variable) {
  switch (variable) {
    case LoadCost::Variable::Utilisation: return static_cast<double>(rep.busy) / rep.workers;
    case LoadCost::Variable::InFlight: return static_cast<double>(rep.busy) + static_cast<double>(rep.queue.size());
    case LoadCost::Variable::Queue: return static_cast<double>(rep.queue.size());
  }
  return 0;
}

void RequestFlow::on_computed(const Event& e) {
  const uint32_t id = e.id;
  const double now = clock_.now();
  Visit& v = visits_[id];
  auto& s = services_[v.service];
  const auto& cfg = system_.services[v.service];
  const auto latencies = faults_->latencies(v.service);
  if ((!latencies.empty() || cfg.decaying) && !v.delayed && !dead(v)) {
    // Injected latency: the visit takes this much longer (its worker stays held).
    double extra = cfg.decaying ? cfg.decay_latency.at(now, system_.duration) : 0.0;
    for (const auto* d : latencies) extra += d->sample(s.service_time_rng);
    v.delayed = true;
    clock_.at(now + extra, computed_, id);
    return;
  }
  const double own_error =
      cfg.decaying ? std::min(1.0, cfg.error_rate + cfg.decay_error.at(now, system_.duration)) : cfg.error_rate;
  const double error_rate = 1.0 - (1.0 - own_error) * faults_->error_keep(v.service);
  if (error_rate > 0 && s.calls_rng.bernoulli(error_rate)) {
    v.failed = true;
    v.cause = ErrorCause::Injected;
    complete(id);
    return;
  }
  advance(id);
}

void RequestFlow::advance(uint32_t id) {
  Visit& v = visits_[id];      // chunks never move, so the reference survives send()
  if (dead(v) && !v.failed) {  // its replica crashed while it was in service
    v.failed = true;
    v.cause = ErrorCause::Unavailable;
  }
  const CallPlan& plan = system_.plan(v.request_type, v.service);
  auto& rng = services_[v.service].calls_rng;
  while (!v.failed && v.stage < plan.stage_count) {
    const CallStage& st = system_.stages[plan.first_stage + v.stage];
    if (st.sequential) {
      const CallConfig& c = system_.calls[st.first_call];
      if (v.repeat_left == 0) {  // entering the stage
        // A stateful cache calls its backend on a miss only, whatever the edge's probability.
        if (c.cache != kNone ? !cache_miss(id, c.cache) : !rng.bernoulli(c.probability)) {
          ++v.stage;
          continue;
        }
        v.repeat_left = c.count;
      }
      if (c.mode == CallMode::Async) {
        for (; v.repeat_left > 0; --v.repeat_left) send(id, c);
        ++v.stage;
        continue;
      }
      if (--v.repeat_left == 0) ++v.stage;
      send(id, c);
      return;
    }
    // A guard count: a call that ends at once (an open breaker, a full bulkhead) must not
    // bring pending to zero and re-enter this visit while the group is still being sent.
    ++v.pending;
    ++v.stage;
    for (uint32_t i = 0; i < st.call_count; ++i) {
      const CallConfig& c = system_.calls[st.first_call + i];
      if (c.cache != kNone ? !cache_miss(id, c.cache) : !rng.bernoulli(c.probability)) continue;
      for (uint32_t k = 0; k < c.count; ++k) send(id, c);
    }
    if (--v.pending > 0) return;
  }
  complete(id);
}

void RequestFlow::complete(uint32_t id) {
  Visit& v = visits_[id];
  auto& s = services_[v.service];
  Replica& rep = replicas_[v.replica];
  meter_.touch(v.service);
  if (v.failed) {
    meter_.error(v.service, v.cause);
  } else {
    meter_.completion(v.service, clock_.now() - v.arrive_time);
  }
  if (v.orphan) meter_.wasted(v.service, v.demand);
  if (v.inproc) {
    --s.inproc_live;  // it ran on its caller's worker: nothing of this service's to give back
  } else {
    --rep.outstanding;
    if (dead(v)) {
      --rep.killed;  // a crash already took the workers of the visits it killed
    } else {
      --rep.busy;
      meter_.released(v.service);
      start_next(v.replica);
    }
  }
  if (faults_->swallowing(v.service) && v.parent != kNone && !v.orphan) {
    // The reply is swallowed: only the caller's timeout notices (abandon_try frees it then).
    v.swallowed = true;
    return;
  }
  reply(id);
}

void RequestFlow::start_next(uint32_t replica) {
  Replica& rep = replicas_[replica];
  while (!rep.queue.empty() && rep.busy < rep.workers) {
    const bool lifo = rep.lifo || protection_.serve_newest(replica, rep.queue.size());
    const uint32_t next = lifo ? rep.queue.pop_back() : rep.queue.pop_front();
    meter_.dequeued(rep.service);
    Visit& n = visits_[next];
    // Queue-time shedding drops what waited too long; a cancelled orphan is dropped unserved.
    if (n.cancelled) {
      reject(next, ErrorCause::Timeout);
      continue;
    }
    if (protection_.shed(replica, clock_.now() - n.arrive_time, rep.queue.size())) {
      reject(next, ErrorCause::Rejected);
      continue;
    }
    start_service(next);
    return;
  }
}

void RequestFlow::set_replica(uint32_t replica, uint32_t workers, uint32_t queue, bool down) {
  Replica& rep = replicas_[replica];
  rep.workers = workers;
  rep.queue_capacity = queue;
  if (down && !rep.down) {
    // The replica dies: the visits in service die with it (their callers learn it when
    // the visit would have ended), the waiting ones are refused now.
    rep.down = true;
    ++rep.epoch;
    meter_.released(rep.service, rep.busy);
    rep.killed += rep.busy;
    rep.busy = 0;
    while (!rep.queue.empty()) {
      const uint32_t next = rep.queue.pop_front();
      meter_.dequeued(rep.service);
      reject(next, ErrorCause::Unavailable);
    }
    // A cache's contents live in its processes' memory: a crashed cache restarts cold. Its keys
    // are spread over its replicas (a memcached client hashes each key to one server), so one
    // replica's crash loses its share of them.
    const auto& cfg = system_.services[rep.service];
    if (cfg.cache != kNone) flush_cache(cfg.cache, 1.0 / static_cast<double>(cfg.replicas));
  } else if (!down && rep.down) {
    rep.down = false;  // restarted, empty
  }
  // A shrunk queue keeps what already waits; a larger pool starts the waiting visits.
  start_next(replica);
}

void RequestFlow::set_host_time_factor(uint32_t host, double factor) {
  for (auto& rep : replicas_) {
    if (rep.host == host) rep.time_factor = factor;
  }
}

void RequestFlow::reject(uint32_t id, ErrorCause cause) {
  Visit& v = visits_[id];
  v.failed = true;
  v.cause = cause;
  meter_.error(v.service, cause);
  if (!v.inproc) --replicas_[v.replica].outstanding;
  reply(id);
}

void RequestFlow::reply(uint32_t id) {
  Visit& v = visits_[id];
  if (v.orphan) {                              // nobody waits for this reply any more
    if (v.fill_cache != kNone) fill_cache(v);  // a client fills its cache with a late answer too
    if (v.parent != kNone) ++meter_.edge(v.orphan_edge).late_replies;
    visits_.release(id);
    return;
  }
  if (v.parent == kNone) {
    if (v.sync) end_request(v);  // the entry visit: the request ends here
    visits_.release(id);
    return;
  }
  const double now = clock_.now();
  if (v.inproc) {
    clock_.at(now, reply_arrive_, id);
    return;
  }
  const uint32_t from = replicas_[v.replica].host;
  const uint32_t to = replicas_[visits_[v.parent].replica].host;
  bool lost = false;
  const double delay = faults_->transit(from, to, kNone, kNone, lost);
  if (lost) {
    v.swallowed = true;  // the reply is dropped by a partition
  } else if (backend_ && v.response_bytes > 0 && system_.bandwidth > 0 && from != to) {
    clock_.activity_started();
    backend_->start_transfer(from, to, v.response_bytes, Scheduler::token(reply_arrive_, id));
  } else {
    clock_.at(now + delay, reply_arrive_, id);
  }
}

void RequestFlow::on_reply(const Event& e) {
  const uint32_t id = e.id;
  const Visit& child = visits_[id];
  if (child.fill_cache != kNone) fill_cache(child);  // late answers too: the client still fills
  if (child.orphan) {                                // its caller gave up while this reply was on its way
    ++meter_.edge(child.orphan_edge).late_replies;
    visits_.release(id);
    return;
  }
  if (protection_.ejects(child.service) && !child.inproc) {
    // Envoy counts every 5xx of the host.
    protection_.record(child.replica, child.failed);
  }
  if (child.call != kNone) {
    policies_->on_try_reply(id);
    return;
  }
  const uint32_t parent = child.parent;
  const bool fails_caller = child.failed && child.critical;
  const bool degraded = !child.failed && child.degraded;
  visits_.release(id);
  answer(parent, fails_caller, ErrorCause::Downstream, degraded);
}

void RequestFlow::answer(uint32_t parent, bool fails, ErrorCause cause, bool degraded) {
  Visit& p = visits_[parent];
  --p.pending;
  if (fails && !p.failed) {
    p.failed = true;
    p.cause = cause;
  }
  if (degraded) p.degraded = true;
  if (p.pending == 0) advance(parent);
}

void RequestFlow::end_request(const Visit& v) {
  const double now = clock_.now();
  meter_.request_end(v.request_type, v.tenant, v.failed, v.degraded, now - v.request_start);
  if (v.user != kNone) {
    const uint32_t source = user_source_[v.user];
    double wait = system_.workload[source].think.sample(sources_[source].think_rng);
    // A client backs off after an error instead of resending at once: without this, more users
    // than the entry holds and no think time resend their rejected requests forever at one instant.
    if (v.failed) wait = std::max(wait, kClosedLoopErrorBackoff);
    clock_.at(now + wait, user_wake_, v.user);
  }
}

bool RequestFlow::cache_miss(uint32_t id, uint32_t cache) {
  Visit& v = visits_[id];
  auto& c = caches_[cache];
  v.cache_key = c.keys.draw(c.key_rng);
  const bool hit = c.contents.lookup(v.cache_key, clock_.now());
  meter_.cache_lookup(cache, hit);
  return !hit;
}

void RequestFlow::fill_cache(const Visit& child) {
  if (child.failed) return;
  caches_[child.fill_cache].contents.fill(child.cache_key, clock_.now());
  meter_.cache_fill(child.fill_cache);
}

uint32_t RequestFlow::flush_cache(uint32_t cache, double share) {
  auto& c = caches_[cache];
  return c.contents.flush(share, c.flush_rng);
}

void RequestFlow::check_limits() {
  if (visits_.live() > static_cast<uint64_t>(system_.limits.max_in_flight)) {
    stopped_ = true;
    stop_reason_ = "more than " + std::to_string(system_.limits.max_in_flight) +
                   " service visits in flight at t=" + std::to_string(clock_.now()) +
                   " s (overload or a call storm); stopped, results up to here kept";
  }
}

std::vector<uint64_t> RequestFlow::in_flight() const {
  std::vector<uint64_t> out(services_.size(), 0);
  for (size_t i = 0; i < services_.size(); ++i) {
    const auto& s = services_[i];
    for (uint32_t r = 0; r < s.replica_count; ++r) {
      const auto& rep = replicas_[s.first_replica + r];
      out[i] += rep.busy + rep.killed + rep.queue.size();
    }
    out[i] += s.inproc_live;  // in-process visits hold their caller's worker, not this service's
  }
  return out;
}

}  // namespace rapture
