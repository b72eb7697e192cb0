// How a run is judged: `analysis:` (the cascade analysis' thresholds) and `hypothesis:` (probes).

#include <algorithm>

#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

using Metric = ProbeSpec::Metric;
using Window = ProbeSpec::Window;

const text::KeywordTable<Metric> kMetrics{{"error_rate", Metric::ErrorRate},
                                          {"goodput", Metric::Goodput},
                                          {"p99", Metric::LatencyP99},
                                          {"latency_mean", Metric::LatencyMean},
                                          {"recovery_time", Metric::RecoveryTime},
                                          {"unhealthy_share", Metric::UnhealthyShare}};

const text::KeywordTable<Window> kWindows{{"whole", Window::Whole},
                                          {"steady", Window::Steady},
                                          {"during_fault", Window::DuringFault},
                                          {"after_fault", Window::AfterFault}};

ProbeSpec read_probe(const Reader& r, const Item& item, const Scenario& s) {
  const MapView m(r, item);
  m.allow({"name", "metric", "request", "window", "below", "above"});
  ProbeSpec p;
  if (auto v = m.get("name")) p.name = r.text(*v, "a probe name");
  p.metric = r.keyword(m.need("metric", "what the probe measures, e.g. metric: error_rate"), "metric", kMetrics);
  const bool per_request = p.metric != Metric::RecoveryTime && p.metric != Metric::UnhealthyShare;
  if (auto v = m.get("request")) {
    // Services, not requests, are judged healthy: a request type here would be silently ignored.
    if (!per_request) r.fail(*v, "request: applies to error_rate, goodput, p99 and latency_mean only");
    p.request = r.text(*v, "a request type name");
    const bool known =
        std::any_of(s.requests.begin(), s.requests.end(), [&](const auto& q) { return q.name == p.request; });
    if (!known) {
      r.fail(*v, "request '" + p.request + "' is neither declared under requests nor defined inline in the workload");
    }
  }
  if (auto v = m.get("window")) p.window = r.keyword(*v, "window", kWindows);
  // A tolerance is written in the unit of what it bounds.
  auto bound = [&](const Item& v) {
    switch (p.metric) {
      case Metric::ErrorRate:
      case Metric::UnhealthyShare: return r.share(v);
      case Metric::Goodput: return r.rate(v);
      default: return r.duration(v);
    }
  };
  const auto below = m.get("below");
  const auto above = m.get("above");
  if (!below && !above) r.fail(item, "a probe needs a tolerance: below: VALUE, above: VALUE or both");
  if (below) p.below = bound(*below);
  if (above) p.above = bound(*above);
  if (below && above && !(*p.above < *p.below)) {
    r.fail(*below, "no value is below " + below->node.Scalar() + " and above " + above->node.Scalar());
  }
  p.where = r.where_key(item, p.name.empty() ? item.path : "probe '" + p.name + "'");
  return p;
}

}  // namespace

void read_analysis(const Reader& r, const MapView& top, Scenario& s) {
  const auto analysis = top.get("analysis");
  if (!analysis) return;
  AnalysisSpec& a = s.analysis;
  a.where = r.where_key(*analysis, "analysis");
  const MapView m(r, *analysis);
  m.allow({"degraded_error", "failed_error", "latency_factor", "queue_saturation", "min_samples", "onset_bins",
           "stable", "metastable_after", "retry_spike", "surge_factor", "hot_spot_share"});
  auto factor = [&](const Item& v) {
    const double f = r.number(v);
    if (!(f > 1)) r.fail(v, "a factor must be > 1, got " + v.node.Scalar());
    return f;
  };
  auto span = [&](const Item& v) {
    const double d = r.duration(v);
    if (!(d > 0)) r.fail(v, "the duration must be > 0, got " + v.node.Scalar());
    return d;
  };
  if (auto v = m.get("degraded_error")) a.degraded_error = r.share(*v);
  if (auto v = m.get("failed_error")) a.failed_error = r.share(*v);
  if (a.degraded_error >= a.failed_error) {
    // Point at the value the user wrote; when both are written, at the second threshold.
    const Item at = m.get("failed_error") ? *m.get("failed_error") : *m.get("degraded_error");
    r.fail(at, "degraded_error (" + text::number(a.degraded_error * 100) + "%) must be below failed_error (" +
                   text::number(a.failed_error * 100) + "%)");
  }
  if (auto v = m.get("latency_factor")) a.latency_factor = factor(*v);
  if (auto v = m.get("queue_saturation")) a.queue_saturation = r.share(*v);
  if (auto v = m.get("min_samples")) a.min_samples = r.integer(*v, 1, 1'000'000'000);
  if (auto v = m.get("onset_bins")) a.onset_bins = r.integer(*v, 1, 1'000'000);
  if (auto v = m.get("stable")) a.stable = span(*v);
  if (auto v = m.get("metastable_after")) a.metastable_after = span(*v);
  if (auto v = m.get("retry_spike")) {
    a.retry_spike = r.number(*v);
    if (!(a.retry_spike >= 0)) r.fail(*v, "retries per call must not be negative, got " + v->node.Scalar());
  }
  if (auto v = m.get("surge_factor")) a.surge_factor = factor(*v);
  if (auto v = m.get("hot_spot_share")) a.hot_spot_share = r.share(*v);
}

void read_hypothesis(const Reader& r, const MapView& top, Scenario& s) {
  const auto hypothesis = top.get("hypothesis");
  if (!hypothesis) return;
  const MapView m(r, *hypothesis);
  m.allow({"title", "probes"});
  HypothesisSpec h;
  if (auto v = m.get("title")) h.title = r.text(*v, "a title");
  const Item probes = m.need("probes", "a list of probes such as {metric: error_rate, below: 5%}");
  const auto items = r.list(probes, "probes such as {metric: error_rate, below: 5%}");
  if (items.empty()) r.fail(probes, "a hypothesis needs at least one probe");
  for (const auto& item : items) h.probes.push_back(read_probe(r, item, s));
  s.hypothesis = std::move(h);
}

}  // namespace rapture::scenario_reader
