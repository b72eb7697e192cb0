#include "analysis/decay_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "common/text.hpp"
#include "model/design/decay_layer.hpp"

namespace rapture {

namespace {

/// Bins [first, last) of the series: those whose start lies in [from, to).
struct BinSpan {
  int64_t first = 0, last = 0;
};

BinSpan bins_starting_in(double from, double to, double width, int64_t bins) {
  // Bin starts are multiples of the width computed in floating point: 3 * 0.1 is a hair above 0.3.
  const double slack = 1e-9 * width;
  BinSpan span;
  span.first = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((from - slack) / width)));
  span.last = std::max(span.first, std::min(bins, static_cast<int64_t>(std::ceil((to - slack) / width))));
  return span;
}

/// A request type over a window's bins.
struct RequestTally {
  uint64_t successes = 0, failures = 0;
  uint64_t timed = 0;      ///< successes of the bins with a latency (the weight of the mean)
  double latency_sum = 0;  ///< bins' latency_mean weighted by their successes

  void add(const RequestBinRow& row) {
    successes += row.successes;
    failures += row.failures;
    if (row.successes == 0 || std::isnan(row.latency_mean)) return;
    timed += row.successes;
    latency_sum += static_cast<double>(row.successes) * row.latency_mean;
  }
  [[nodiscard]] uint64_t ended() const { return successes + failures; }
  [[nodiscard]] double error_rate() const {
    return ended() ? static_cast<double>(failures) / static_cast<double>(ended()) : NAN;
  }
  [[nodiscard]] double latency_mean() const { return timed ? latency_sum / static_cast<double>(timed) : NAN; }
};

std::optional<size_t> request_index(const System& system, const std::string& name) {
  for (size_t r = 0; r < system.request_types.size(); ++r) {
    if (system.request_types[r].name == name) return r;
  }
  return std::nullopt;
}

DecayPath measure_path(const System& system, const RunSeries& series, int windows, size_t modern, size_t legacy,
                       const std::vector<size_t>& services) {
  DecayPath path{
      system.request_types[modern].name, system.request_types[legacy].name, system.services[services.front()].name, {}};
  if (services.size() > 1) path.legacy_service += fmt::format(" (+{} cell copies)", services.size() - 1);
  const double span = system.duration - system.warmup;
  for (int w = 0; w < windows; ++w) {
    DecayWindow window;
    window.start = system.warmup + span * w / windows;
    // The last window ends at the run's end exactly, whatever the rounding of the division.
    window.end = w + 1 == windows ? system.duration : system.warmup + span * (w + 1) / windows;
    const BinSpan bins = bins_starting_in(window.start, window.end, system.bin_width, series.bins());
    RequestTally modern_tally, legacy_tally;
    double busy = 0;
    for (int64_t b = bins.first; b < bins.last; ++b) {
      modern_tally.add(series.request(b, modern));
      legacy_tally.add(series.request(b, legacy));
      for (const size_t service : services) busy += series.service(b, service).busy_mean;
    }
    window.legacy_error_rate = legacy_tally.error_rate();
    window.legacy_latency_mean = legacy_tally.latency_mean();
    window.modern_error_rate = modern_tally.error_rate();
    window.modern_latency_mean = modern_tally.latency_mean();
    if (bins.last > bins.first) window.legacy_busy = busy / static_cast<double>(bins.last - bins.first);
    window.legacy_requests = legacy_tally.ended();
    window.modern_requests = modern_tally.ended();
    path.windows.push_back(window);
  }
  return path;
}

std::string busy(double workers) { return std::isnan(workers) ? "-" : fmt::format("{:.2f}", workers); }

}  // namespace

DecayReport decay_report(const System& system, const RunSeries& series, int windows) {
  if (windows < 1) throw std::invalid_argument("decay_report: windows must be at least 1");
  DecayReport report;
  // One decay layer per design; a cell-based design copies its legacy service into every cell.
  std::vector<size_t> services;
  for (size_t s = 0; s < system.services.size(); ++s) {
    if (system.services[s].decaying) services.push_back(s);
  }
  if (services.empty()) return report;
  // Walking the modern types and looking their legacy share up by name keeps the naming rule
  // in one place (legacy_request_name) and skips a legacy type without its modern one.
  for (size_t r = 0; r < system.request_types.size(); ++r) {
    const auto legacy = request_index(system, legacy_request_name(system.request_types[r].name));
    if (legacy) report.paths.push_back(measure_path(system, series, windows, r, *legacy, services));
  }
  return report;
}

std::string format_decay_report(const DecayReport& report) {
  std::string out;
  for (const auto& path : report.paths) {
    out += fmt::format("decay: {} through {}, against {}\n", path.legacy_request, path.legacy_service, path.request);
    out += fmt::format("  {:<16}{:>14}{:>13}{:>15}{:>13}{:>13}  {}\n", "window", "legacy errors", "legacy mean",
                       "modern errors", "modern mean", "legacy busy", "requests legacy/modern");
    for (const auto& w : path.windows) {
      const std::string span = fmt::format("{:.1f}-{:.1f} s", w.start, w.end);
      out +=
          fmt::format("  {:<16}{:>14}{:>13}{:>15}{:>13}{:>13}  {}/{}\n", span, text::percent(w.legacy_error_rate),
                      text::millis(w.legacy_latency_mean), text::percent(w.modern_error_rate),
                      text::millis(w.modern_latency_mean), busy(w.legacy_busy), w.legacy_requests, w.modern_requests);
    }
  }
  return out;
}

}  // namespace rapture
