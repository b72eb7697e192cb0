#pragma once
/// Health per service and per request type per bin, judged against each one's own baseline
/// (its measured bins before the first trigger: a fault or a change of offered load), and the onset of each one's first
/// unhealthy episode. The rules and their thresholds are AnalysisSpec's, documented in docs/scenario-format.md.

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/run_series.hpp"
#include "model/scenario.hpp"
#include "model/system.hpp"

namespace rapture {

enum class Health : int8_t;
enum class Symptom : uint8_t;

/// Busy share above which a service's thread pool counts as exhausted.
inline constexpr double kWorkersExhausted = 0.95;

/// What is normal for one service or request type.
struct HealthBand {
  double error_share = 0;     ///< failed / ended visits
  double latency = NAN;       ///< median of the bins' mean latency; NaN: not judged
  double arrivals = 0;        ///< mean arrivals per bin
  double overflow_share = 0;  ///< queue overflows / ended visits (services)
  double busy_share = 0;      ///< busy workers / workers (services)
};

/// Share of a service bin's ended visits that failed; 0 with fewer than `min_samples`.
double error_share(const ServiceBinRow& row, int64_t min_samples);
/// The same for a request type.
double error_share(const RequestBinRow& row, int64_t min_samples);
/// Waiting visits over the service's queue places (replicas x capacity); 0 without a queue.
double queue_fill(const ServiceBinRow& row, const ServiceConfig& service);

struct HealthTimeline {
  int64_t bins = 0;
  int64_t first_bin = 0;      ///< first measured bin (after warm-up)
  int64_t search_bin = 0;     ///< onsets are sought from here (the trigger's bin, or first_bin)
  int64_t baseline_end = 0;   ///< baseline bins: [first_bin, baseline_end)
  bool has_baseline = false;  ///< enough baseline bins to judge latency and load
  std::vector<HealthBand> service_band, request_band;
  std::vector<int8_t> service_state, request_state;       ///< [bin * n + i], Health values
  std::vector<uint8_t> service_symptom, request_symptom;  ///< [bin * n + i], Symptom values
  std::vector<int64_t> service_onset, request_onset;      ///< first bin of the first unhealthy episode; -1 none
  std::vector<int8_t> service_worst, request_worst;       ///< worst state from the onset on

  [[nodiscard]] Health service(int64_t bin, size_t s) const;
  [[nodiscard]] Health request(int64_t bin, size_t r) const;
};

/// Classifies every bin; `trigger_start` is the first trigger's start (NaN: no trigger, the whole
/// measured run is the baseline).
HealthTimeline classify_health(const System& system, const AnalysisSpec& spec, const RunSeries& series,
                               double trigger_start);

}  // namespace rapture
