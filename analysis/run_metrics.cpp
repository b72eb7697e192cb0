#include "analysis/run_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {

using Unit = ComparedMetric::Unit;

/// Tolerance of a bin's edges against a window's ends: bins are multiples of a width in floating point.
constexpr double kEdgeSlack = 1e-9;

/// Where a run's fault acts, and what comes after: the whole run when it has no fault.
struct Span {
  double from = 0, to = 0;
};

bool has_fault(const RunDigest& d) { return std::isfinite(d.trigger_start); }

Span during_fault(const RunDigest& d) {
  if (!has_fault(d)) return {0, d.duration};
  return {d.trigger_start, std::min(d.trigger_end, d.duration)};
}

Span after_fault(const RunDigest& d) { return {std::min(d.trigger_end, d.duration), d.duration}; }

/// Failed share of the requests that ended inside the span.
double error_rate_in(const RunDigest& d, Span span) {
  const BinWindow w = bins_within(d, span.from, span.to);
  const double fails = window_sum(d.failures, w);
  const double good = window_sum(d.goodput, w);
  return fails + good > 0 ? fails / (fails + good) : NAN;
}

/// Successful requests per second inside the span.
double goodput_in(const RunDigest& d, Span span) {
  const double bins = std::floor((span.to - span.from) / d.bin_width + kEdgeSlack);
  return bins > 0 ? window_sum(d.goodput, bins_within(d, span.from, span.to)) / bins : NAN;
}

/// Tries sent per logical call made on the edges with policies during the fault: calls refused
/// outright (every try refused by a breaker or a bulkhead) are left out, so that a breaker that
/// refuses calls does not lower it; NaN when no call was made.
double retry_amplification(const RunDigest& d) {
  const Span span = during_fault(d);
  const BinWindow w = bins_within(d, span.from, span.to);
  const double made = window_sum(d.calls, w) - window_sum(d.calls_refused, w);
  const double tries = window_sum(d.attempts, w);
  return made > 0 ? tries / made : NAN;
}

/// -1 (no analysis, cannot tell) reads as not measured.
double known(int64_t flag) { return flag < 0 ? NAN : static_cast<double>(flag); }

}  // namespace

BinWindow bins_within(const RunDigest& d, double from, double to) {
  const size_t n = std::max({d.goodput.size(), d.offered.size(), d.failures.size(), d.calls.size(), d.attempts.size()});
  // The bins inside are one contiguous run: a bin's start only grows with its index.
  BinWindow w;
  bool found = false;
  for (size_t i = 0; i < n; ++i) {
    const double start = static_cast<double>(i) * d.bin_width;
    if (start >= from - kEdgeSlack && start + d.bin_width <= to + kEdgeSlack) {
      if (!found) w.first = i;
      found = true;
      w.end = i + 1;
    }
  }
  return w;
}

BinWindow all_bins(const RunDigest& d) { return {0, d.goodput.size()}; }

BinWindow last_bins(const RunDigest& d, double seconds) {
  const size_t n = d.goodput.size();
  const auto last = static_cast<size_t>(std::ceil(seconds / d.bin_width));
  return {n > last ? n - last : 0, n};
}

double window_sum(const std::vector<double>& series, BinWindow window) {
  double sum = 0;
  for (size_t i = window.first; i < window.end && i < series.size(); ++i) sum += series[i];
  return sum;
}

double served_share(const RunDigest& d, BinWindow window) {
  const double good = window_sum(d.goodput, window);
  const double offered = window_sum(d.offered, window);
  return offered > 0 ? good / offered : 1.0;
}

const std::vector<RunMetric>& run_metrics() {
  static const std::vector<RunMetric> m{
      {{"users_failing", "users failing (fault span)", Unit::Ratio, -1},
       [](const RunDigest& d) {
         return d.users > 0 ? static_cast<double>(d.users_failing) / static_cast<double>(d.users) : NAN;
       }},
      {{"blast_radius_types", "request types failing", Unit::Ratio, -1},
       [](const RunDigest& d) { return d.blast_radius_types; }},
      {{"blast_radius_requests", "requests failed from fault on", Unit::Ratio, -1},
       [](const RunDigest& d) { return d.blast_radius_requests; }},
      {{"error_rate_during", "error rate during fault", Unit::Ratio, -1},
       [](const RunDigest& d) { return error_rate_in(d, during_fault(d)); }},
      {{"goodput_during", "goodput during fault", Unit::PerSecond, +1},
       [](const RunDigest& d) { return goodput_in(d, during_fault(d)); }},
      {{"error_rate_after", "error rate after fault", Unit::Ratio, -1},
       [](const RunDigest& d) { return has_fault(d) ? error_rate_in(d, after_fault(d)) : NAN; }},
      {{"goodput_after", "goodput after fault", Unit::PerSecond, +1},
       [](const RunDigest& d) { return has_fault(d) ? goodput_in(d, after_fault(d)) : NAN; }},
      {{"p99", "p99 latency (whole run)", Unit::Seconds, -1}, [](const RunDigest& d) { return d.p99; }},
      {{"recovery_time", "recovery time", Unit::Seconds, -1}, [](const RunDigest& d) { return d.recovery_time; }},
      {{"metastable", "metastable runs", Unit::Ratio, -1}, [](const RunDigest& d) { return known(d.metastable); }},
      // Refusals apart, and still no better direction: fewer tries per call is a tighter budget
      // or fewer retries given up on, and a redesign can trade it for goodput either way.
      {{"retry_amplification", "tries per call made during fault", Unit::Plain, 0}, retry_amplification},
      {{"emergent", "emergent failures", Unit::Count, -1}, [](const RunDigest& d) { return known(d.emergent); }},
      {{"peak_unhealthy", "peak share of services unhealthy", Unit::Ratio, -1},
       [](const RunDigest& d) { return d.peak_unhealthy_share; }},
      {{"legacy_error_last", "legacy path: errors, last quarter", Unit::Ratio, -1},
       [](const RunDigest& d) { return d.legacy_error_last; }},
      {{"legacy_latency_last", "legacy path: latency, last quarter", Unit::Seconds, -1},
       [](const RunDigest& d) { return d.legacy_latency_last; }},
      {{"legacy_busy", "legacy path: busy workers", Unit::Plain, -1}, [](const RunDigest& d) { return d.legacy_busy; }},
      // Whole-run measures, after the warm-up as the run's summary counts them.
      {{"error_rate", "error rate (whole run)", Unit::Ratio, -1},
       [](const RunDigest& d) { return d.error_rate; },
       false},
      {{"served_share", "served share of the offered load", Unit::Ratio, +1},
       [](const RunDigest& d) { return served_share(d, all_bins(d)); },
       false},
  };
  return m;
}

const RunMetric& run_metric(std::string_view name) {
  for (const auto& m : run_metrics()) {
    if (m.shown.name == name) return m;
  }
  throw std::out_of_range("no run metric named '" + std::string(name) + "'");
}

DesignCost cost_of(const System& sys) {
  std::vector<bool> deployed(sys.services.size(), false);
  for (const auto& rt : sys.request_types) {
    deployed[rt.entry] = true;
    for (auto e : rt.cell_entries) deployed[e] = true;
  }
  for (const auto& c : sys.calls) {
    if (c.mode != CallMode::InProcess) deployed[c.callee] = true;
  }
  DesignCost cost;
  std::vector<bool> host_used(sys.hosts.size(), false);
  for (size_t s = 0; s < sys.services.size(); ++s) {
    if (!deployed[s]) continue;
    const auto& svc = sys.services[s];
    cost.replicas += static_cast<double>(svc.replicas);
    cost.workers += static_cast<double>(svc.replicas * svc.workers);
    for (auto h : svc.replica_hosts) host_used[h] = true;
  }
  cost.hosts = static_cast<double>(std::count(host_used.begin(), host_used.end(), true));
  return cost;
}

const std::vector<DesignMetric>& design_metrics() {
  static const std::vector<DesignMetric> m{
      {{"replicas", "cost: replicas", Unit::Count, 0}, [](const DesignFacts& f) { return f.cost.replicas; }},
      {{"workers", "cost: worker threads", Unit::Count, 0}, [](const DesignFacts& f) { return f.cost.workers; }},
      {{"hosts", "cost: hosts", Unit::Count, 0}, [](const DesignFacts& f) { return f.cost.hosts; }},
      {{"processes", "structure: processes", Unit::Count, 0},
       [](const DesignFacts& f) { return static_cast<double>(f.structure.processes); }},
      {{"calls", "structure: remote calls", Unit::Count, 0},
       [](const DesignFacts& f) { return static_cast<double>(f.structure.calls); }},
      {{"depth", "structure: longest call path", Unit::Count, 0},
       [](const DesignFacts& f) { return static_cast<double>(f.structure.depth); }},
      {{"max_fan_out", "structure: max fan-out", Unit::Count, 0},
       [](const DesignFacts& f) { return static_cast<double>(f.structure.max_fan_out); }},
      {{"max_betweenness", "structure: max betweenness", Unit::Plain, 0},
       [](const DesignFacts& f) { return f.structure.max_betweenness; }},
  };
  return m;
}

}  // namespace rapture
