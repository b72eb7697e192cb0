// The fault timeline in the request flow: each fault switches on at its start and off at
// its end; the state of its target is then recomputed from every fault active on it, so
// that faults compose and overlap (latencies add, error rates combine, slowdowns multiply,
// shrinks take the smallest size, a crash lasts while any crash of the replica is active).

#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace rapture {

using Kind = FaultSpec::Kind;

void Simulation::init_faults() {
  fault_active_.assign(system_.faults.size(), false);
  mix_fault_.assign(system_.workload.size(), kNone);
  fault_rng_ = RandomStream(system_.seed, "faults", "latency");
  rate_factor_.assign(system_.workload.size(), 1.0);
  for (uint32_t f = 0; f < system_.faults.size(); ++f) {
    const auto& spec = system_.faults[f].spec;
    if (spec.start < system_.duration) schedule(spec.start, EventKind::FaultStart, f);
    if (spec.end < system_.duration) schedule(spec.end, EventKind::FaultEnd, f);
  }
}

void Simulation::on_fault(uint32_t fault, bool starts) {
  fault_active_[fault] = starts;
  const auto& f = system_.faults[fault];
  switch (f.spec.kind) {
    case Kind::LoadSpike:
      for (uint32_t w = 0; w < rate_factor_.size(); ++w) {
        double factor = 1;
        for (uint32_t g = 0; g < system_.faults.size(); ++g) {
          const auto& o = system_.faults[g];
          if (fault_active_[g] && o.spec.kind == Kind::LoadSpike && (o.workload == kNoPolicy || o.workload == w)) {
            factor *= o.spec.factor;
          }
        }
        rate_factor_[w] = factor;
      }
      break;
    case Kind::Slowdown: refresh_host_faults(f.host); break;
    case Kind::MixShift:
      for (uint32_t w = 0; w < mix_fault_.size(); ++w) {
        mix_fault_[w] = kNone;
        for (uint32_t g = 0; g < system_.faults.size(); ++g) {
          const auto& o = system_.faults[g];
          if (fault_active_[g] && o.spec.kind == Kind::MixShift && (o.workload == kNoPolicy || o.workload == w)) {
            mix_fault_[w] = g;  // the latest-declared active shift wins
          }
        }
      }
      break;
    case Kind::LinkDegradation:
    case Kind::Partition: {
      double factor = 1;
      for (uint32_t g = 0; g < system_.faults.size(); ++g) {
        const auto& o = system_.faults[g];
        if (fault_active_[g] && o.spec.kind == Kind::LinkDegradation && o.host == f.host) factor *= o.spec.factor;
      }
      if (backend_ && system_.bandwidth > 0) backend_->set_link_factor(f.host, factor);
      break;
    }
    case Kind::HostFailure:
      for (uint32_t s = 0; s < services_.size(); ++s) {
        const auto& hosts = system_.services[s].replica_hosts;
        if (std::find(hosts.begin(), hosts.end(), f.host) != hosts.end()) refresh_service_faults(s);
      }
      break;
    default: refresh_service_faults(f.service); break;
  }
  network_faults_ = 0;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    const bool network = o.spec.kind == Kind::LinkDegradation || o.spec.kind == Kind::Partition ||
                         (o.spec.kind == Kind::Latency && o.caller != kNoPolicy);
    if (fault_active_[g] && network) ++network_faults_;
  }
}

double Simulation::transit(uint32_t from, uint32_t to, uint32_t caller, uint32_t callee, bool& lost) {
  double t = hop(from, to);
  if (network_faults_ == 0) return t;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    if (!fault_active_[g]) continue;
    const auto& o = system_.faults[g];
    const bool on_link = from != to && (o.host == from || o.host == to);
    if (o.spec.kind == Kind::Partition && on_link) lost = true;
    if (o.spec.kind == Kind::LinkDegradation && on_link && o.spec.latency) t += o.spec.latency->sample(fault_rng_);
    if (o.spec.kind == Kind::Latency && o.caller != kNoPolicy && o.caller == caller && o.service == callee) {
      t += o.spec.latency->sample(fault_rng_);
    }
  }
  return t;
}

void Simulation::refresh_service_faults(uint32_t service) {
  auto& s = services_[service];
  s.fault_error_keep = 1;
  s.swallowing = 0;
  s.latency_faults.clear();
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    if (!fault_active_[g] || o.service != service) continue;
    if (o.spec.kind == Kind::Error) s.fault_error_keep *= 1.0 - o.spec.error_rate;
    if (o.spec.kind == Kind::Swallow) ++s.swallowing;
    if (o.spec.kind == Kind::Latency && o.caller == kNoPolicy && o.spec.latency) s.latency_faults.push_back(&*o.spec.latency);
  }
  touch(s);
  for (uint32_t r = 0; r < s.replica_count; ++r) {
    const uint32_t global = s.first_replica + r;
    Replica& rep = replicas_[global];
    uint32_t workers = rep.base_workers, queue = rep.base_queue;
    bool down = false;
    for (uint32_t g = 0; g < system_.faults.size(); ++g) {
      const auto& o = system_.faults[g];
      if (!fault_active_[g]) continue;
      const bool on_replica = o.service == service && (o.replica == kNoPolicy || o.replica == global);
      if (on_replica && o.spec.kind == Kind::QueueShrink) queue = std::min(queue, static_cast<uint32_t>(o.spec.size));
      if (on_replica && o.spec.kind == Kind::WorkerShrink) {
        workers = std::min(workers, static_cast<uint32_t>(std::max<int64_t>(1, o.spec.size)));
      }
      if ((on_replica && o.spec.kind == Kind::Crash) || (o.spec.kind == Kind::HostFailure && o.host == rep.host)) {
        down = true;
      }
    }
    rep.workers = workers;
    rep.queue_capacity = queue;
    if (down && !rep.down) {
      // The replica dies: the visits in service die with it (their callers learn it when
      // the visit would have ended), the waiting ones are refused now.
      rep.down = true;
      ++rep.epoch;
      s.busy -= rep.busy;
      rep.killed += rep.busy;
      rep.busy = 0;
      while (!rep.queue.empty()) {
        const uint32_t next = rep.queue.pop_front();
        --s.queued;
        reject(next, ErrorCause::Unavailable);
      }
    } else if (!down && rep.down) {
      rep.down = false;  // restarted, empty
    }
    // A shrunk queue keeps what already waits; a larger pool starts the waiting visits.
    start_next(global);
  }
}

void Simulation::refresh_host_faults(uint32_t host) {
  double factor = 1;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    if (fault_active_[g] && o.spec.kind == Kind::Slowdown && o.host == host) factor *= o.spec.factor;
  }
  const auto& cfg = system_.hosts[host];
  for (auto& rep : replicas_) {
    if (rep.host == host) rep.time_factor = system_.reference_speed / (cfg.speed * factor);
  }
  if (backend_ && cfg.contended()) {
    const auto& levels = cfg.speed_levels;
    const auto it = std::find(levels.begin(), levels.end(), factor);
    backend_->set_speed_level(host, static_cast<uint32_t>(it - levels.begin()));
  }
}

}  // namespace rapture
