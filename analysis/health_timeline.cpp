#include "analysis/health_timeline.hpp"

#include <algorithm>
#include <numeric>

#include "analysis/cascade_report.hpp"

namespace rapture {

namespace {

/// Bins a baseline needs before its latency and load are trusted.
constexpr int64_t kMinBaselineBins = 3;

uint64_t errors_of(const ServiceBinRow& row) {
  return std::accumulate(row.errors.begin(), row.errors.end(), uint64_t{0});
}

double median(std::vector<double>& values) {
  if (values.empty()) return NAN;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

struct Verdict {
  Health health;
  Symptom symptom;
};

/// Healthy, degraded or failed from errors, then latency, then queue fill.
Verdict judge(double share, const HealthBand& band, double latency, uint64_t completed, double fill,
              const AnalysisSpec& spec) {
  if (share > band.error_share + spec.degraded_error) {
    return {share > spec.failed_error ? Health::Failed : Health::Degraded, Symptom::Errors};
  }
  if (!std::isnan(band.latency) && completed >= static_cast<uint64_t>(spec.min_samples) && !std::isnan(latency) &&
      latency > spec.latency_factor * band.latency) {
    return {Health::Degraded, Symptom::Latency};
  }
  if (fill >= spec.queue_saturation) return {Health::Degraded, Symptom::QueueSaturation};
  return {Health::Healthy, Symptom::None};
}

/// First bin from `from` that starts `run` consecutive unhealthy bins; -1 when none.
int64_t find_onset(const std::vector<int8_t>& state, size_t n, size_t i, int64_t from, int64_t bins, int64_t run) {
  int64_t streak = 0;
  for (int64_t b = from; b < bins; ++b) {
    streak = state[static_cast<size_t>(b) * n + i] != 0 ? streak + 1 : 0;
    if (streak >= run) return b - run + 1;
  }
  return -1;
}

}  // namespace

double error_share(const ServiceBinRow& row, int64_t min_samples) {
  const uint64_t errors = errors_of(row);
  const uint64_t ended = row.completions + errors;
  return ended >= static_cast<uint64_t>(min_samples) && ended > 0 ? static_cast<double>(errors) / ended : 0.0;
}

double error_share(const RequestBinRow& row, int64_t min_samples) {
  const uint64_t ended = row.successes + row.failures;
  return ended >= static_cast<uint64_t>(min_samples) && ended > 0 ? static_cast<double>(row.failures) / ended : 0.0;
}

double queue_fill(const ServiceBinRow& row, const ServiceConfig& service) {
  const double places = static_cast<double>(service.queue_capacity) * static_cast<double>(service.replicas);
  return places > 0 ? row.queue_mean / places : 0.0;
}

Health HealthTimeline::service(int64_t bin, size_t s) const {
  return static_cast<Health>(service_state[static_cast<size_t>(bin) * service_band.size() + s]);
}

Health HealthTimeline::request(int64_t bin, size_t r) const {
  return static_cast<Health>(request_state[static_cast<size_t>(bin) * request_band.size() + r]);
}

HealthTimeline classify_health(const System& sys, const AnalysisSpec& spec, const RunSeries& series,
                               double trigger_start) {
  HealthTimeline h;
  const size_t ns = series.services(), nr = series.request_types();
  const double w = sys.bin_width;
  h.bins = series.bins();
  h.first_bin = std::min<int64_t>(h.bins, static_cast<int64_t>(std::ceil(sys.warmup / w - 1e-9)));
  h.search_bin = h.first_bin;
  h.baseline_end = h.bins;
  if (!std::isnan(trigger_start)) {
    const auto trigger_bin = static_cast<int64_t>(std::floor(trigger_start / w + 1e-9));
    h.search_bin = std::clamp<int64_t>(trigger_bin, h.first_bin, h.bins);
    h.baseline_end = h.search_bin;
  }
  h.has_baseline = h.baseline_end - h.first_bin >= kMinBaselineBins;

  // Baselines: pooled error shares, median bin latency, mean arrivals.
  h.service_band.resize(ns);
  h.request_band.resize(nr);
  const int64_t min_samples = spec.min_samples;
  for (size_t s = 0; s < ns; ++s) {
    uint64_t errors = 0, ended = 0, overflow = 0;
    double arrivals = 0, busy = 0;
    std::vector<double> latencies;
    for (int64_t b = h.first_bin; b < h.baseline_end; ++b) {
      const auto& row = series.service(b, s);
      const uint64_t e = errors_of(row);
      errors += e;
      ended += row.completions + e;
      overflow += row.errors[static_cast<int>(ErrorCause::QueueOverflow)];
      arrivals += static_cast<double>(row.arrivals);
      busy += row.busy_mean;
      if (row.completions >= static_cast<uint64_t>(min_samples) && !std::isnan(row.latency_mean)) {
        latencies.push_back(row.latency_mean);
      }
    }
    const double nb = static_cast<double>(std::max<int64_t>(1, h.baseline_end - h.first_bin));
    auto& band = h.service_band[s];
    band.error_share = ended > 0 ? static_cast<double>(errors) / ended : 0.0;
    band.overflow_share = ended > 0 ? static_cast<double>(overflow) / ended : 0.0;
    band.arrivals = arrivals / nb;
    const double workers = static_cast<double>(sys.services[s].workers * sys.services[s].replicas);
    band.busy_share = workers > 0 ? busy / nb / workers : 0.0;
    if (h.has_baseline) band.latency = median(latencies);
  }
  for (size_t r = 0; r < nr; ++r) {
    uint64_t failures = 0, ended = 0;
    double arrivals = 0;
    std::vector<double> latencies;
    for (int64_t b = h.first_bin; b < h.baseline_end; ++b) {
      const auto& row = series.request(b, r);
      failures += row.failures;
      ended += row.successes + row.failures;
      arrivals += static_cast<double>(row.arrivals);
      if (row.successes >= static_cast<uint64_t>(min_samples) && !std::isnan(row.latency_mean)) {
        latencies.push_back(row.latency_mean);
      }
    }
    auto& band = h.request_band[r];
    band.error_share = ended > 0 ? static_cast<double>(failures) / ended : 0.0;
    band.arrivals = arrivals / static_cast<double>(std::max<int64_t>(1, h.baseline_end - h.first_bin));
    if (h.has_baseline) band.latency = median(latencies);
  }

  // Bin by bin.
  const auto cells_s = static_cast<size_t>(h.bins) * ns, cells_r = static_cast<size_t>(h.bins) * nr;
  h.service_state.assign(cells_s, 0);
  h.service_symptom.assign(cells_s, 0);
  h.request_state.assign(cells_r, 0);
  h.request_symptom.assign(cells_r, 0);
  for (int64_t b = h.first_bin; b < h.bins; ++b) {
    for (size_t s = 0; s < ns; ++s) {
      const auto& row = series.service(b, s);
      const Verdict v = judge(error_share(row, min_samples), h.service_band[s], row.latency_mean, row.completions,
                              queue_fill(row, sys.services[s]), spec);
      const size_t i = static_cast<size_t>(b) * ns + s;
      h.service_state[i] = static_cast<int8_t>(v.health);
      h.service_symptom[i] = static_cast<uint8_t>(v.symptom);
    }
    for (size_t r = 0; r < nr; ++r) {
      const auto& row = series.request(b, r);
      const Verdict v =
          judge(error_share(row, min_samples), h.request_band[r], row.latency_mean, row.successes, 0, spec);
      const size_t i = static_cast<size_t>(b) * nr + r;
      h.request_state[i] = static_cast<int8_t>(v.health);
      h.request_symptom[i] = static_cast<uint8_t>(v.symptom);
    }
  }

  auto onsets = [&](const std::vector<int8_t>& state, size_t n, std::vector<int64_t>& onset,
                    std::vector<int8_t>& worst) {
    onset.assign(n, -1);
    worst.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      onset[i] = find_onset(state, n, i, h.search_bin, h.bins, spec.onset_bins);
      if (onset[i] < 0) continue;
      for (int64_t b = onset[i]; b < h.bins; ++b) worst[i] = std::max(worst[i], state[static_cast<size_t>(b) * n + i]);
    }
  };
  onsets(h.service_state, ns, h.service_onset, h.service_worst);
  onsets(h.request_state, nr, h.request_onset, h.request_worst);
  return h;
}

}  // namespace rapture
