#include "analysis/recovery_verdict.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "analysis/design_comparison.hpp"
#include "common/text.hpp"

namespace rapture {

namespace {

const text::KeywordTable<RecoveryKind>& kinds() {
  static const text::KeywordTable<RecoveryKind> table{{"none", RecoveryKind::None},
                                                      {"cannot_tell", RecoveryKind::CannotTell},
                                                      {"recovered", RecoveryKind::Recovered},
                                                      {"recovering", RecoveryKind::Recovering},
                                                      {"sustained", RecoveryKind::Sustained}};
  return table;
}

const text::KeywordTable<SustainingEffect>& effects() {
  static const text::KeywordTable<SustainingEffect> table{{"none", SustainingEffect::None},
                                                          {"retries", SustainingEffect::Retries},
                                                          {"load_dependent_cost", SustainingEffect::LoadDependentCost},
                                                          {"amplified_arrivals", SustainingEffect::AmplifiedArrivals},
                                                          {"cache_misses", SustainingEffect::CacheMisses},
                                                          {"unknown", SustainingEffect::Unknown}};
  return table;
}

/// Bins the backlog's line is fitted over at least: with fewer, its slope's interval is too wide
/// (t(0.975, 3) = 3.2) to tell a drain from noise.
constexpr int64_t kMinFitBins = 5;
/// Share of the backlog above its baseline that the fitted line must lose over the window judged
/// before it counts as a drain: a backlog losing less than a tenth of itself in `metastable_after`
/// would need over ten times as long to empty, which the run cannot tell from a loop (a full
/// bounded queue drifting by a few places is not draining).
constexpr double kMinDecline = 0.1;
/// Work per visit served above this multiple of the baseline's: load-dependent cost. Half again
/// as much is far beyond the sampling error of a mean over the hundreds of visits a window holds
/// (exponential service times: a relative error of 1/sqrt(n)), and below the doubling and more
/// that GC spirals and thrashing show.
constexpr double kCostGrowth = 1.5;
/// Poisson standard deviations an excess of arrivals must exceed (as Context::surged).
constexpr double kNoiseSigmas = 4;

/// Failures after a worker took the visit: they cost its work as a completion does. Overflows,
/// refusals, unavailability and cancelled orphans (timeouts at the callee) never reach a worker.
uint64_t served(const ServiceBinRow& row) {
  return row.completions + row.errors[static_cast<int>(ErrorCause::Downstream)] +
         row.errors[static_cast<int>(ErrorCause::Injected)];
}

/// A service's sums over a range of bins.
struct Sums {
  double arrivals = 0, served = 0, busy = 0, queue = 0, entry = 0;
  int64_t bins = 0;
};

Sums sums(const RecoveryInputs& in, uint32_t s, int64_t from, int64_t to) {
  Sums out;
  for (int64_t b = from; b < to; ++b) {
    const auto& row = in.series.service(b, s);
    out.arrivals += static_cast<double>(row.arrivals);
    out.served += static_cast<double>(served(row));
    out.busy += row.busy_mean;
    out.queue += row.queue_mean;
    for (size_t r = 0; r < in.series.request_types(); ++r) {
      out.entry += static_cast<double>(in.series.request(b, r).arrivals);
    }
    ++out.bins;
  }
  return out;
}

/// The baseline's bins, but the last: an event on the trigger's bin boundary (a burst at 3 s in
/// 0.5 s bins) can be counted in the bin before it, at the entry and not yet at the services.
Sums baseline_sums(const RecoveryInputs& in, uint32_t s) {
  const int64_t from = in.health.first_bin, to = in.health.baseline_end;
  return sums(in, s, from, to - from > 1 ? to - 1 : to);
}

double workers_of(const ServiceConfig& svc) { return static_cast<double>(svc.workers * svc.replicas); }

/// A straight line fitted to a per-bin series by least squares, with its slope's 95 % interval.
struct LineFit {
  double slope = NAN;       ///< per second
  double half_width = NAN;  ///< of the slope's 95 % interval
  double intercept = NAN;   ///< at t = 0
  [[nodiscard]] double at(double t) const { return intercept + slope * t; }
};

/// Why least squares: while its workers stay busy, a queue drains at the constant rate capacity -
/// arrivals (the fluid limit), so the backlog is a line in time. Least squares is the unbiased
/// minimum-variance estimator of that line under each bin's independent noise; its level at the
/// end averages every bin instead of trusting the last one, and the slope's t interval says
/// whether the decline is more than noise. The points are bin centres: the backlog is time-averaged.
LineFit fit_line(const std::vector<double>& y, int64_t first_bin, double w) {
  LineFit fit;
  const size_t n = y.size();
  if (n < 3) return fit;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += (static_cast<double>(first_bin + static_cast<int64_t>(i)) + 0.5) * w;
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = (static_cast<double>(first_bin + static_cast<int64_t>(i)) + 0.5) * w - mx;
    sxx += dx * dx;
    sxy += dx * (y[i] - my);
  }
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  double sse = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = y[i] - fit.at((static_cast<double>(first_bin + static_cast<int64_t>(i)) + 0.5) * w);
    sse += e * e;
  }
  fit.half_width = student_t_975(n - 2) * std::sqrt(sse / static_cast<double>(n - 2) / sxx);
  return fit;
}

std::string names_of(const RecoveryInputs& in, const std::vector<uint32_t>& services) {
  std::string out;
  for (const uint32_t s : services) out += (out.empty() ? "" : ", ") + in.sys.services[s].name;
  return out;
}

/// A look-aside cache's lookups and hits over a range of bins.
struct CacheSums {
  double lookups = 0, hits = 0;
  [[nodiscard]] double ratio() const { return lookups > 0 ? hits / lookups : NAN; }
};

CacheSums cache_sums(const RecoveryInputs& in, size_t c, int64_t from, int64_t to) {
  CacheSums out;
  for (int64_t b = from; b < to; ++b) {
    out.lookups += static_cast<double>(in.series.cache(b, c).lookups);
    out.hits += static_cast<double>(in.series.cache(b, c).hits);
  }
  return out;
}

/// The first sustaining effect the window shows at `candidates`, in the order retries, cache
/// misses, load-dependent cost, amplified arrivals; each keeps its strongest place. Cache misses
/// come before load-dependent cost: behind a cache that cannot refill, the backend's costlier
/// visits follow from the misses' load, and without the misses its baseline load would return.
void name_effect(const RecoveryInputs& in, const std::vector<uint32_t>& candidates, int64_t from, int64_t to,
                 RecoveryVerdict& v) {
  const double w = in.sys.bin_width;
  const auto min_samples = static_cast<double>(in.spec.min_samples);
  // `strength`: how far the measure is from its baseline, the larger the stronger.
  double strongest = -INFINITY;
  auto found = [&](SustainingEffect effect, double measure, double baseline, double strength, std::string place) {
    if (v.sustained_by != SustainingEffect::None && v.sustained_by != effect) return;
    if (v.sustained_by == effect && strength <= strongest) return;
    v.sustained_by = effect;
    v.evidence = measure;
    v.evidence_baseline = baseline;
    v.evidence_place = std::move(place);
    strongest = strength;
  };
  for (const uint32_t s : candidates) {
    for (const auto e : in.graph.edges_into[s]) {
      double calls = 0, retries = 0;
      for (int64_t b = from; b < to; ++b) {
        calls += static_cast<double>(in.series.edge(b, e).calls);
        retries += static_cast<double>(in.series.edge(b, e).retries);
      }
      if (calls >= min_samples && retries / calls > in.edge_retry_base[e] + in.spec.retry_spike) {
        found(SustainingEffect::Retries, retries / calls, in.edge_retry_base[e],
              retries / calls - in.edge_retry_base[e], in.sys.edge_policies[e].name);
      }
    }
  }
  if (v.sustained_by != SustainingEffect::None) return;
  // More visits per entry request than in the baseline (per entry request, so that arrivals that
  // follow the entry's own load are not counted): the visits per entry request now and in the
  // baseline, or nullopt when the excess is within the surge factor or Poisson noise.
  auto amplified = [&](uint32_t s) -> std::optional<std::pair<double, double>> {
    const Sums now = sums(in, s, from, to), base = baseline_sums(in, s);
    if (now.entry <= 0 || base.entry <= 0 || base.arrivals <= 0) return std::nullopt;
    const double per_entry = now.arrivals / now.entry, base_per_entry = base.arrivals / base.entry;
    const double expected = base_per_entry * now.entry;
    if (per_entry > in.spec.surge_factor * base_per_entry &&
        now.arrivals - expected > kNoiseSigmas * std::sqrt(expected)) {
      return std::pair{per_entry, base_per_entry};
    }
    return std::nullopt;
  };
  // The hit ratio must be below its baseline by more than kNoiseSigmas binomial standard errors
  // of the window's lookups: a warm cache's ratio wobbles, a flushed one does not come back.
  for (const uint32_t s : candidates) {
    for (size_t c = 0; c < in.sys.caches.size() && c < in.series.caches(); ++c) {
      if (in.sys.caches[c].backend != s || !amplified(s)) continue;
      const CacheSums now = cache_sums(in, c, from, to);
      const CacheSums base = cache_sums(in, c, in.health.first_bin, in.health.baseline_end);
      if (now.lookups < min_samples || base.lookups < min_samples) continue;
      const double p = base.ratio(), drop = p - now.ratio();
      if (drop > kNoiseSigmas * std::sqrt(p * (1 - p) / now.lookups)) {
        found(SustainingEffect::CacheMisses, now.ratio(), p, drop, in.sys.services[in.sys.caches[c].service].name);
      }
    }
  }
  if (v.sustained_by != SustainingEffect::None) return;
  for (const uint32_t s : candidates) {
    const Sums now = sums(in, s, from, to), base = baseline_sums(in, s);
    if (now.served < min_samples || base.served < min_samples) continue;
    const double cost = now.busy * w / now.served, base_cost = base.busy * w / base.served;
    if (base_cost > 0 && cost > kCostGrowth * base_cost) {
      found(SustainingEffect::LoadDependentCost, cost, base_cost, cost - base_cost, in.sys.services[s].name);
    }
  }
  if (v.sustained_by != SustainingEffect::None) return;
  for (const uint32_t s : candidates) {
    if (const auto ratio = amplified(s)) {
      found(SustainingEffect::AmplifiedArrivals, ratio->first, ratio->second, ratio->first - ratio->second,
            in.sys.services[s].name);
    }
  }
  if (v.sustained_by == SustainingEffect::None) v.sustained_by = SustainingEffect::Unknown;
}

}  // namespace

std::string_view to_string(RecoveryKind kind) { return kinds().name(kind); }
std::optional<RecoveryKind> recovery_kind_named(std::string_view text) { return kinds().find(text); }
std::string_view to_string(SustainingEffect effect) { return effects().name(effect); }
std::optional<SustainingEffect> sustaining_effect_named(std::string_view text) { return effects().find(text); }

RecoveryVerdict judge_recovery(const RecoveryInputs& in) {
  RecoveryVerdict v;
  const double w = in.sys.bin_width, duration = in.sys.duration, after = in.spec.metastable_after;
  if (std::isnan(in.trigger_end)) {
    v.note = "no trigger: nothing to recover from";
    return v;
  }
  if (!std::isfinite(in.trigger_end) || in.trigger_end >= duration) {
    v.kind = RecoveryKind::CannotTell;
    v.note = "the trigger lasts to the end of the run: recovery cannot be told";
    return v;
  }
  const bool recovered = !std::isnan(in.recovery_time);
  if (recovered && in.recovery_time <= after) {
    v.kind = RecoveryKind::Recovered;
    v.judged_at = in.trigger_end + in.recovery_time;
    v.note = fmt::format("recovered {:.1f} s after the trigger ended", in.recovery_time);
    return v;
  }
  // The window judged: from the bin after the one the trigger ends in, up to `metastable_after`
  // past its end or the run's end. The trigger's last bin is left out even when the trigger ends
  // on its boundary: what an instant burst sends lands in the bins on both sides of it.
  const double horizon = in.trigger_end + after;
  const int64_t bins = in.health.bins;
  const auto first = std::min(bins, static_cast<int64_t>(std::floor(in.trigger_end / w + 1e-9)) + 1);
  const auto last = std::clamp(static_cast<int64_t>(std::floor(horizon / w + 1e-9)), first, bins);
  const bool reached = duration >= horizon + in.spec.stable;  // long enough to have seen a recovery by then
  v.judged_at = static_cast<double>(last) * w;

  // Saturated: every worker busy in the first bins after the trigger. Their queued and running
  // visits are the backlog a drain empties.
  const int64_t head = std::min(last, first + std::max<int64_t>(1, in.spec.onset_bins));
  for (uint32_t s = 0; s < in.sys.services.size() && head > first; ++s) {
    const double busy = sums(in, s, first, head).busy / static_cast<double>(head - first);
    if (busy >= kWorkersExhausted * workers_of(in.sys.services[s])) v.saturated.push_back(s);
  }
  bool draining = false;
  if (!v.saturated.empty() && last - first >= kMinFitBins) {
    std::vector<double> backlog;
    for (int64_t b = first; b < last; ++b) {
      double total = 0;
      for (const uint32_t s : v.saturated)
        total += in.series.service(b, s).queue_mean + in.series.service(b, s).busy_mean;
      backlog.push_back(total);
    }
    double base = 0, offered = 0;
    for (const uint32_t s : v.saturated) {
      const Sums b = baseline_sums(in, s);
      if (b.bins > 0) base += (b.queue + b.busy) / static_cast<double>(b.bins);
      // Offered work over capacity: arrivals times the worker time a visit takes now (retries,
      // abandoned work and costlier visits included), over the workers.
      const Sums now = sums(in, s, first, last);
      if (now.served > 0) {
        offered = std::max(offered, now.arrivals * (now.busy * w / now.served) /
                                        (workers_of(in.sys.services[s]) * static_cast<double>(now.bins) * w));
      }
    }
    v.offered_load = offered;
    const LineFit fit = fit_line(backlog, first, w);
    v.backlog_slope = fit.slope;
    v.backlog = fit.at(v.judged_at);
    const double above = v.backlog - base, at_start = fit.at(static_cast<double>(first) * w) - base;
    draining = fit.slope + fit.half_width < 0 && above > 1 &&
               -fit.slope * (v.judged_at - static_cast<double>(first) * w) >= kMinDecline * at_start;
    if (draining) v.drain_eta = above / -fit.slope;
  }
  const std::string where = v.saturated.empty() ? std::string() : names_of(in, v.saturated) + ": ";
  if (draining) {
    v.kind = RecoveryKind::Recovering;
    v.note = fmt::format(
        "{}backlog of {:.0f} visits {:.0f} s after the trigger ended, shrinking {:.1f}/s (offered work {} of "
        "capacity): a slow drain, not a loop; recovering, drain ETA {:.0f} s",
        where, v.backlog, v.judged_at - in.trigger_end, -v.backlog_slope, text::percent(v.offered_load), v.drain_eta);
    return v;
  }
  if (recovered) {
    v.kind = RecoveryKind::Recovered;
    v.note = fmt::format("recovered {:.1f} s after the trigger ended, later than {:.0f} s but on its own",
                         in.recovery_time, after);
    return v;
  }
  if (!reached) {
    v.kind = RecoveryKind::CannotTell;
    v.note = fmt::format(
        "the run ends {:.0f} s after the trigger, before {:.0f} s past it, with no backlog shrinking: "
        "metastability cannot be told",
        duration - in.trigger_end, after);
    return v;
  }
  v.kind = RecoveryKind::Sustained;
  std::vector<uint32_t> candidates = v.saturated;
  if (candidates.empty()) {  // nothing overloaded: look where it is still unhealthy
    for (uint32_t s = 0; s < in.sys.services.size(); ++s) {
      if (last > first && in.health.service_state[static_cast<size_t>(last - 1) * in.sys.services.size() + s] != 0) {
        candidates.push_back(s);
      }
    }
  }
  name_effect(in, candidates, first, last, v);
  v.note = fmt::format(
      "{}not recovered {:.0f} s after the trigger ended and no backlog shrinking{}: metastable, {} ({})", where, after,
      std::isnan(v.offered_load) ? std::string() : " (offered work " + text::percent(v.offered_load) + " of capacity)",
      describe(v.sustained_by), verdict_evidence(v));
  return v;
}

std::string_view describe(SustainingEffect effect) {
  switch (effect) {
    case SustainingEffect::Retries: return "sustained by retries";
    case SustainingEffect::LoadDependentCost: return "sustained by load-dependent cost";
    case SustainingEffect::AmplifiedArrivals: return "sustained by amplified arrivals";
    case SustainingEffect::CacheMisses: return "sustained by cache misses";
    default: return "sustained by an unknown effect";
  }
}

std::string verdict_evidence(const RecoveryVerdict& v) {
  switch (v.sustained_by) {
    case SustainingEffect::Retries:
      return fmt::format("{}: {:.2f} retries per call vs {:.2f} baseline", v.evidence_place, v.evidence,
                         v.evidence_baseline);
    case SustainingEffect::LoadDependentCost:
      return fmt::format("{}: {} of worker time per visit vs {} baseline", v.evidence_place, text::millis(v.evidence),
                         text::millis(v.evidence_baseline));
    case SustainingEffect::AmplifiedArrivals:
      return fmt::format("{}: {:.2f} visits per entry request vs {:.2f} baseline, no retry spike", v.evidence_place,
                         v.evidence, v.evidence_baseline);
    case SustainingEffect::CacheMisses:
      return fmt::format("{}: hit ratio {} vs {} baseline, its backend's arrivals amplified", v.evidence_place,
                         text::percent(v.evidence), text::percent(v.evidence_baseline));
    default:
      return "no retry spike, no cache below its hit ratio, no costlier visits, no amplified arrivals in the run";
  }
}

std::string verdict_headline(const RecoveryVerdict& v) {
  switch (v.kind) {
    case RecoveryKind::None: return "no trigger";
    case RecoveryKind::CannotTell: return "cannot tell";
    case RecoveryKind::Recovered: return "recovered";
    case RecoveryKind::Recovering: return fmt::format("recovering, drain ETA {:.0f} s", v.drain_eta);
    case RecoveryKind::Sustained: return "metastable: " + std::string(describe(v.sustained_by));
  }
  return "?";
}

}  // namespace rapture
