#include "analysis/hypothesis.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

using Metric = ProbeSpec::Metric;
using Window = ProbeSpec::Window;

constexpr size_t kServices = 4;
constexpr int64_t kBins = 10;

RequestBinRow row(uint64_t successes, uint64_t failures, double mean, double p99) {
  return {successes + failures, successes, failures, mean, mean, p99};
}

RequestBinRow idle() { return {0, 0, 0, NAN, NAN, NAN}; }

/// A run of 10 one-second bins, warm-up [0, 2), one fault over [4, 7), three request types:
/// checkout (hurt by the fault), browse (unaffected) and admin (never sent).
class Hypothesis : public ::testing::Test {
 protected:
  void SetUp() override {
    system.duration = 10;
    system.warmup = 2;
    system.bin_width = 1;
    system.services.resize(kServices);
    system.request_types = {{"checkout", 0, {}}, {"browse", 0, {}}, {"admin", 0, {}}};

    const RequestBinRow browse = row(50, 0, 0.020, 0.040);
    for (int64_t b = 0; b < kBins; ++b) {
      RequestBinRow checkout;
      if (b < 2) {
        checkout = row(1000, 1000, 5.0, 9.0);  // warm-up: must never count
      } else if (b < 4) {
        checkout = row(100, 0, 0.010, 0.050);
      } else if (b == 4) {
        checkout = row(80, 20, 0.1, 0.5);
      } else if (b == 5) {
        checkout = row(60, 40, 0.2, 0.9);
      } else if (b == 6) {
        checkout = row(70, 30, 0.3, 0.7);
      } else {
        checkout = row(100, 0, 0.012, 0.060);
      }
      const std::vector<ServiceBinRow> services(kServices);
      const std::vector<RequestBinRow> requests{checkout, browse, idle()};
      series.write_bin(b, services, requests);
    }

    report.bins = kBins;
    report.bin_width = 1;
    report.trigger_start = 4;
    report.trigger_end = 7;
    report.recovered = true;
    report.recovery_time = 2;
    // Unhealthy services per bin; the warm-up bin 0 is all unhealthy and must never count.
    const std::vector<std::vector<Health>> health{{Health::Failed, Health::Failed, Health::Degraded, Health::Degraded},
                                                  {},
                                                  {},
                                                  {},
                                                  {Health::Degraded},
                                                  {Health::Degraded, Health::Failed, Health::Failed},
                                                  {Health::Failed, Health::Degraded},
                                                  {Health::Degraded},
                                                  {},
                                                  {}};
    report.service_health.assign(kBins * kServices, 0);
    for (size_t b = 0; b < health.size(); ++b) {
      for (size_t s = 0; s < health[b].size(); ++s)
        report.service_health[b * kServices + s] = static_cast<int8_t>(health[b][s]);
    }
  }

  ProbeResult run(const ProbeSpec& probe) const {
    const HypothesisResult r = evaluate_hypothesis(HypothesisSpec{"t", {probe}}, system, series, report);
    EXPECT_EQ(r.probes.size(), 1u);
    return r.probes.at(0);
  }
  double value(Metric metric, Window window, const std::string& request = "") const {
    return run(probe(metric, window, request, 1e9, std::nullopt)).value;
  }
  static ProbeSpec probe(Metric metric, Window window, const std::string& request, std::optional<double> below,
                         std::optional<double> above) {
    ProbeSpec p;
    p.metric = metric;
    p.window = window;
    p.request = request;
    p.below = below;
    p.above = above;
    return p;
  }

  System system;
  RunSeries series{kServices, 3, 0};
  CascadeReport report;
};

TEST_F(Hypothesis, ErrorRateOverEachWindow) {
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::DuringFault, "checkout"), 90.0 / 300);
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::Steady, "checkout"), 0);
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::AfterFault, "checkout"), 0);
  // Bins 2-9: 710 successes and 90 failures; the warm-up's 1000 failures per bin are left out.
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::Whole, "checkout"), 90.0 / 800);
  // Every request type: browse adds 8 x 50 successes.
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::Whole), 90.0 / 1200);
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::DuringFault), 90.0 / 450);
}

TEST_F(Hypothesis, GoodputIsSuccessesPerSecondOfTheWindow) {
  EXPECT_DOUBLE_EQ(value(Metric::Goodput, Window::DuringFault, "checkout"), 210.0 / 3);
  EXPECT_DOUBLE_EQ(value(Metric::Goodput, Window::Steady, "checkout"), 100);
  EXPECT_DOUBLE_EQ(value(Metric::Goodput, Window::Whole), (710.0 + 400) / 8);
}

TEST_F(Hypothesis, GoodputCountsACutLastBinForWhatItCovers) {
  system.duration = 9.5;  // the last bin covers [9, 9.5)
  EXPECT_DOUBLE_EQ(value(Metric::Goodput, Window::AfterFault, "checkout"), 300.0 / 2.5);
}

TEST_F(Hypothesis, P99IsTheWorstBinOfTheWindow) {
  EXPECT_DOUBLE_EQ(value(Metric::LatencyP99, Window::DuringFault, "checkout"), 0.9);
  EXPECT_DOUBLE_EQ(value(Metric::LatencyP99, Window::Steady, "checkout"), 0.050);
  EXPECT_DOUBLE_EQ(value(Metric::LatencyP99, Window::AfterFault), 0.060);
  EXPECT_DOUBLE_EQ(value(Metric::LatencyP99, Window::Whole), 0.9);
}

TEST_F(Hypothesis, LatencyMeanIsWeightedBySuccesses) {
  EXPECT_DOUBLE_EQ(value(Metric::LatencyMean, Window::DuringFault, "checkout"), (80 * 0.1 + 60 * 0.2 + 70 * 0.3) / 210);
  EXPECT_DOUBLE_EQ(value(Metric::LatencyMean, Window::Steady), (200 * 0.010 + 100 * 0.020) / 300);
}

TEST_F(Hypothesis, UnhealthyShareIsTheWorstBinOfTheWindow) {
  EXPECT_DOUBLE_EQ(value(Metric::UnhealthyShare, Window::DuringFault), 3.0 / 4);
  EXPECT_DOUBLE_EQ(value(Metric::UnhealthyShare, Window::Steady), 0);
  EXPECT_DOUBLE_EQ(value(Metric::UnhealthyShare, Window::AfterFault), 1.0 / 4);
  EXPECT_DOUBLE_EQ(value(Metric::UnhealthyShare, Window::Whole), 3.0 / 4);  // not the warm-up's 4 of 4
}

TEST_F(Hypothesis, RecoveryTimeComesFromTheReport) {
  const ProbeResult r = run(probe(Metric::RecoveryTime, Window::Steady, "", 30, std::nullopt));
  EXPECT_DOUBLE_EQ(r.value, 2);  // the window does not matter
  EXPECT_TRUE(r.met);
  EXPECT_EQ(r.name, "recovery_time");
  EXPECT_EQ(r.tolerance, "< 30s");
}

TEST_F(Hypothesis, NotRecoveredIsNotMet) {
  report.recovered = false;
  report.recovery_time = NAN;
  const ProbeResult r = run(probe(Metric::RecoveryTime, Window::Whole, "", 30, std::nullopt));
  EXPECT_TRUE(std::isnan(r.value));
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.note, "not recovered by the end of the run");
}

TEST_F(Hypothesis, AnUnrecoveredRunSaysWhetherItIsDrainingOrSustained) {
  report.recovered = false;
  report.recovery_time = NAN;
  report.verdict.kind = RecoveryKind::Recovering;
  report.verdict.drain_eta = 17.2;
  const auto probe_recovery = [&] { return run(probe(Metric::RecoveryTime, Window::Whole, "", 30, std::nullopt)); };
  EXPECT_EQ(probe_recovery().note, "not recovered by the end of the run (recovering, drain ETA 17 s)");
  report.verdict.kind = RecoveryKind::Sustained;
  report.verdict.sustained_by = SustainingEffect::Retries;
  EXPECT_EQ(probe_recovery().note, "not recovered by the end of the run (metastable: sustained by retries)");
  EXPECT_FALSE(probe_recovery().met);
}

TEST_F(Hypothesis, MetAndNotMetOnBothSides) {
  // During the fault checkout fails 30 %, succeeds at 70/s and has a worst p99 of 900 ms.
  EXPECT_TRUE(run(probe(Metric::ErrorRate, Window::DuringFault, "checkout", 0.31, std::nullopt)).met);
  EXPECT_FALSE(run(probe(Metric::ErrorRate, Window::DuringFault, "checkout", 0.05, std::nullopt)).met);
  EXPECT_TRUE(run(probe(Metric::Goodput, Window::DuringFault, "checkout", std::nullopt, 60)).met);
  EXPECT_FALSE(run(probe(Metric::Goodput, Window::DuringFault, "checkout", std::nullopt, 100)).met);
  EXPECT_TRUE(run(probe(Metric::LatencyP99, Window::DuringFault, "checkout", 1.0, 0.5)).met);
  EXPECT_FALSE(run(probe(Metric::LatencyP99, Window::DuringFault, "checkout", 0.8, 0.5)).met);
  EXPECT_FALSE(run(probe(Metric::LatencyP99, Window::DuringFault, "checkout", 2.0, 1.0)).met);
  // The bounds are strict: a value equal to one is outside.
  EXPECT_FALSE(run(probe(Metric::UnhealthyShare, Window::DuringFault, "", 0.75, std::nullopt)).met);
  EXPECT_FALSE(run(probe(Metric::UnhealthyShare, Window::DuringFault, "", std::nullopt, 0.75)).met);
}

TEST_F(Hypothesis, FaultWindowsWithoutAFaultOrALoadChangeAreUnmeasurable) {
  report.trigger_start = report.trigger_end = NAN;
  report.recovery_time = NAN;
  for (const Window w : {Window::Steady, Window::DuringFault, Window::AfterFault}) {
    const ProbeResult r = run(probe(Metric::ErrorRate, w, "checkout", 1, std::nullopt));
    EXPECT_TRUE(std::isnan(r.value));
    EXPECT_FALSE(r.met);
    EXPECT_NE(r.note.find("no fault and no change of load in the run"), std::string::npos) << r.note;
  }
  EXPECT_EQ(run(probe(Metric::RecoveryTime, Window::Whole, "", 1, std::nullopt)).note,
            "no fault and no change of load in the run: nothing to recover from");
  // The whole run is measured all the same.
  EXPECT_TRUE(run(probe(Metric::ErrorRate, Window::Whole, "checkout", 0.2, std::nullopt)).met);
}

TEST_F(Hypothesis, EmptyWindowIsUnmeasurable) {
  report.trigger_start = 1;  // during the warm-up: nothing measured before it
  const ProbeResult r = run(probe(Metric::Goodput, Window::Steady, "", std::nullopt, 1));
  EXPECT_TRUE(std::isnan(r.value));
  EXPECT_FALSE(r.met);
  EXPECT_NE(r.note.find("no measured bin"), std::string::npos) << r.note;

  report.trigger_start = 4;
  report.trigger_end = INFINITY;  // a crash with no restart
  FaultConfig crash;
  crash.spec.start = 4;
  crash.spec.end = INFINITY;
  system.faults = {crash};
  const ProbeResult after = run(probe(Metric::ErrorRate, Window::AfterFault, "", 1, std::nullopt));
  EXPECT_FALSE(after.met);
  EXPECT_EQ(after.note, "the faults never end: no window after them");
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::DuringFault, "checkout"), 90.0 / 600);  // bins 4-9
}

TEST_F(Hypothesis, ALoadChangeIsATriggerWithWindowsAroundIt) {
  // No fault at all: the trigger (4 s to 7 s) is a change of offered load, e.g. a profile spike.
  ASSERT_TRUE(system.faults.empty());
  for (const Window w : {Window::Steady, Window::DuringFault, Window::AfterFault}) {
    const ProbeResult r = run(probe(Metric::ErrorRate, w, "checkout", 1, std::nullopt));
    EXPECT_FALSE(std::isnan(r.value)) << r.note;
    EXPECT_EQ(r.note.find("no fault"), std::string::npos) << r.note;
  }
  EXPECT_DOUBLE_EQ(run(probe(Metric::RecoveryTime, Window::Whole, "", 10, std::nullopt)).value, 2);
  // A step that stays up to the end leaves nothing after it, and no fault is blamed for that.
  report.trigger_end = INFINITY;
  EXPECT_EQ(run(probe(Metric::ErrorRate, Window::AfterFault, "", 1, std::nullopt)).note,
            "the change of load lasts to the end of the run: no window after it");
}

TEST_F(Hypothesis, ARequestTypeWithNoTrafficIsUnmeasurable) {
  const ProbeResult errors = run(probe(Metric::ErrorRate, Window::Whole, "admin", 0.05, std::nullopt));
  EXPECT_FALSE(errors.met);
  EXPECT_EQ(errors.note, "no request ended in the window");
  const ProbeResult p99 = run(probe(Metric::LatencyP99, Window::Whole, "admin", 1, std::nullopt));
  EXPECT_FALSE(p99.met);
  EXPECT_EQ(p99.note, "no request succeeded in the window");
  // No success is a goodput of zero, measured.
  EXPECT_DOUBLE_EQ(run(probe(Metric::Goodput, Window::Whole, "admin", std::nullopt, 1)).value, 0);
}

TEST_F(Hypothesis, BinsAreAssignedByTheirStartEvenWithInexactWidths) {
  system.bin_width = 0.1;  // bin 3 starts at 3 * 0.1 = 0.30000000000000004, which is at 0.3
  system.warmup = 0;
  system.duration = 1;
  report.trigger_start = 0.3;
  report.trigger_end = 0.6;
  // Bins 0-2 are the steady window (checkout: 1000 + 1000 + 100 successes), bins 3-5 the fault's.
  EXPECT_DOUBLE_EQ(value(Metric::Goodput, Window::Steady, "checkout"), 2100 / 0.3);
  EXPECT_DOUBLE_EQ(value(Metric::ErrorRate, Window::DuringFault, "checkout"), 60.0 / 300);
}

TEST_F(Hypothesis, NamesAndTolerances) {
  const ProbeResult errors = run(probe(Metric::ErrorRate, Window::DuringFault, "checkout", 0.05, std::nullopt));
  EXPECT_EQ(errors.name, "error_rate of checkout during the fault");
  EXPECT_EQ(errors.tolerance, "< 5%");
  const ProbeResult goodput = run(probe(Metric::Goodput, Window::Whole, "", std::nullopt, 100));
  EXPECT_EQ(goodput.name, "goodput over the run");
  EXPECT_EQ(goodput.tolerance, "> 100/s");
  const ProbeResult p99 = run(probe(Metric::LatencyP99, Window::AfterFault, "browse", 0.8, 0.001));
  EXPECT_EQ(p99.name, "p99 of browse after the fault");
  EXPECT_EQ(p99.tolerance, "> 1ms and < 800ms");
  ProbeSpec named = probe(Metric::UnhealthyShare, Window::Steady, "", 0.25, std::nullopt);
  named.name = "quiet before";
  EXPECT_EQ(run(named).name, "quiet before");
}

TEST_F(Hypothesis, FormatShowsEachProbeAndTheVerdict) {
  const HypothesisSpec spec{"checkout survives",
                            {probe(Metric::ErrorRate, Window::DuringFault, "checkout", 0.05, std::nullopt),
                             probe(Metric::LatencyP99, Window::Steady, "checkout", 0.8, std::nullopt),
                             probe(Metric::Goodput, Window::DuringFault, "checkout", std::nullopt, 50)}};
  const HypothesisResult r = evaluate_hypothesis(spec, system, series, report);
  EXPECT_FALSE(r.met());
  EXPECT_EQ(format_hypothesis(r),
            "steady-state hypothesis: checkout survives\n"
            "  NOT MET  error_rate of checkout during the fault: 30% (< 5%)\n"
            "  met      p99 of checkout before the fault: 50ms (< 800ms)\n"
            "  met      goodput of checkout during the fault: 70/s (> 50/s)\n"
            "hypothesis NOT met: 1 of 3 probes failed\n");

  report.recovery_time = NAN;
  const HypothesisResult recovery = evaluate_hypothesis(
      HypothesisSpec{"", {probe(Metric::RecoveryTime, Window::Whole, "", 90, std::nullopt)}}, system, series, report);
  EXPECT_EQ(format_hypothesis(recovery),
            "steady-state hypothesis\n"
            "  NOT MET  recovery_time: not recovered by the end of the run (< 90s)\n"
            "hypothesis NOT met: 1 of 1 probe failed\n");

  const HypothesisResult met =
      evaluate_hypothesis(HypothesisSpec{"t", {probe(Metric::LatencyMean, Window::DuringFault, "", 0.5, std::nullopt)}},
                          system, series, report);
  EXPECT_TRUE(met.met());
  const std::string text = format_hypothesis(met);
  EXPECT_NE(text.find("  met      latency_mean during the fault: "), std::string::npos) << text;
  EXPECT_NE(text.find("\nhypothesis met\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace rapture
