#include "model/flow/fault_timeline.hpp"

#include <algorithm>
#include <cmath>

#include "model/flow/request_flow.hpp"

namespace rapture {

using Kind = FaultSpec::Kind;

FaultTimeline::FaultTimeline(const System& system, Scheduler& clock, RunMeter& meter, ResourceBackend* backend,
                             RequestFlow& flow)
    : system_(system),
      clock_(clock),
      meter_(meter),
      backend_(backend),
      flow_(flow),
      active_(system.faults.size(), false),
      mix_fault_(system.workload.size(), kNone),
      rate_factor_(system.workload.size(), 1.0),
      services_(system.services.size()),
      rng_(system.seed, "faults", "latency"),
      start_(clock.add_kind<&FaultTimeline::on_start>(this)),
      end_(clock.add_kind<&FaultTimeline::on_end>(this)) {}

void FaultTimeline::start() {
  for (uint32_t f = 0; f < system_.faults.size(); ++f) {
    const auto& spec = system_.faults[f].spec;
    if (spec.start < system_.duration) clock_.at(spec.start, start_, f);
    if (spec.end < system_.duration && spec.kind != Kind::CacheFlush) clock_.at(spec.end, end_, f);
  }
}

void FaultTimeline::switch_fault(uint32_t fault, bool starts) {
  active_[fault] = starts;
  const auto& f = system_.faults[fault];
  switch (f.spec.kind) {
    case Kind::LoadSpike:
      for (uint32_t w = 0; w < rate_factor_.size(); ++w) {
        double factor = 1;
        for (uint32_t g = 0; g < system_.faults.size(); ++g) {
          const auto& o = system_.faults[g];
          if (active_[g] && o.spec.kind == Kind::LoadSpike && (o.workload == kNone || o.workload == w)) {
            factor *= o.spec.factor;
          }
        }
        rate_factor_[w] = factor;
      }
      break;
    case Kind::Slowdown: refresh_host(f.host); break;
    case Kind::CacheFlush:  // a one-shot at its start
      if (starts) flow_.flush_cache(system_.services[f.service].cache, f.spec.share);
      break;
    case Kind::MixShift:
      for (uint32_t w = 0; w < mix_fault_.size(); ++w) {
        mix_fault_[w] = kNone;
        for (uint32_t g = 0; g < system_.faults.size(); ++g) {
          const auto& o = system_.faults[g];
          if (active_[g] && o.spec.kind == Kind::MixShift && (o.workload == kNone || o.workload == w)) {
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
        if (active_[g] && o.spec.kind == Kind::LinkDegradation && o.host == f.host) factor *= o.spec.factor;
      }
      if (backend_ && system_.bandwidth > 0) backend_->set_link_factor(f.host, factor);
      break;
    }
    case Kind::HostFailure:
      for (uint32_t s = 0; s < services_.size(); ++s) {
        const auto& hosts = system_.services[s].replica_hosts;
        if (std::find(hosts.begin(), hosts.end(), f.host) != hosts.end()) refresh_service(s);
      }
      break;
    default: refresh_service(f.service); break;
  }
  network_faults_ = 0;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    const bool network = o.spec.kind == Kind::LinkDegradation || o.spec.kind == Kind::Partition ||
                         (o.spec.kind == Kind::Latency && o.caller != kNone);
    if (active_[g] && network) ++network_faults_;
  }
}

double FaultTimeline::transit(uint32_t from, uint32_t to, uint32_t caller, uint32_t callee, bool& lost) {
  double t = from == to ? 0.0 : system_.hop_latency;
  if (network_faults_ == 0) return t;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    if (!active_[g]) continue;
    const auto& o = system_.faults[g];
    const bool on_link = from != to && (o.host == from || o.host == to);
    if (o.spec.kind == Kind::Partition && on_link) lost = true;
    if (o.spec.kind == Kind::LinkDegradation && on_link && o.spec.latency) t += o.spec.latency->sample(rng_);
    if (o.spec.kind == Kind::Latency && o.caller != kNone && o.caller == caller && o.service == callee) {
      t += o.spec.latency->sample(rng_);
    }
  }
  return t;
}

void FaultTimeline::refresh_service(uint32_t service) {
  auto& s = services_[service];
  s.error_keep = 1;
  s.swallowing = 0;
  s.latencies.clear();
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    if (!active_[g] || o.service != service) continue;
    if (o.spec.kind == Kind::Error) s.error_keep *= 1.0 - o.spec.error_rate;
    if (o.spec.kind == Kind::Swallow) ++s.swallowing;
    if (o.spec.kind == Kind::Latency && o.caller == kNone && o.spec.latency) s.latencies.push_back(&*o.spec.latency);
  }
  meter_.touch(service);
  const auto& cfg = system_.services[service];
  const uint32_t first = flow_.first_replica(service);
  for (uint32_t r = 0; r < cfg.replicas; ++r) {
    const uint32_t global = first + r;
    const uint32_t host = cfg.replica_hosts[r];
    auto workers = static_cast<uint32_t>(cfg.workers), queue = static_cast<uint32_t>(cfg.queue_capacity);
    bool down = false;
    for (uint32_t g = 0; g < system_.faults.size(); ++g) {
      const auto& o = system_.faults[g];
      if (!active_[g]) continue;
      const bool on_replica = o.service == service && (o.replica == kNone || o.replica == global);
      if (on_replica && o.spec.kind == Kind::QueueShrink) queue = std::min(queue, static_cast<uint32_t>(o.spec.size));
      if (on_replica && o.spec.kind == Kind::WorkerShrink) {
        workers = std::min(workers, static_cast<uint32_t>(std::max<int64_t>(1, o.spec.size)));
      }
      if ((on_replica && o.spec.kind == Kind::Crash) || (o.spec.kind == Kind::HostFailure && o.host == host)) {
        down = true;
      }
    }
    flow_.set_replica(global, workers, queue, down);
  }
}

void FaultTimeline::refresh_host(uint32_t host) {
  double factor = 1;
  for (uint32_t g = 0; g < system_.faults.size(); ++g) {
    const auto& o = system_.faults[g];
    if (active_[g] && o.spec.kind == Kind::Slowdown && o.host == host) factor *= o.spec.factor;
  }
  const auto& cfg = system_.hosts[host];
  flow_.set_host_time_factor(host, system_.reference_speed / (cfg.speed * factor));
  if (backend_ && cfg.contended()) {
    const auto& levels = cfg.speed_levels;
    const auto it = std::find(levels.begin(), levels.end(), factor);
    backend_->set_speed_level(host, static_cast<uint32_t>(it - levels.begin()));
  }
}

}  // namespace rapture
