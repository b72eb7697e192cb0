// The decay report on runs made by hand: a legacy share whose failures, latency and cost grow
// bin by bin beside a steady modern path, measured window by window.

#include "analysis/decay_report.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

constexpr int64_t kBins = 10;
enum : size_t { kFrontend, kCheckout, kLegacy, kServices };
enum : size_t { kModernType, kLegacyType, kBrowseType, kTypes };

RequestBinRow row(uint64_t successes, uint64_t failures, double mean) {
  return {successes + failures, successes, failures, mean, mean, mean};
}

RequestBinRow idle() { return {0, 0, 0, NAN, NAN, NAN}; }

/// Ten one-second bins, warm-up [0, 2): four windows of two bins. Checkout is steady; its legacy
/// share fails 10 more requests per bin each second, slows down and keeps more workers busy.
class Decay : public ::testing::Test {
 protected:
  void SetUp() override {
    system.duration = 10;
    system.warmup = 2;
    system.bin_width = 1;
    system.services.resize(kServices);
    system.services[kFrontend].name = "frontend";
    system.services[kCheckout].name = "checkout";
    system.services[kLegacy].name = "checkout-legacy";
    system.services[kLegacy].decaying = true;
    system.request_types = {{"checkout", kFrontend, {}}, {"checkout@legacy", kFrontend, {}}, {"browse", kFrontend, {}}};
  }

  /// Records the bins; `legacy_row` may replace the legacy type's row of a bin.
  void record(RequestBinRow (*legacy_row)(int64_t bin) = nullptr) {
    for (int64_t b = 0; b < kBins; ++b) {
      std::vector<ServiceBinRow> services(kServices);
      services[kLegacy].busy_mean = 0.5 * static_cast<double>(b);
      std::vector<RequestBinRow> requests(kTypes);
      if (b < 2) {
        // Warm-up: must never count.
        requests[kModernType] = requests[kLegacyType] = row(1000, 1000, 5.0);
        services[kLegacy].busy_mean = 100;
      } else {
        const auto failures = static_cast<uint64_t>(10 * (b - 2));
        requests[kModernType] = row(100, 0, 0.030);
        const double latency = 0.05 + 0.01 * static_cast<double>(b);
        requests[kLegacyType] = legacy_row ? legacy_row(b) : row(100 - failures, failures, latency);
      }
      requests[kBrowseType] = row(50, 0, 0.020);
      series.write_bin(b, services, requests);
    }
  }

  System system;
  RunSeries series{kServices, kTypes, 0};
};

TEST_F(Decay, LegacyErrorRateRisesWhileTheModernStaysFlat) {
  record();
  const DecayReport report = decay_report(system, series);
  ASSERT_EQ(report.paths.size(), 1u);
  const DecayPath& path = report.paths[0];
  EXPECT_EQ(path.request, "checkout");
  EXPECT_EQ(path.legacy_request, "checkout@legacy");
  EXPECT_EQ(path.legacy_service, "checkout-legacy");
  ASSERT_EQ(path.windows.size(), 4u);

  // Failures per window: 0+10, 20+30, 40+50, 60+70 of 200.
  const double expected[] = {10.0 / 200, 50.0 / 200, 90.0 / 200, 130.0 / 200};
  for (size_t w = 0; w < 4; ++w) {
    const DecayWindow& window = path.windows[w];
    SCOPED_TRACE(w);
    EXPECT_DOUBLE_EQ(window.start, 2.0 + 2.0 * static_cast<double>(w));
    EXPECT_DOUBLE_EQ(window.end, 4.0 + 2.0 * static_cast<double>(w));
    EXPECT_DOUBLE_EQ(window.legacy_error_rate, expected[w]);
    EXPECT_DOUBLE_EQ(window.modern_error_rate, 0);
    EXPECT_DOUBLE_EQ(window.modern_latency_mean, 0.030);
    EXPECT_EQ(window.legacy_requests, 200u);
    EXPECT_EQ(window.modern_requests, 200u);
    if (w > 0) {
      EXPECT_GT(window.legacy_latency_mean, path.windows[w - 1].legacy_latency_mean);
      EXPECT_GT(window.legacy_busy, path.windows[w - 1].legacy_busy);
    }
  }
  // Bins 2 and 3: 100 successes at 70 ms and 90 at 80 ms, weighted by successes.
  EXPECT_DOUBLE_EQ(path.windows[0].legacy_latency_mean, (100 * 0.07 + 90 * 0.08) / 190);
  // The mean of the bins' busy workers: 1 and 1.5 (the warm-up's 100 left out).
  EXPECT_DOUBLE_EQ(path.windows[0].legacy_busy, 1.25);
}

TEST_F(Decay, WindowWithoutRequestsIsNaN) {
  // The legacy share gets no request from 6 s on, and every one fails at 4-6 s.
  record([](int64_t b) { return b < 4 ? row(100, 0, 0.05) : b < 6 ? row(0, 100, NAN) : idle(); });
  const DecayReport report = decay_report(system, series);
  ASSERT_EQ(report.paths.size(), 1u);
  const auto& windows = report.paths[0].windows;
  ASSERT_EQ(windows.size(), 4u);

  EXPECT_DOUBLE_EQ(windows[0].legacy_error_rate, 0);
  EXPECT_DOUBLE_EQ(windows[0].legacy_latency_mean, 0.05);
  // Requests ended, none succeeded: an error rate but no latency.
  EXPECT_DOUBLE_EQ(windows[1].legacy_error_rate, 1);
  EXPECT_TRUE(std::isnan(windows[1].legacy_latency_mean));
  for (size_t w = 2; w < 4; ++w) {
    EXPECT_TRUE(std::isnan(windows[w].legacy_error_rate));
    EXPECT_TRUE(std::isnan(windows[w].legacy_latency_mean));
    EXPECT_EQ(windows[w].legacy_requests, 0u);
    EXPECT_DOUBLE_EQ(windows[w].modern_error_rate, 0);  // the modern path is measured all the same
  }
}

TEST_F(Decay, BinWithoutLatencyDoesNotSpoilTheMean) {
  // Bin 3's successes carry no latency (NaN): the mean rests on bin 2's alone.
  record([](int64_t b) { return b == 3 ? row(100, 0, NAN) : row(100, 0, 0.05); });
  const DecayWindow& first = decay_report(system, series).paths.at(0).windows.at(0);
  EXPECT_DOUBLE_EQ(first.legacy_latency_mean, 0.05);
  EXPECT_EQ(first.legacy_requests, 200u);
}

TEST_F(Decay, WindowsWithoutBinsAreNaN) {
  record();
  // 8 measured bins in 16 windows of half a second: only every other window holds a bin start.
  const auto& windows = decay_report(system, series, 16).paths.at(0).windows;
  ASSERT_EQ(windows.size(), 16u);
  EXPECT_DOUBLE_EQ(windows[0].legacy_busy, 1);
  EXPECT_TRUE(std::isnan(windows[1].legacy_busy));
  EXPECT_TRUE(std::isnan(windows[1].modern_error_rate));
  EXPECT_EQ(windows[1].modern_requests, 0u);
  EXPECT_DOUBLE_EQ(windows[15].end, 10);
}

TEST_F(Decay, NoDecayingServiceGivesAnEmptyReport) {
  system.services[kLegacy].decaying = false;
  record();
  const DecayReport report = decay_report(system, series);
  EXPECT_TRUE(report.paths.empty());
  EXPECT_EQ(format_decay_report(report), "");
}

TEST_F(Decay, RejectsFewerThanOneWindow) {
  record();
  EXPECT_THROW(decay_report(system, series, 0), std::invalid_argument);
}

TEST_F(Decay, FormatNamesTheLegacyPath) {
  record();
  const std::string text = format_decay_report(decay_report(system, series));
  EXPECT_NE(text.find("checkout@legacy"), std::string::npos) << text;
  EXPECT_NE(text.find("checkout-legacy"), std::string::npos) << text;
  EXPECT_NE(text.find("65.0%"), std::string::npos) << text;   // the last window's legacy error rate
  EXPECT_EQ(text.find("browse"), std::string::npos) << text;  // a type without a legacy share has no path
}

}  // namespace
}  // namespace rapture
