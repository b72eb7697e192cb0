#include "analysis/cascade_report.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include <fmt/format.h>

#include "analysis/health_timeline.hpp"
#include "analysis/system_graph.hpp"
#include "common/text.hpp"

namespace rapture {

std::string_view to_string(Health health) {
  switch (health) {
    case Health::Healthy: return "healthy";
    case Health::Degraded: return "degraded";
    case Health::Failed: return "failed";
  }
  return "?";
}

std::string_view to_string(Cause cause) {
  switch (cause) {
    case Cause::Fault: return "fault";
    case Cause::Dependency: return "dependency";
    case Cause::Emergent: return "emergent";
  }
  return "?";
}

std::string_view to_string(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::None: return "none";
    case Mechanism::SharedHost: return "shared_host";
    case Mechanism::Retries: return "retries";
    case Mechanism::LoadSurge: return "load_surge";
    case Mechanism::SharedDownstream: return "shared_downstream";
    case Mechanism::Unexplained: return "unexplained";
  }
  return "?";
}

std::string_view to_string(Category category) {
  switch (category) {
    case Category::FaultEffect: return "fault_effect";
    case Category::DependencyPropagation: return "dependency_propagation";
    case Category::HiddenDependencyExposed: return "hidden_dependency_exposed";
    case Category::RetryAmplification: return "retry_amplification";
    case Category::QueueExhaustion: return "queue_exhaustion";
    case Category::MetastableLoop: return "metastable_loop";
    case Category::ArchitecturalHotSpot: return "architectural_hot_spot";
    case Category::UserImpact: return "user_impact";
    case Category::SlowDrain: return "slow_drain";
  }
  return "?";
}

std::string_view to_string(Signal signal) {
  switch (signal) {
    case Signal::ServiceUnhealthy: return "service_unhealthy";
    case Signal::RequestUnhealthy: return "request_unhealthy";
    case Signal::CircuitOpened: return "circuit_opened";
    case Signal::QueueSaturated: return "queue_saturated";
    case Signal::WorkersExhausted: return "workers_exhausted";
    case Signal::RetrySpike: return "retry_spike";
    case Signal::LoadSurge: return "load_surge";
    case Signal::NotRecovered: return "not_recovered";
    case Signal::HotSpot: return "hot_spot";
    case Signal::BacklogDraining: return "backlog_draining";
  }
  return "?";
}

std::string_view to_string(Symptom symptom) {
  switch (symptom) {
    case Symptom::None: return "none";
    case Symptom::Errors: return "errors";
    case Symptom::Latency: return "latency";
    case Symptom::QueueSaturation: return "queue_saturation";
  }
  return "?";
}

namespace {

/// Everything the steps of the analysis share.
struct Context {
  const System& sys;
  const AnalysisSpec& spec;
  const RunSeries& series;
  SystemGraph graph;
  HealthTimeline health;
  CascadeReport& report;
  std::vector<int32_t> node_of;         ///< by service: index in report.propagation, -1 when healthy throughout
  std::vector<double> edge_retry_base;  ///< by edge: baseline retries per call

  [[nodiscard]] double t(int64_t bin) const { return static_cast<double>(bin) * sys.bin_width; }
  [[nodiscard]] const std::string& name(uint32_t s) const { return sys.services[s].name; }
  [[nodiscard]] const Trigger& trigger_of(uint32_t s) const {
    return graph.triggers[static_cast<size_t>(graph.touched_by[s])];
  }
  /// The root of a path through a touched service: "fault 'x' -> s" or "load 'profile spike 60-70 s' -> s".
  [[nodiscard]] std::string root(uint32_t s) const {
    const Trigger& t = trigger_of(s);
    return (t.load_change ? "load '" : "fault '") + t.name + "' -> " + name(s);
  }
  [[nodiscard]] int64_t onset(uint32_t s) const { return health.service_onset[s]; }
  [[nodiscard]] bool unhealthy_by(uint32_t s, int64_t bin) const { return onset(s) >= 0 && onset(s) <= bin; }

  [[nodiscard]] double retry_ratio(int64_t bin, uint32_t e) const {
    const auto& row = series.edge(bin, e);
    return row.calls >= static_cast<uint64_t>(spec.min_samples) ? static_cast<double>(row.retries) / row.calls : 0.0;
  }
  [[nodiscard]] bool retry_spike(int64_t bin, uint32_t e) const {
    return retry_ratio(bin, e) > edge_retry_base[e] + spec.retry_spike;
  }
  /// Arrivals above surge_factor x the baseline and beyond Poisson noise (4 standard deviations).
  [[nodiscard]] bool surged(int64_t bin, uint32_t s) const {
    const double base = health.service_band[s].arrivals;
    const auto arrivals = static_cast<double>(series.service(bin, s).arrivals);
    return health.has_baseline && base > 0 && arrivals > spec.surge_factor * base &&
           arrivals - base > 4 * std::sqrt(base) && arrivals >= static_cast<double>(spec.min_samples);
  }
  /// The path text of a service that stayed healthy: a root when a fault touched it.
  [[nodiscard]] std::string path_to(uint32_t s) const {
    if (graph.touched(s)) return root(s);
    return name(s);
  }
};

/// Calls `episode(first, last)` for each maximal run of bins in [from, bins) where `in(bin)`
/// holds, runs separated by at most one quiet bin counting as one; runs shorter than
/// `min_bins` are noise and skipped.
template <typename In, typename Episode>
void for_each_episode(int64_t from, int64_t bins, int64_t min_bins, In in, Episode episode) {
  int64_t first = -1, last = -1;
  auto close = [&] {
    if (first >= 0 && last - first + 1 >= min_bins) episode(first, last);
    first = -1;
  };
  for (int64_t b = from; b < bins; ++b) {
    if (!in(b)) continue;
    if (first >= 0 && b - last > 2) close();
    if (first < 0) first = b;
    last = b;
  }
  close();
}

/// Explains each unhealthy service, in onset order: fault, dependency, or an emergent coupling.
void build_propagation(Context& c) {
  const auto n = static_cast<uint32_t>(c.sys.services.size());
  std::vector<uint32_t> order;
  for (uint32_t s = 0; s < n; ++s) {
    if (c.onset(s) >= 0) order.push_back(s);
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (c.onset(a) != c.onset(b)) return c.onset(a) < c.onset(b);
    return c.graph.touched(a) && !c.graph.touched(b);
  });
  c.node_of.assign(n, -1);
  // Earlier first; among equals a touched service, then the lower index.
  auto better = [&](uint32_t a, int64_t best) {
    if (best < 0) return true;
    const auto b = static_cast<uint32_t>(best);
    const int64_t oa = c.onset(a) >= 0 ? c.onset(a) : INT64_MAX, ob = c.onset(b) >= 0 ? c.onset(b) : INT64_MAX;
    if (c.graph.touched(a) != c.graph.touched(b)) return c.graph.touched(a);
    return oa < ob;
  };
  for (const uint32_t s : order) {
    PropagationNode node;
    node.service = s;
    const int64_t at = c.onset(s);
    node.onset = c.t(at);
    node.worst = static_cast<Health>(c.health.service_worst[s]);
    node.symptom = static_cast<Symptom>(c.health.service_symptom[static_cast<size_t>(at) * n + s]);
    if (c.graph.touched(s)) {
      node.cause = Cause::Fault;
      node.via = c.trigger_of(s).name;
      node.load_change = c.trigger_of(s).load_change;
    } else {
      int64_t callee = -1;
      for (const auto d : c.graph.sync_callees[s]) {
        if (d != s && c.unhealthy_by(d, at) && better(d, callee)) callee = d;
      }
      if (callee >= 0) {
        node.cause = Cause::Dependency;
        node.parent = static_cast<uint32_t>(callee);
        node.via = text::edge_name(c.name(s), c.name(node.parent));
        node.path = " -> ";
      } else {
        node.cause = Cause::Emergent;
        // The window in which a coupling must show: the onset bin and the two before it.
        const int64_t from = std::max(c.health.search_bin, at - 2);
        int64_t neighbour = -1;
        uint32_t host = 0;
        for (const auto h : c.graph.hosts[s]) {
          if (!c.sys.hosts[h].contended()) continue;  // separate cores: no interference through the host
          for (const auto o : c.graph.on_host[h]) {
            if (o == s) continue;
            bool loaded = c.graph.touched(o) || c.unhealthy_by(o, at);
            for (int64_t b = from; b <= at && !loaded; ++b) loaded = c.surged(b, o);
            if (loaded && better(o, neighbour)) {
              neighbour = o;
              host = h;
            }
          }
        }
        if (neighbour >= 0) {
          node.mechanism = Mechanism::SharedHost;
          node.parent = static_cast<uint32_t>(neighbour);
          node.via = "host " + c.sys.hosts[host].name;
          node.path = " -> [host " + c.sys.hosts[host].name + "] -> ";
        }
        if (node.mechanism == Mechanism::None) {
          for (const auto e : c.graph.edges_into[s]) {
            bool spike = false;
            for (int64_t b = from; b <= at && !spike; ++b) spike = c.retry_spike(b, e);
            if (spike) {
              node.mechanism = Mechanism::Retries;
              node.parent = c.sys.edge_policies[e].caller;
              node.via = c.sys.edge_policies[e].name;
              node.path = " -> [retries] -> ";
              break;
            }
          }
        }
        if (node.mechanism == Mechanism::None) {
          bool surge = false;
          for (int64_t b = from; b <= at && !surge; ++b) surge = c.surged(b, s);
          if (surge) {
            node.mechanism = Mechanism::LoadSurge;
            int64_t caller = -1;
            for (const auto u : c.graph.callers[s]) {
              if ((c.graph.touched(u) || c.unhealthy_by(u, at)) && better(u, caller)) caller = u;
            }
            if (caller >= 0) {
              node.parent = static_cast<uint32_t>(caller);
              node.via = "load from " + c.name(node.parent);
              node.path = " -> [load] -> ";
            } else {
              node.via = "load surge";
              node.path = "[load] -> ";
            }
          }
        }
        if (node.mechanism == Mechanism::None) {
          int64_t other = -1;
          uint32_t shared = 0;
          for (const auto d : c.graph.sync_callees[s]) {
            for (const auto u : c.graph.callers[d]) {
              if (u != s && (c.graph.touched(u) || c.unhealthy_by(u, at)) && better(u, other)) {
                other = u;
                shared = d;
              }
            }
          }
          if (other >= 0) {
            node.mechanism = Mechanism::SharedDownstream;
            node.parent = static_cast<uint32_t>(other);
            node.via = "shared callee " + c.name(shared);
            node.path = " -> [" + c.name(shared) + "] -> ";
          }
        }
        if (node.mechanism == Mechanism::None) {
          node.mechanism = Mechanism::Unexplained;
          node.path = "? -> ";
        }
      }
    }
    c.node_of[s] = static_cast<int32_t>(c.report.propagation.size());
    c.report.propagation.push_back(std::move(node));
  }
  // Paths, once every parent is known (services with one onset may explain each other in
  // any order). `path` holds the link to the parent until then.
  std::vector<std::string> links;
  for (const auto& node : c.report.propagation) links.push_back(node.path);
  std::vector<uint8_t> visiting(n, 0);
  std::function<std::string(uint32_t)> path = [&](uint32_t s) -> std::string {
    if (c.node_of[s] < 0) return c.path_to(s);  // healthy: a touched root, or just its name
    const auto i = static_cast<size_t>(c.node_of[s]);
    const PropagationNode& node = c.report.propagation[i];
    if (node.cause == Cause::Fault) return c.root(s);
    if (node.parent == kNone || visiting[s]) return links[i] + c.name(s);
    visiting[s] = 1;
    std::string text = path(node.parent) + links[i] + c.name(s);
    visiting[s] = 0;
    return text;
  };
  std::vector<std::string> paths;
  for (const auto& node : c.report.propagation) paths.push_back(path(node.service));
  for (size_t i = 0; i < paths.size(); ++i) c.report.propagation[i].path = std::move(paths[i]);
}

/// Category of an anomaly seen at a service, from how that service came to be unhealthy.
Category category_of(const Context& c, uint32_t s) {
  if (c.node_of[s] < 0) return c.graph.touched(s) ? Category::FaultEffect : Category::DependencyPropagation;
  const auto& node = c.report.propagation[static_cast<size_t>(c.node_of[s])];
  switch (node.cause) {
    case Cause::Fault: return Category::FaultEffect;
    case Cause::Dependency: return Category::DependencyPropagation;
    case Cause::Emergent:
      return node.mechanism == Mechanism::Retries ? Category::RetryAmplification : Category::HiddenDependencyExposed;
  }
  return Category::FaultEffect;
}

// The magnitudes journalled are never NaN: health_timeline judges a latency only when both it
// and its baseline are measured, and error shares and queue fills are 0 without samples.
using text::millis;
using text::percent;

void journal_onsets(Context& c) {
  for (const auto& node : c.report.propagation) {
    const auto& row = c.series.service(c.health.service_onset[node.service], node.service);
    const auto& band = c.health.service_band[node.service];
    JournalEntry e;
    e.time = node.onset;
    e.category = category_of(c, node.service);
    e.signal = Signal::ServiceUnhealthy;
    e.place = c.name(node.service);
    std::string what;
    switch (node.symptom) {
      case Symptom::Latency:
        e.magnitude = row.latency_mean;
        e.baseline = band.latency;
        what = "latency " + millis(e.magnitude) + " vs " + millis(e.baseline) + " baseline";
        break;
      case Symptom::QueueSaturation:
        e.magnitude = queue_fill(row, c.sys.services[node.service]);
        e.baseline = c.spec.queue_saturation;
        what = "queue " + percent(e.magnitude) + " full";
        break;
      default:
        e.magnitude = error_share(row, c.spec.min_samples);
        e.baseline = band.error_share;
        what = "errors " + percent(e.magnitude) + " vs " + percent(e.baseline) + " baseline";
        break;
    }
    std::string why;
    switch (node.cause) {
      case Cause::Fault:
        why = c.trigger_of(node.service).load_change ? "the load change '" + node.via + "' reaches it"
                                                     : "fault '" + node.via + "' targets it";
        break;
      case Cause::Dependency: why = "its call " + node.via + " failed first"; break;
      case Cause::Emergent:
        why = c.graph.has_load_change() ? "no call path from the trigger reaches it; "
                                        : "no call path from the fault reaches it; ";
        switch (node.mechanism) {
          case Mechanism::SharedHost: why += "it shares " + node.via + " with " + c.name(node.parent); break;
          case Mechanism::Retries: why += "retries on " + node.via + " spiked"; break;
          case Mechanism::LoadSurge: why += "its arrivals surged (" + node.via + ")"; break;
          case Mechanism::SharedDownstream: why += "it shares its " + node.via + " with " + c.name(node.parent); break;
          default: why += "no coupling in the model explains it"; break;
        }
        break;
    }
    e.note = fmt::format("{} left its band ({}; worst {}): {}", e.place, what, to_string(node.worst), why);
    c.report.journal.push_back(std::move(e));
  }
}

void journal_requests(Context& c) {
  const size_t nr = c.sys.request_types.size();
  for (size_t r = 0; r < nr; ++r) {
    const int64_t at = c.health.request_onset[r];
    if (at < 0) continue;
    const auto& row = c.series.request(at, r);
    const auto& band = c.health.request_band[r];
    JournalEntry e;
    e.time = c.t(at);
    e.category = Category::UserImpact;
    e.signal = Signal::RequestUnhealthy;
    e.place = c.sys.request_types[r].name;
    const auto symptom = static_cast<Symptom>(c.health.request_symptom[static_cast<size_t>(at) * nr + r]);
    if (symptom == Symptom::Latency) {
      e.magnitude = row.latency_mean;
      e.baseline = band.latency;
      e.note =
          fmt::format("{} requests slowed: mean {} vs {} baseline", e.place, millis(e.magnitude), millis(e.baseline));
    } else {
      e.magnitude = error_share(row, c.spec.min_samples);
      e.baseline = band.error_share;
      e.note =
          fmt::format("{} requests failing: {} vs {} baseline", e.place, percent(e.magnitude), percent(e.baseline));
    }
    c.report.journal.push_back(std::move(e));
  }
}

void journal_services(Context& c) {
  const int64_t from = c.health.search_bin, bins = c.health.bins;
  for (uint32_t s = 0; s < c.sys.services.size(); ++s) {
    const ServiceConfig& svc = c.sys.services[s];
    const auto& band = c.health.service_band[s];
    // Queues: fuller than the threshold, or overflowing more than in the baseline.
    auto saturated = [&](int64_t b) {
      const auto& row = c.series.service(b, s);
      const uint64_t errors = std::accumulate(row.errors.begin(), row.errors.end(), uint64_t{0});
      const uint64_t ended = row.completions + errors;
      const double overflow =
          ended > 0 ? static_cast<double>(row.errors[static_cast<int>(ErrorCause::QueueOverflow)]) / ended : 0.0;
      return queue_fill(row, svc) >= c.spec.queue_saturation ||
             (ended >= static_cast<uint64_t>(c.spec.min_samples) &&
              overflow > band.overflow_share + c.spec.degraded_error);
    };
    for_each_episode(from, bins, 1, saturated, [&](int64_t first, int64_t last) {
      double peak = 0;
      uint64_t overflows = 0;
      for (int64_t b = first; b <= last; ++b) {
        const auto& row = c.series.service(b, s);
        const double places = static_cast<double>(svc.queue_capacity * svc.replicas);
        peak = std::max(peak, places > 0 ? row.queue_max / places : 0.0);
        overflows += row.errors[static_cast<int>(ErrorCause::QueueOverflow)];
      }
      c.report.journal.push_back({c.t(first), Category::QueueExhaustion, Signal::QueueSaturated, svc.name, peak,
                                  band.overflow_share,
                                  fmt::format("{} queue saturated for {:.0f} s: up to {} of its places, {} overflows",
                                              svc.name, c.t(last + 1) - c.t(first), percent(peak), overflows)});
    });
    if (band.busy_share < kWorkersExhausted) {
      const double workers = static_cast<double>(svc.workers * svc.replicas);
      for_each_episode(
          from, bins, c.spec.onset_bins,
          [&](int64_t b) { return c.series.service(b, s).busy_mean >= kWorkersExhausted * workers; },
          [&](int64_t first, int64_t last) {
            c.report.journal.push_back(
                {c.t(first), Category::QueueExhaustion, Signal::WorkersExhausted, svc.name,
                 c.series.service(first, s).busy_mean / workers, band.busy_share,
                 fmt::format("{}: all {} workers busy for {:.0f} s (baseline {} busy)", svc.name,
                             svc.workers * svc.replicas, c.t(last + 1) - c.t(first), percent(band.busy_share))});
          });
    }
    if (c.health.has_baseline) {
      for_each_episode(
          from, bins, c.spec.onset_bins, [&](int64_t b) { return c.surged(b, s); },
          [&](int64_t first, int64_t last) {
            double peak = 0;
            bool retried = false;
            for (int64_t b = first; b <= last; ++b) {
              peak = std::max(peak, static_cast<double>(c.series.service(b, s).arrivals));
              for (const auto e : c.graph.edges_into[s]) retried |= c.retry_spike(b, e);
            }
            const Category cat = retried ? Category::RetryAmplification
                                         : (c.graph.touched(s) ? Category::FaultEffect : category_of(c, s));
            c.report.journal.push_back(
                {c.t(first), cat, Signal::LoadSurge, svc.name, peak / band.arrivals, 1.0,
                 fmt::format("{} arrivals up to {:.1f}x the baseline for {:.0f} s{}", svc.name, peak / band.arrivals,
                             c.t(last + 1) - c.t(first), retried ? ", with callers retrying" : "")});
          });
    }
  }
}

void journal_edges(Context& c) {
  const int64_t from = c.health.search_bin, bins = c.health.bins;
  for (uint32_t e = 0; e < c.sys.edge_policies.size(); ++e) {
    const EdgePolicy& edge = c.sys.edge_policies[e];
    for_each_episode(
        from, bins, c.spec.onset_bins, [&](int64_t b) { return c.retry_spike(b, e); },
        [&](int64_t first, int64_t last) {
          double peak = 0;
          uint64_t retries = 0;
          for (int64_t b = first; b <= last; ++b) {
            peak = std::max(peak, c.retry_ratio(b, e));
            retries += c.series.edge(b, e).retries;
          }
          c.report.journal.push_back(
              {c.t(first), Category::RetryAmplification, Signal::RetrySpike, edge.name, peak, c.edge_retry_base[e],
               fmt::format("{}: up to {:.2f} retries per call ({:.2f} baseline), {} retries in "
                           "{:.0f} s",
                           edge.name, peak, c.edge_retry_base[e], retries, c.t(last + 1) - c.t(first))});
        });
  }
  // Breaker openings, grouped into episodes per edge.
  std::vector<std::vector<double>> openings(c.sys.edge_policies.size());
  for (const auto& ev : c.series.circuit_events()) {
    if (ev.to == 1 && ev.edge < openings.size() && ev.time >= c.t(from)) openings[ev.edge].push_back(ev.time);
  }
  const double gap = std::max(c.spec.stable, 2 * c.sys.bin_width);
  for (uint32_t e = 0; e < openings.size(); ++e) {
    const auto& times = openings[e];
    for (size_t i = 0; i < times.size();) {
      size_t j = i + 1;
      while (j < times.size() && times[j] - times[j - 1] <= gap) ++j;
      const EdgePolicy& edge = c.sys.edge_policies[e];
      const auto bin = static_cast<int64_t>(times[i] / c.sys.bin_width);
      const bool callee_unhealthy = c.unhealthy_by(edge.callee, bin + c.spec.onset_bins);
      c.report.journal.push_back(
          {times[i], category_of(c, edge.callee), Signal::CircuitOpened, edge.name, static_cast<double>(j - i), NAN,
           fmt::format("{}: breakers opened {} times in {:.0f} s{}", edge.name, j - i, times[j - 1] - times[i],
                       callee_unhealthy ? "" : " while the callee stayed within its band (the breaker hid it)")});
      i = j;
    }
  }
}

/// Recovery after the trigger, the verdict (drain or loop) and the metastable flag that follows
/// it, and the journal entries at the moment judged: the draining backlogs, or what was still unhealthy.
void measure_recovery(Context& c) {
  auto& r = c.report;
  const int64_t bins = c.health.bins;
  const size_t ns = c.sys.services.size(), nr = c.sys.request_types.size();
  auto all_healthy = [&](int64_t b) {
    for (size_t s = 0; s < ns; ++s) {
      if (c.health.service_state[static_cast<size_t>(b) * ns + s] != 0) return false;
    }
    for (size_t q = 0; q < nr; ++q) {
      if (c.health.request_state[static_cast<size_t>(b) * nr + q] != 0) return false;
    }
    return true;
  };
  if (std::isfinite(r.trigger_end) && r.trigger_end < c.sys.duration) {
    const auto stable = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(c.spec.stable / c.sys.bin_width - 1e-9)));
    const auto end_bin = static_cast<int64_t>(std::floor(r.trigger_end / c.sys.bin_width + 1e-9));
    int64_t streak = 0;
    for (int64_t b = std::max(end_bin, c.health.first_bin); b < bins; ++b) {
      streak = all_healthy(b) ? streak + 1 : 0;
      if (streak >= stable) {
        r.recovered = true;
        r.recovery_time = std::max(0.0, c.t(b - stable + 1) - r.trigger_end);
        break;
      }
    }
  }
  r.verdict =
      judge_recovery({c.sys, c.spec, c.series, c.health, c.graph, c.edge_retry_base, r.trigger_end, r.recovery_time});
  switch (r.verdict.kind) {
    case RecoveryKind::Sustained: r.metastable = 1; break;
    case RecoveryKind::Recovered:
    case RecoveryKind::Recovering: r.metastable = 0; break;
    default: r.metastable = -1; break;
  }
  if (bins == 0) return;
  const auto at = std::min<int64_t>(bins - 1, static_cast<int64_t>(std::floor(r.verdict.judged_at / c.sys.bin_width)));
  if (r.verdict.kind == RecoveryKind::Recovering) {
    for (const uint32_t s : r.verdict.saturated) {
      const auto& row = c.series.service(at, s);
      c.report.journal.push_back({c.t(at), Category::SlowDrain, Signal::BacklogDraining, c.name(s), r.verdict.drain_eta,
                                  NAN,
                                  fmt::format("{}: {:.0f} queued and {:.0f} busy {:.0f} s after the trigger ended; {}",
                                              c.name(s), row.queue_mean, row.busy_mean,
                                              r.verdict.judged_at - r.trigger_end, verdict_headline(r.verdict))});
    }
  }
  if (r.verdict.kind != RecoveryKind::Sustained) return;
  for (uint32_t s = 0; s < ns; ++s) {
    if (c.health.service_state[static_cast<size_t>(at) * ns + s] == 0) continue;
    const auto& row = c.series.service(at, s);
    c.report.journal.push_back({c.t(at), Category::MetastableLoop, Signal::NotRecovered, c.name(s),
                                error_share(row, c.spec.min_samples), c.health.service_band[s].error_share,
                                fmt::format("{} still {} {:.0f} s after the trigger ended: {} ({})", c.name(s),
                                            to_string(c.health.service(at, s)), c.spec.metastable_after,
                                            verdict_headline(r.verdict), verdict_evidence(r.verdict))});
  }
}

void journal_hot_spots(Context& c) {
  const size_t nr = c.sys.request_types.size();
  if (nr == 0) return;
  for (const auto& node : c.report.propagation) {
    if (node.cause == Cause::Dependency) continue;  // a victim of its callee, not a hot spot itself
    size_t hit = 0;
    for (size_t r = 0; r < nr; ++r) hit += c.graph.reaches[r][node.service] && c.health.request_onset[r] >= 0;
    const double share = static_cast<double>(hit) / static_cast<double>(nr);
    if (hit == 0 || share <= c.spec.hot_spot_share) continue;
    c.report.journal.push_back(
        {node.onset, Category::ArchitecturalHotSpot, Signal::HotSpot, c.name(node.service), share, NAN,
         fmt::format("the failure of {} reached {} of {} request types", c.name(node.service), hit, nr)});
  }
}

std::string build_dot(const Context& c) {
  const auto& r = c.report;
  std::string dot = "digraph " + text::dot_quote("propagation: " + c.sys.name) + " {\n";
  dot += "  rankdir=LR;\n  node [shape=box, style=filled, fillcolor=white, fontname=Helvetica];\n";
  dot += "  label=" +
         text::dot_quote(
             std::isnan(r.trigger_start)
                 ? std::string("no trigger: no fault, no change of offered load")
                 : fmt::format("trigger {:.1f}-{:.1f} s; red: touched by the fault, orange: dependency, purple: "
                               "emergent; onset times in seconds",
                               r.trigger_start, r.trigger_end)) +
         ";\n";
  for (uint32_t s = 0; s < c.sys.services.size(); ++s) {
    std::string label = c.name(s), fill = "white", extra;
    if (c.node_of[s] >= 0) {
      const auto& node = r.propagation[static_cast<size_t>(c.node_of[s])];
      label += fmt::format("\\n{} at {:.1f} s\\n{}", to_string(node.worst), node.onset,
                           node.cause == Cause::Emergent ? "EMERGENT: " + std::string(to_string(node.mechanism))
                                                         : std::string(to_string(node.cause)));
      fill = node.cause == Cause::Fault ? "#f4a6a6" : node.cause == Cause::Dependency ? "#f9cb9c" : "#d5a6e6";
      if (node.cause == Cause::Emergent) extra = ", penwidth=2, style=\"filled,dashed\"";
    } else if (c.graph.touched(s)) {
      label += "\\ntouched, stayed healthy";
      fill = "#fbe3e3";
    }
    dot += "  " + text::dot_quote(c.name(s)) + " [label=" + text::dot_quote(label) +
           ", fillcolor=" + text::dot_quote(fill) + extra + "];\n";
  }
  for (uint32_t s = 0; s < c.sys.services.size(); ++s) {
    for (const auto d : c.graph.sync_callees[s]) {
      dot += "  " + text::dot_quote(c.name(s)) + " -> " + text::dot_quote(c.name(d)) + " [color=gray80];\n";
    }
  }
  for (const auto& node : r.propagation) {
    if (node.parent == kNone) continue;
    const bool emergent = node.cause == Cause::Emergent;
    dot += "  " + text::dot_quote(c.name(node.parent)) + " -> " + text::dot_quote(c.name(node.service)) +
           " [color=" + (emergent ? "purple, style=dashed" : "red") + ", penwidth=2, constraint=false, label=" +
           text::dot_quote(fmt::format("{}{:.1f} s", emergent ? node.via + "\\n" : "", node.onset)) + "];\n";
  }
  return dot + "}\n";
}

/// The system graph without the changes of offered load that end by the end of the warm-up:
/// they prepare the state the run is measured from (a cache warmed at a low rate before the
/// peak), like the warm-up itself, and no baseline exists before them to judge them against.
SystemGraph graph_after_warmup(const System& sys) {
  auto in_warmup = [&](const RateProfile::Segment& seg) { return seg.end <= sys.warmup; };
  auto burst_in_warmup = [&](const RateProfile::Burst& b) { return b.at < sys.warmup; };
  const bool any = std::any_of(sys.workload.begin(), sys.workload.end(), [&](const auto& wl) {
    return std::any_of(wl.rate.segments.begin(), wl.rate.segments.end(), in_warmup) ||
           std::any_of(wl.rate.bursts.begin(), wl.rate.bursts.end(), burst_in_warmup);
  });
  if (!any) return build_system_graph(sys);
  System prepared = sys;  // once per analysis, and only for such a profile
  for (auto& wl : prepared.workload) {
    std::erase_if(wl.rate.segments, in_warmup);
    std::erase_if(wl.rate.bursts, burst_in_warmup);
  }
  return build_system_graph(prepared);
}

}  // namespace

CascadeReport analyze_cascade(const System& sys, const AnalysisSpec& spec, const RunSeries& series) {
  CascadeReport report;
  report.bin_width = sys.bin_width;
  report.metastable_after = spec.metastable_after;
  SystemGraph graph = graph_after_warmup(sys);
  // A flushed cache sends its reads to its backend: the flush touches the backend as a change of
  // load touches the services its requests visit (its overload is the fault's, not emergent).
  for (size_t f = 0; f < sys.faults.size(); ++f) {
    const FaultConfig& fc = sys.faults[f];
    if (fc.spec.kind != FaultSpec::Kind::CacheFlush) continue;
    const uint32_t backend = sys.caches[sys.services[fc.service].cache].backend;
    if (graph.touched_by[backend] < 0) graph.touched_by[backend] = static_cast<int32_t>(f);
  }
  // Faults and changes of offered load alike: the baseline ends where the first one starts.
  for (const auto& t : graph.triggers) {
    report.trigger_start = std::isnan(report.trigger_start) ? t.start : std::min(report.trigger_start, t.start);
    report.trigger_end = std::isnan(report.trigger_end) ? t.end : std::max(report.trigger_end, t.end);
  }
  Context c{sys,    spec, series, std::move(graph), classify_health(sys, spec, series, report.trigger_start),
            report, {},   {}};
  auto& h = c.health;
  if (c.graph.triggers.empty()) {
    // Nothing changed the system from outside: a bin out of the whole run's band has no cause
    // to be traced to, so no onset is explained (and nothing called emergent).
    std::fill(h.service_onset.begin(), h.service_onset.end(), -1);
    std::fill(h.request_onset.begin(), h.request_onset.end(), -1);
  }
  report.bins = h.bins;
  report.has_baseline = h.has_baseline;
  report.baseline_from = c.t(h.first_bin);
  report.baseline_to = c.t(h.baseline_end);
  report.service_health = h.service_state;
  report.request_health = h.request_state;
  for (uint32_t s = 0; s < sys.services.size(); ++s) {
    if (c.graph.touched(s)) report.touched.push_back(s);
  }
  c.edge_retry_base.assign(sys.edge_policies.size(), 0.0);
  for (uint32_t e = 0; e < sys.edge_policies.size(); ++e) {
    uint64_t calls = 0, retries = 0;
    for (int64_t b = h.first_bin; b < h.baseline_end; ++b) {
      calls += series.edge(b, e).calls;
      retries += series.edge(b, e).retries;
    }
    c.edge_retry_base[e] = calls > 0 ? static_cast<double>(retries) / calls : 0.0;
  }

  build_propagation(c);
  if (!c.graph.triggers.empty()) {
    journal_onsets(c);
    journal_requests(c);
    journal_services(c);
    journal_edges(c);
    measure_recovery(c);
    journal_hot_spots(c);
  }
  std::stable_sort(report.journal.begin(), report.journal.end(),
                   [](const JournalEntry& a, const JournalEntry& b) { return a.time < b.time; });

  // Blast radius and detection, from the trigger (or the end of the warm-up) on.
  uint64_t failures = 0, ended = 0;
  const size_t nr = sys.request_types.size(), ns = sys.services.size();
  for (int64_t b = h.search_bin; b < h.bins; ++b) {
    for (size_t q = 0; q < nr; ++q) {
      failures += series.request(b, q).failures;
      ended += series.request(b, q).failures + series.request(b, q).successes;
    }
    size_t unhealthy = 0;
    for (size_t s = 0; s < ns; ++s) unhealthy += h.service_state[static_cast<size_t>(b) * ns + s] != 0;
    if (ns > 0)
      report.peak_unhealthy_share = std::max(report.peak_unhealthy_share, static_cast<double>(unhealthy) / ns);
  }
  report.blast_radius_requests = ended > 0 ? static_cast<double>(failures) / ended : 0.0;
  size_t types_hit = 0;
  int64_t first_onset = -1;
  for (size_t q = 0; q < nr; ++q) {
    if (h.request_onset[q] < 0) continue;
    ++types_hit;
    first_onset = first_onset < 0 ? h.request_onset[q] : std::min(first_onset, h.request_onset[q]);
  }
  report.blast_radius_types = nr > 0 ? static_cast<double>(types_hit) / nr : 0.0;
  for (const auto& node : report.propagation) {
    const int64_t b = h.service_onset[node.service];
    first_onset = first_onset < 0 ? b : std::min(first_onset, b);
  }
  if (first_onset >= 0 && !std::isnan(report.trigger_start)) {
    report.time_to_detect = std::max(0.0, c.t(first_onset) - report.trigger_start);
  }
  for (const auto& node : report.propagation) report.emergent += node.cause == Cause::Emergent;
  report.dot = build_dot(c);
  return report;
}

std::string format_cascade_report(const System& sys, const CascadeReport& r, bool whole_journal) {
  std::string out = "\ncascade analysis";
  if (std::isnan(r.trigger_start)) {
    out +=
        " (no trigger: no fault and no change of offered load in the scenario; every bin judged against the whole "
        "measured run, no onset traced)\n";
  } else {
    out +=
        fmt::format(" (trigger {:.1f}-{:.1f} s; baseline {:.1f}-{:.1f} s{})\n", r.trigger_start, r.trigger_end,
                    r.baseline_from, r.baseline_to, r.has_baseline ? "" : ", too short: latency and load not judged");
  }
  if (r.propagation.empty()) {
    out += "  every service stayed within its baseline band\n";
  } else {
    out += fmt::format("  {:<24}{:>10}{:>10}  {:<12}{}\n", "service", "state", "onset s", "cause", "through");
    for (const auto& n : r.propagation) {
      const std::string cause = n.cause == Cause::Emergent ? "EMERGENT"
                                : n.load_change            ? "load"
                                                           : std::string(to_string(n.cause));
      std::string through = n.via;
      if (n.cause == Cause::Emergent && n.mechanism != Mechanism::Unexplained) {
        through = std::string(to_string(n.mechanism)) + ": " + n.via;
        if (n.parent != kNone) through += " (" + sys.services[n.parent].name + ")";
      } else if (n.cause == Cause::Emergent) {
        through = "no coupling found";
      }
      out += fmt::format("  {:<24}{:>10}{:>10.1f}  {:<12}{}\n", sys.services[n.service].name, to_string(n.worst),
                         n.onset, cause, through);
    }
  }
  const size_t nr = sys.request_types.size();
  out += fmt::format("blast radius: {} of {} request types, {:.2f}% of requests failed from the trigger on\n",
                     static_cast<int>(std::lround(r.blast_radius_types * nr)), nr, 100 * r.blast_radius_requests);
  if (!std::isnan(r.trigger_start)) {
    out += std::isnan(r.time_to_detect) ? std::string("time to detect: nothing left its band")
                                        : fmt::format("time to detect: {:.1f} s", r.time_to_detect);
    if (r.recovered) {
      out += fmt::format("; recovered {:.1f} s after the trigger ended (MTTR)", r.recovery_time);
    } else if (std::isfinite(r.trigger_end) && r.trigger_end < sys.duration) {
      out += "; NOT RECOVERED by the end of the run";
    }
    if (r.verdict.kind == RecoveryKind::Sustained) {
      out += fmt::format("; METASTABLE: not recovered within {:.0f} s, {}", r.metastable_after,
                         describe(r.verdict.sustained_by));
    } else if (r.verdict.kind == RecoveryKind::Recovering) {
      out += fmt::format("; {} (at {:.0f} s past the trigger; a slow drain, not metastable)",
                         verdict_headline(r.verdict), r.verdict.judged_at - r.trigger_end);
    } else if (r.verdict.kind == RecoveryKind::CannotTell && !r.recovered && std::isfinite(r.trigger_end)) {
      out += fmt::format(" (the run ends before {:.0f} s past the trigger: metastability cannot be told)",
                         r.metastable_after);
    }
    out += "\n";
    if (r.verdict.kind == RecoveryKind::Sustained || r.verdict.kind == RecoveryKind::Recovering) {
      out += "verdict: " + r.verdict.note + "\n";
    }
  }
  if (r.emergent > 0) out += fmt::format("emergent failures: {} (no dependency path from the trigger)\n", r.emergent);
  std::array<int, kCategories> counts{};
  for (const auto& e : r.journal) ++counts[static_cast<int>(e.category)];
  out += fmt::format("signal journal: {} entries", r.journal.size());
  for (int k = 0; k < kCategories; ++k) {
    if (counts[k] > 0) out += fmt::format(", {} {}", to_string(static_cast<Category>(k)), counts[k]);
  }
  out += "\n";
  // The first entry of each category, in time order: where to start reading.
  std::array<bool, kCategories> shown{};
  for (const auto& e : r.journal) {
    const int k = static_cast<int>(e.category);
    if (shown[k] && !whole_journal) continue;
    shown[k] = true;
    out += fmt::format("  {:>8.1f} s  {:<26} {}\n", e.time, to_string(e.category), e.note);
  }
  return out;
}

}  // namespace rapture
