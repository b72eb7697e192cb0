#include "analysis/hypothesis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

namespace rapture {

namespace {

using Metric = ProbeSpec::Metric;
using Window = ProbeSpec::Window;

enum class Unit { Share, Rate, Duration };

Unit unit_of(Metric metric) {
  switch (metric) {
    case Metric::ErrorRate:
    case Metric::UnhealthyShare: return Unit::Share;
    case Metric::Goodput: return Unit::Rate;
    default: return Unit::Duration;
  }
}

std::string_view metric_name(Metric metric) {
  switch (metric) {
    case Metric::ErrorRate: return "error_rate";
    case Metric::Goodput: return "goodput";
    case Metric::LatencyP99: return "p99";
    case Metric::LatencyMean: return "latency_mean";
    case Metric::RecoveryTime: return "recovery_time";
    case Metric::UnhealthyShare: return "unhealthy_share";
  }
  return "?";
}

std::string_view window_phrase(Window window) {
  switch (window) {
    case Window::Whole: return " over the run";
    case Window::Steady: return " before the fault";
    case Window::DuringFault: return " during the fault";
    case Window::AfterFault: return " after the fault";
  }
  return "";
}

/// Three significant digits without an exponent, trailing zeros dropped: 800, 1.2, 0.0123.
std::string significant(double value) {
  const double magnitude = std::fabs(value);
  const int decimals = magnitude > 0 ? std::clamp(2 - static_cast<int>(std::floor(std::log10(magnitude))), 0, 9) : 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string format_value(double value, Unit unit) {
  switch (unit) {
    case Unit::Share: return significant(value * 100) + "%";
    case Unit::Rate: return significant(value) + "/s";
    case Unit::Duration: return std::fabs(value) < 1 ? significant(value * 1000) + "ms" : significant(value) + "s";
  }
  return significant(value);
}

// A ProbeResult keeps its tolerance as text, not its metric: the unit of the value is read back
// from the tolerance, whose unit suffixes are exactly those format_value writes.
Unit unit_of_tolerance(std::string_view tolerance) {
  if (tolerance.ends_with("%")) return Unit::Share;
  if (tolerance.ends_with("/s")) return Unit::Rate;
  return Unit::Duration;
}

std::string tolerance_text(const ProbeSpec& probe) {
  const Unit unit = unit_of(probe.metric);
  std::string out;
  if (probe.above) out = "> " + format_value(*probe.above, unit);
  if (probe.below) out += (out.empty() ? "< " : " and < ") + format_value(*probe.below, unit);
  return out;
}

std::string generated_name(const ProbeSpec& probe) {
  std::string name(metric_name(probe.metric));
  if (probe.metric == Metric::RecoveryTime) return name;  // measured from the trigger's end, whatever the window
  if (!probe.request.empty()) name += " of " + probe.request;
  return name + std::string(window_phrase(probe.window));
}

/// Why the windows around the trigger do not exist: neither a fault nor a change of load.
constexpr std::string_view kNoTrigger = "no fault and no change of load in the run";

/// Why there is no window after the trigger: a fault that never ends, or else a change of load
/// that lasts (a step, or a ramp that stays up).
std::string never_ends(const System& system) {
  const bool endless_fault = std::any_of(system.faults.begin(), system.faults.end(),
                                         [](const FaultConfig& f) { return std::isinf(f.spec.end); });
  return endless_fault ? "the faults never end: no window after them"
                       : "the change of load lasts to the end of the run: no window after it";
}

/// The bins a probe looks at: those whose start lies in its window.
struct BinRange {
  int64_t first = 0, last = 0;  ///< [first, last)
  std::string note;             ///< why there are none
};

BinRange window_bins(Window window, const System& system, const CascadeReport& report, int64_t bins) {
  // The trigger is the span of the faults and of the changes of offered load (cascade_report).
  const bool fault = !std::isnan(report.trigger_start);
  const std::string no_fault = std::string(kNoTrigger) + ": no window";
  double from = system.warmup, to = system.duration;
  switch (window) {
    case Window::Whole: break;
    case Window::Steady:
      if (!fault) return {0, 0, no_fault + " before it"};
      to = report.trigger_start;
      break;
    case Window::DuringFault:
      if (!fault) return {0, 0, no_fault + " during it"};
      from = std::max(from, report.trigger_start);
      to = std::min(to, report.trigger_end);
      break;
    case Window::AfterFault:
      if (!fault) return {0, 0, no_fault + " after it"};
      if (std::isinf(report.trigger_end)) return {0, 0, never_ends(system)};
      from = std::max(from, report.trigger_end);
      break;
  }
  // Bin starts are multiples of the width computed in floating point: 3 * 0.1 is a hair above 0.3.
  const double width = system.bin_width;
  const double slack = 1e-9 * width;
  BinRange r;
  r.first = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((from - slack) / width)));
  r.last = std::min(bins, static_cast<int64_t>(std::ceil((to - slack) / width)));
  if (r.first >= r.last) {
    r = {0, 0,
         "no measured bin starts in [" + format_value(from, Unit::Duration) + ", " + format_value(to, Unit::Duration) +
             ")"};
  }
  return r;
}

/// The request types a probe counts: one, or all.
struct Types {
  size_t first = 0, last = 0;
  std::string note;
};

Types request_types(const ProbeSpec& probe, const System& system) {
  if (probe.request.empty()) return {0, system.request_types.size(), ""};
  for (size_t r = 0; r < system.request_types.size(); ++r) {
    if (system.request_types[r].name == probe.request) return {r, r + 1, ""};
  }
  return {0, 0, "no request type '" + probe.request + "' in the system"};
}

/// The measured value, or nullopt with a note saying why it cannot be measured.
std::optional<double> measure(const ProbeSpec& probe, const System& system, const RunSeries& series,
                              const CascadeReport& report, std::string& note) {
  if (probe.metric == Metric::RecoveryTime) {
    if (std::isnan(report.trigger_start)) {
      note = std::string(kNoTrigger) + ": nothing to recover from";
    } else if (std::isnan(report.recovery_time)) {
      // Why it did not: a drain still under way, or a loop that sustains itself.
      note = "not recovered by the end of the run";
      const RecoveryKind kind = report.verdict.kind;
      if (kind == RecoveryKind::Recovering || kind == RecoveryKind::Sustained) {
        note += " (" + verdict_headline(report.verdict) + ")";
      }
    } else {
      return report.recovery_time;
    }
    return std::nullopt;
  }

  if (probe.metric == Metric::UnhealthyShare) {
    const size_t services = system.services.size();
    const int64_t bins =
        services ? std::min(report.bins, static_cast<int64_t>(report.service_health.size() / services)) : 0;
    const BinRange range = window_bins(probe.window, system, report, bins);
    if (!range.note.empty()) {
      note = range.note;
      return std::nullopt;
    }
    double worst = 0;
    for (int64_t b = range.first; b < range.last; ++b) {
      size_t unhealthy = 0;
      for (size_t s = 0; s < services; ++s) unhealthy += report.service(b, s, services) != Health::Healthy;
      worst = std::max(worst, static_cast<double>(unhealthy) / static_cast<double>(services));
    }
    return worst;
  }

  const Types types = request_types(probe, system);
  const BinRange range = window_bins(probe.window, system, report, series.bins());
  note = !types.note.empty() ? types.note : range.note;
  if (!note.empty()) return std::nullopt;

  uint64_t successes = 0, failures = 0;
  double seconds = 0, latency_sum = 0, worst_p99 = -1;
  for (int64_t b = range.first; b < range.last; ++b) {
    const double start = static_cast<double>(b) * system.bin_width;
    seconds += std::min(start + system.bin_width, system.duration) - start;  // the last bin may be cut by the end
    for (size_t r = types.first; r < types.last; ++r) {
      const RequestBinRow& row = series.request(b, r);
      successes += row.successes;
      failures += row.failures;
      if (row.successes == 0) continue;
      latency_sum += static_cast<double>(row.successes) * row.latency_mean;
      if (!std::isnan(row.latency_p99)) worst_p99 = std::max(worst_p99, row.latency_p99);
    }
  }
  switch (probe.metric) {
    case Metric::ErrorRate:
      if (successes + failures == 0) break;
      return static_cast<double>(failures) / static_cast<double>(successes + failures);
    case Metric::Goodput: return static_cast<double>(successes) / seconds;
    case Metric::LatencyMean:
      if (successes == 0) break;
      return latency_sum / static_cast<double>(successes);
    case Metric::LatencyP99:
      if (worst_p99 < 0) break;
      return worst_p99;
    default: break;
  }
  note = probe.metric == Metric::ErrorRate ? "no request ended in the window" : "no request succeeded in the window";
  return std::nullopt;
}

}  // namespace

bool HypothesisResult::met() const {
  for (const auto& p : probes)
    if (!p.met) return false;
  return true;
}

HypothesisResult evaluate_hypothesis(const HypothesisSpec& spec, const System& system, const RunSeries& series,
                                     const CascadeReport& report) {
  HypothesisResult result;
  result.title = spec.title;
  for (const auto& probe : spec.probes) {
    ProbeResult r;
    r.name = probe.name.empty() ? generated_name(probe) : probe.name;
    r.tolerance = tolerance_text(probe);
    const auto value = measure(probe, system, series, report, r.note);
    r.value = value.value_or(NAN);
    r.met = value && (!probe.below || *value < *probe.below) && (!probe.above || *value > *probe.above);
    result.probes.push_back(std::move(r));
  }
  return result;
}

std::string format_hypothesis(const HypothesisResult& result) {
  std::string out = "steady-state hypothesis" + (result.title.empty() ? "" : ": " + result.title) + "\n";
  size_t failed = 0;
  for (const auto& p : result.probes) {
    failed += !p.met;
    const std::string value = std::isnan(p.value) ? p.note : format_value(p.value, unit_of_tolerance(p.tolerance));
    out += std::string(p.met ? "  met      " : "  NOT MET  ") + p.name + ": " + value + " (" + p.tolerance + ")\n";
  }
  if (failed == 0) return out + "hypothesis met\n";
  return out + "hypothesis NOT met: " + std::to_string(failed) + " of " + std::to_string(result.probes.size()) +
         (result.probes.size() == 1 ? " probe" : " probes") + " failed\n";
}

}  // namespace rapture
