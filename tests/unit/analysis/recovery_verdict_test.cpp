// Metastable or merely slow: the verdict after the trigger on runs recorded by hand. Service c
// (8 workers, 50 ms of work per visit in the baseline: 62.5 % busy at 100 visits/s) is pushed
// by a fault from 40 s to 60 s; each test writes what one mechanism leaves behind after 60 s.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "analysis/cascade_report.hpp"
#include "unit/analysis/recorded_run.hpp"

namespace rapture {
namespace {

using testing::chain_scenario;
using testing::journal_has;
using testing::kChain;
using testing::make_system;
using testing::record;

const std::string kScenario = chain_scenario("200s", R"(
services: {c: {replicas: 1, workers: 8, queue: 5000}}
policies: {edges: {"b -> c": {retry: {max_attempts: 3, retry_on: [error, overflow]}}}}
faults: [{name: c-slow, kind: latency, target: c, start: 40s, duration: 20s, latency: 100ms}]
)");
constexpr double kWorkers = 8;
constexpr double kBaseBusy = 5;  // 100 visits/s x 50 ms
constexpr int64_t kBins = 200;

/// c's baseline load, and from 60 s on (the trigger's end) whatever `after` writes.
RunSeries run_with(const System& sys, const std::function<void(int64_t, ServiceBinRow&, EdgeBinRow&)>& after) {
  return record(sys, kBins, [&](int64_t b, auto& s, auto&, auto& e) {
    s[2].busy_mean = kBaseBusy;
    if (b >= 60) after(b, s[2], e[0]);
  });
}

/// c saturated behind a full bounded queue: `arrivals` per bin, `served` of them served in
/// `kWorkers` worker-seconds, the rest overflowing. Deterministic wobble of the queue, as noise.
void overloaded(int64_t b, ServiceBinRow& c, uint64_t arrivals, uint64_t served) {
  c.busy_mean = kWorkers;
  c.queue_mean = 4990 + 5 * std::sin(static_cast<double>(b));
  c.arrivals = arrivals;
  c.completions = served;
  c.errors[static_cast<int>(ErrorCause::QueueOverflow)] = arrivals - served;
}

class RecoveryVerdictTest : public ::testing::Test {
 protected:
  System sys = make_system(kChain, kScenario);
  AnalysisSpec spec;  // metastable_after 60 s: judged at 120 s
};

TEST_F(RecoveryVerdictTest, AShrinkingBacklogIsRecoveringWithTheTimeItTakesToEmpty) {
  // The queue built by the fault drains at 20 visits/s: 2,000 at 60 s, empty at 160 s. Each
  // bin holds the time average, the line's value at the bin's centre.
  auto queue = [](double t) { return std::max(0.0, 2000 - 20 * (t - 60)); };
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) {
    const double q = queue(static_cast<double>(b) + 0.5);
    if (q <= 0) return;
    c.queue_mean = q;
    c.busy_mean = kWorkers;
    c.completions = 120;       // 20 more than arrive
    c.latency_mean = q / 120;  // the wait behind the queue: unhealthy until it drains
  });
  const CascadeReport rep = analyze_cascade(sys, spec, series);
  const RecoveryVerdict& v = rep.verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Recovering);
  EXPECT_EQ(rep.metastable, 0) << "a drain that empties on its own is not metastable";
  EXPECT_EQ(v.saturated, std::vector<uint32_t>{2});
  EXPECT_DOUBLE_EQ(v.judged_at, 120);
  EXPECT_NEAR(v.backlog_slope, -20, 1e-9);
  EXPECT_NEAR(v.backlog, 800 + kWorkers, 1e-9);  // 800 queued and 8 in service at 120 s
  // Back to the baseline's 5 busy: 803 visits at 20/s.
  EXPECT_NEAR(v.drain_eta, (800 + kWorkers - kBaseBusy) / 20, 1e-9);
  EXPECT_NEAR(v.offered_load, 100 * (kWorkers / 120) / kWorkers, 1e-9);  // 100 arrivals of 1/15 s on 8 workers
  EXPECT_EQ(v.sustained_by, SustainingEffect::None);
  EXPECT_EQ(verdict_headline(v), "recovering, drain ETA 40 s");
  // It did come back when the queue emptied, 100 s after the trigger.
  EXPECT_TRUE(rep.recovered);
  EXPECT_NEAR(rep.recovery_time, 100, 1);
  EXPECT_TRUE(journal_has(rep, Category::SlowDrain, "c"));
  EXPECT_FALSE(journal_has(rep, Category::MetastableLoop, "c"));
  const std::string text = format_cascade_report(sys, rep);
  EXPECT_NE(text.find("recovering, drain ETA 40 s"), std::string::npos) << text;
  EXPECT_EQ(text.find("METASTABLE"), std::string::npos) << text;
}

TEST_F(RecoveryVerdictTest, AFlatBacklogWithARetrySpikeIsSustainedByRetries) {
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow& e) {
    overloaded(b, c, 250, 160);  // 160 visits of 50 ms fill the 8 workers: work per visit unchanged
    e.calls = 100;
    e.attempts = 250;
    e.retries = 150;
  });
  const CascadeReport rep = analyze_cascade(sys, spec, series);
  const RecoveryVerdict& v = rep.verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(rep.metastable, 1);
  EXPECT_EQ(v.sustained_by, SustainingEffect::Retries);
  EXPECT_EQ(v.evidence_place, "b -> c");
  EXPECT_DOUBLE_EQ(v.evidence, 1.5);
  EXPECT_DOUBLE_EQ(v.evidence_baseline, 0);
  EXPECT_TRUE(std::isnan(v.drain_eta));
  EXPECT_NEAR(v.offered_load, 250.0 / 160, 1e-9);  // every arrival would take 50 ms: 1.56 x capacity
  EXPECT_EQ(verdict_headline(v), "metastable: sustained by retries");
  EXPECT_TRUE(journal_has(rep, Category::MetastableLoop, "c"));
  EXPECT_FALSE(journal_has(rep, Category::SlowDrain, "c"));
  EXPECT_NE(format_cascade_report(sys, rep).find("METASTABLE: not recovered within 60 s, sustained by retries"),
            std::string::npos);
}

TEST_F(RecoveryVerdictTest, VisitsThatGotMoreExpensiveAreLoadDependentCost) {
  // As many arrivals as in the baseline, no retries, but each visit takes 100 ms instead of 50 ms.
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) { overloaded(b, c, 100, 80); });
  const RecoveryVerdict v = analyze_cascade(sys, spec, series).verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(v.sustained_by, SustainingEffect::LoadDependentCost);
  EXPECT_EQ(v.evidence_place, "c");
  EXPECT_NEAR(v.evidence, 0.100, 1e-12);
  EXPECT_NEAR(v.evidence_baseline, 0.050, 1e-12);
  EXPECT_NEAR(v.offered_load, 1.25, 1e-9);  // 100 visits of 100 ms on 8 workers
}

TEST_F(RecoveryVerdictTest, MoreVisitsPerEntryRequestWithoutRetriesAreAmplifiedArrivals) {
  // The entry's load is back to 100/s, but c receives 300 visits per bin (cache misses).
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) { overloaded(b, c, 300, 160); });
  const RecoveryVerdict v = analyze_cascade(sys, spec, series).verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(v.sustained_by, SustainingEffect::AmplifiedArrivals);
  EXPECT_DOUBLE_EQ(v.evidence, 3);
  EXPECT_DOUBLE_EQ(v.evidence_baseline, 1);
}

/// b is a look-aside cache in front of c: in the baseline 90 of its 100 lookups a bin hit, and c
/// serves the 10 misses (50 ms each). From 60 s on c is saturated by 50 arrivals a bin, each now
/// taking 200 ms (8 workers for 40 served): costlier visits and amplified arrivals both show;
/// `hits` is b's hits per bin from then on.
CascadeReport behind_a_cache(uint64_t hits) {
  const System sys = make_system(kChain, chain_scenario("200s", R"(
services:
  b: {cache: {keys: {size: 1000}, capacity: 100, backend: c}}
  c: {replicas: 1, workers: 8, queue: 5000}
faults: [{name: c-slow, kind: latency, target: c, start: 40s, duration: 20s, latency: 100ms}]
)"));
  const RunSeries series = record(
      sys, kBins,
      [&](int64_t b, auto& s, auto&, auto&) {
        s[2].arrivals = s[2].completions = 10;
        s[2].busy_mean = 0.5;
        if (b >= 60) overloaded(b, s[2], 50, 40);
      },
      [&](int64_t b, std::vector<CacheBinRow>& c) {
        if (b >= 60) c[0].hits = hits;
      });
  AnalysisSpec spec;
  return analyze_cascade(sys, spec, series);
}

TEST(RecoveryVerdictCache, AmplifiedArrivalsBehindACacheBelowItsHitRatioAreSustainedByCacheMisses) {
  // The hit ratio stays at 50 % against 90 % in the baseline (4 binomial standard errors of 6,000
  // lookups: 1.5 points): the misses are the loop, named before the costlier visits they cause.
  const CascadeReport rep = behind_a_cache(50);
  const RecoveryVerdict& v = rep.verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(rep.metastable, 1);
  EXPECT_EQ(v.sustained_by, SustainingEffect::CacheMisses);
  EXPECT_EQ(v.evidence_place, "b");
  EXPECT_DOUBLE_EQ(v.evidence, 0.5);
  EXPECT_DOUBLE_EQ(v.evidence_baseline, 0.9);
  EXPECT_EQ(verdict_headline(v), "metastable: sustained by cache misses");
  EXPECT_EQ(verdict_evidence(v), "b: hit ratio 50.0% vs 90.0% baseline, its backend's arrivals amplified");
  EXPECT_EQ(to_string(v.sustained_by), "cache_misses");
  EXPECT_EQ(sustaining_effect_named("cache_misses"), SustainingEffect::CacheMisses);
  EXPECT_TRUE(journal_has(rep, Category::MetastableLoop, "c"));
}

TEST(RecoveryVerdictCache, AmplifiedArrivalsBehindACacheThatKeepsItsHitRatioAreNotCacheMisses) {
  // The same load on c with the cache hitting 90 % as before: the misses are not what changed,
  // the costlier visits (200 ms against 50 ms) are.
  const RecoveryVerdict v = behind_a_cache(90).verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(v.sustained_by, SustainingEffect::LoadDependentCost);
  EXPECT_EQ(v.evidence_place, "c");
}

TEST_F(RecoveryVerdictTest, AFullQueueWithNoEffectInTheRunIsSustainedByAnUnknownEffect) {
  // 73 ms per visit (under 1.5 x the baseline's 50 ms), 1.12 visits per entry request, no retries.
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) { overloaded(b, c, 112, 110); });
  const RecoveryVerdict v = analyze_cascade(sys, spec, series).verdict;
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
  EXPECT_EQ(v.sustained_by, SustainingEffect::Unknown);
  EXPECT_EQ(verdict_headline(v), "metastable: sustained by an unknown effect");
}

TEST_F(RecoveryVerdictTest, ARunEndingBeforeMetastableAfterCanTellADrainButNotALoop) {
  spec.metastable_after = 200;  // past the run's end: only what the 140 s after the trigger show
  const RunSeries loop = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) { overloaded(b, c, 100, 80); });
  const CascadeReport unsure = analyze_cascade(sys, spec, loop);
  EXPECT_EQ(unsure.verdict.kind, RecoveryKind::CannotTell);
  EXPECT_EQ(unsure.metastable, -1);
  EXPECT_NE(format_cascade_report(sys, unsure).find("metastability cannot be told"), std::string::npos);

  const RunSeries drain = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) {
    c.busy_mean = kWorkers;
    c.queue_mean = 4000 - 10 * (static_cast<double>(b) + 0.5 - 60);  // 2,600 left at the end (200 s)
    c.latency_mean = 1;
  });
  const CascadeReport draining = analyze_cascade(sys, spec, drain);
  EXPECT_EQ(draining.verdict.kind, RecoveryKind::Recovering);
  EXPECT_DOUBLE_EQ(draining.verdict.judged_at, 200);
  EXPECT_NEAR(draining.verdict.drain_eta, (2600 + kWorkers - kBaseBusy) / 10, 1e-9);
  EXPECT_EQ(draining.metastable, 0);
}

TEST_F(RecoveryVerdictTest, ABacklogLosingLessThanATenthOfItselfIsNotADrain) {
  // 5 visits/s off 4,000 over the 60 s judged: 300, under a tenth of the backlog. Left to itself it
  // would take over 12 minutes, which nothing in the run can tell from a loop.
  const RunSeries series = run_with(sys, [&](int64_t b, ServiceBinRow& c, EdgeBinRow&) {
    overloaded(b, c, 100, 80);
    c.queue_mean = 4000 - 5 * (static_cast<double>(b) + 0.5 - 60);
  });
  const RecoveryVerdict v = analyze_cascade(sys, spec, series).verdict;
  EXPECT_NEAR(v.backlog_slope, -5, 1e-9);
  EXPECT_EQ(v.kind, RecoveryKind::Sustained);
}

TEST(RecoveryVerdict, KindsAndEffectsAreNamedAsInTheResultsFile) {
  for (const auto kind : {RecoveryKind::None, RecoveryKind::CannotTell, RecoveryKind::Recovered,
                          RecoveryKind::Recovering, RecoveryKind::Sustained}) {
    EXPECT_EQ(recovery_kind_named(to_string(kind)), kind);
  }
  for (const auto effect : {SustainingEffect::None, SustainingEffect::Retries, SustainingEffect::LoadDependentCost,
                            SustainingEffect::AmplifiedArrivals, SustainingEffect::Unknown}) {
    EXPECT_EQ(sustaining_effect_named(to_string(effect)), effect);
  }
  EXPECT_EQ(to_string(SustainingEffect::LoadDependentCost), "load_dependent_cost");
  EXPECT_FALSE(recovery_kind_named("metastable").has_value());
}

}  // namespace
}  // namespace rapture
