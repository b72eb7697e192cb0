// The cascade analysis on recorded runs made by hand: each test writes the bins a mechanism
// would produce (a crash spreading up a chain, a neighbour on a shared host, a retry storm)
// and checks how the analysis classifies, explains and journals them.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "analysis/cascade_report.hpp"
#include "analysis/run_series.hpp"
#include "model/system.hpp"
#include "unit/analysis/recorded_run.hpp"

namespace rapture {
namespace {

using testing::chain_scenario;
using testing::fail;
using testing::journal_has;
using testing::kChain;
using testing::make_system;
using testing::node_of;
using testing::record;

const std::string kChainScenario =
    chain_scenario("100s", "faults: [{name: c-down, kind: crash, target: c, start: 40s, duration: 20s}]\n");

TEST(CascadeAnalysis, ACrashSpreadsUpTheChainAsDependencies) {
  const System sys = make_system(kChain, kChainScenario);
  const auto series = record(sys, 100, [&](int64_t b, auto& s, auto& r, auto&) {
    if (b >= 40 && b < 60) {
      fail(s[2], 1.0, ErrorCause::Unavailable);  // c
      if (b >= 41) fail(s[1], 1.0), fail(s[0], 1.0), r[0].failures = 100, r[0].successes = 0;
    }
  });
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, series);
  ASSERT_EQ(rep.propagation.size(), 3u);
  const auto* c = node_of(sys, rep, "c");
  const auto* b = node_of(sys, rep, "b");
  const auto* a = node_of(sys, rep, "a");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(c->cause, Cause::Fault);
  EXPECT_DOUBLE_EQ(c->onset, 40);
  EXPECT_EQ(c->worst, Health::Failed);
  EXPECT_EQ(b->cause, Cause::Dependency);
  EXPECT_EQ(sys.services[b->parent].name, "c");
  EXPECT_EQ(a->cause, Cause::Dependency);
  EXPECT_EQ(a->path, "fault 'c-down' -> c -> b -> a");
  EXPECT_EQ(rep.emergent, 0);
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_DOUBLE_EQ(rep.trigger_end, 60);
  EXPECT_DOUBLE_EQ(rep.time_to_detect, 0);
  EXPECT_TRUE(rep.recovered);
  EXPECT_DOUBLE_EQ(rep.recovery_time, 0);
  EXPECT_EQ(rep.metastable, 0);
  EXPECT_DOUBLE_EQ(rep.blast_radius_types, 1.0);
  // 19 failed bins of 100 requests out of 60 bins from the trigger on.
  EXPECT_NEAR(rep.blast_radius_requests, 19.0 / 60.0, 1e-12);
  EXPECT_DOUBLE_EQ(rep.peak_unhealthy_share, 1.0);
  EXPECT_TRUE(journal_has(rep, Category::FaultEffect, "c"));
  EXPECT_TRUE(journal_has(rep, Category::DependencyPropagation, "a"));
  EXPECT_TRUE(journal_has(rep, Category::UserImpact, "r"));
  EXPECT_EQ(rep.service(45, 2, 3), Health::Failed);
  EXPECT_EQ(rep.service(30, 2, 3), Health::Healthy);
  EXPECT_NE(rep.dot.find("\"c\" -> \"b\" [color=red"), std::string::npos);
  // A label's lines are separated by Graphviz's "\n" escape, not by an escaped backslash
  // (which Graphviz would draw as the two characters \n).
  EXPECT_NE(rep.dot.find("[label=\"b\\nfailed at "), std::string::npos) << rep.dot;
  EXPECT_EQ(rep.dot.find("\\\\n"), std::string::npos) << rep.dot;
}

TEST(CascadeAnalysis, OneUnhealthyBinIsNotAnOnset) {
  const System sys = make_system(kChain, kChainScenario);
  const auto series = record(sys, 100, [&](int64_t b, auto& s, auto&, auto&) {
    if (b == 70) fail(s[0], 1.0);
  });
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, series);
  EXPECT_TRUE(rep.propagation.empty());
  EXPECT_EQ(rep.service(70, 0, 3), Health::Failed);  // the bin itself is judged
}

TEST(CascadeAnalysis, HealthFollowsErrorsLatencyAndQueueAgainstTheBaseline) {
  const System sys = make_system(kChain, kChainScenario);
  AnalysisSpec spec;
  const auto series = record(sys, 100, [&](int64_t b, auto& s, auto&, auto&) {
    if (b < 40) {
      fail(s[1], 0.04);  // b's baseline: 4 % errors
      return;
    }
    if (b == 50) fail(s[0], 0.06);           // a: 6 % > 0 + 5 %: degraded
    if (b == 51) fail(s[0], 0.6);            // a: failed
    if (b == 52) fail(s[1], 0.08);           // b: 8 % < 4 % + 5 %: healthy
    if (b == 53) s[0].latency_mean = 0.031;  // > 3 x 10 ms
    if (b == 54) s[0].latency_mean = 0.029;
    if (b == 55) s[0].completions = 5, s[0].latency_mean = 1.0;  // too few samples to judge
  });
  const CascadeReport rep = analyze_cascade(sys, spec, series);
  EXPECT_EQ(rep.service(50, 0, 3), Health::Degraded);
  EXPECT_EQ(rep.service(51, 0, 3), Health::Failed);
  EXPECT_EQ(rep.service(52, 1, 3), Health::Healthy);
  EXPECT_EQ(rep.service(53, 0, 3), Health::Degraded);
  EXPECT_EQ(rep.service(54, 0, 3), Health::Healthy);
  EXPECT_EQ(rep.service(55, 0, 3), Health::Healthy);
}

// Two services on one host with fewer cores than workers, and no call between them.
const char* kShared = R"(digraph shared { a [host="h"]; b [host="h"]; })";
const char* kSharedScenario = R"(
name: shared
topology: shared.dot
duration: 100s
warmup: 10s
requests: {ra: {entry: a}, rb: {entry: b}}
workload:
  - {request: ra, arrivals: {kind: poisson, rate: 100/s}}
  - {request: rb, arrivals: {kind: poisson, rate: 100/s}}
services:
  a: {workers: 8}
  b: {workers: 8}
platform:
  hosts: [{name: h, cores: %CORES%}]
faults: [{name: a-burst, kind: load_spike, target: 0, start: 40s, duration: 20s, factor: 5}]
)";

std::string shared_scenario(int cores) {
  std::string s = kSharedScenario;
  s.replace(s.find("%CORES%"), 7, std::to_string(cores));
  return s;
}

RunSeries shared_host_run(const System& sys) {
  return record(sys, 100, [&](int64_t b, auto& s, auto& r, auto&) {
    if (b >= 40 && b < 60) {
      s[0].arrivals = s[0].completions = 500;
      s[1].latency_mean = 0.080;  // b slows: its CPU goes to a
      r[1].latency_mean = 0.200;
    }
  });
}

TEST(CascadeAnalysis, ANeighbourOnAContendedHostIsEmergentAndExposesAHiddenDependency) {
  const System sys = make_system(kShared, shared_scenario(2));
  ASSERT_TRUE(sys.hosts[sys.services[1].replica_hosts[0]].contended());
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, shared_host_run(sys));
  const auto* b = node_of(sys, rep, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->cause, Cause::Emergent);
  EXPECT_EQ(b->mechanism, Mechanism::SharedHost);
  EXPECT_EQ(sys.services[b->parent].name, "a");
  EXPECT_EQ(b->via, "host h");
  EXPECT_EQ(b->symptom, Symptom::Latency);
  EXPECT_EQ(rep.emergent, 1);
  EXPECT_TRUE(journal_has(rep, Category::HiddenDependencyExposed, "b"));
  EXPECT_NE(rep.dot.find("\"a\" -> \"b\" [color=purple"), std::string::npos);
  EXPECT_NE(format_cascade_report(sys, rep).find("EMERGENT"), std::string::npos);
}

TEST(CascadeAnalysis, WithACoreForEveryWorkerTheHostDoesNotExplainIt) {
  const System sys = make_system(kShared, shared_scenario(64));
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, shared_host_run(sys));
  const auto* b = node_of(sys, rep, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->cause, Cause::Emergent);
  EXPECT_EQ(b->mechanism, Mechanism::Unexplained);
}

const char* kRetry = R"(digraph retry { g -> s; g -> x; })";
const char* kRetryScenario = R"(
name: retry
topology: retry.dot
duration: 200s
warmup: 10s
requests: {r: {entry: g}}
workload: [{request: r, arrivals: {kind: poisson, rate: 100/s}}]
policies:
  edges:
    "g -> s": {retry: {max_attempts: 3, retry_on: [error, timeout]}}
faults: [{name: x-slow, kind: latency, target: x, start: 40s, duration: 20s, latency: 100ms}]
)";

TEST(CascadeAnalysis, ARetryStormAgainstAnUntouchedServiceIsRetryAmplification) {
  const System sys = make_system(kRetry, kRetryScenario);
  ASSERT_EQ(sys.edge_policies.size(), 1u);
  const uint32_t s_idx = sys.edge_policies[0].callee;
  const auto series = record(sys, 200, [&](int64_t b, auto& s, auto&, auto& e) {
    if (b >= 45) {  // the storm outlives the fault: metastable
      e[0].retries = 150;
      e[0].attempts = 250;
      s[s_idx].arrivals = 250;
      fail(s[s_idx], 0.7, ErrorCause::QueueOverflow);
    }
  });
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, series);
  const auto* sn = node_of(sys, rep, "s");
  ASSERT_NE(sn, nullptr);
  EXPECT_EQ(sn->cause, Cause::Emergent);
  EXPECT_EQ(sn->mechanism, Mechanism::Retries);
  EXPECT_EQ(sn->via, "g -> s");
  EXPECT_TRUE(journal_has(rep, Category::RetryAmplification, "g -> s"));
  EXPECT_TRUE(journal_has(rep, Category::RetryAmplification, "s"));
  EXPECT_TRUE(journal_has(rep, Category::QueueExhaustion, "s"));
  EXPECT_FALSE(rep.recovered);
  EXPECT_EQ(rep.metastable, 1);
  EXPECT_EQ(rep.verdict.kind, RecoveryKind::Sustained);
  EXPECT_EQ(rep.verdict.sustained_by, SustainingEffect::Retries);
  EXPECT_TRUE(journal_has(rep, Category::MetastableLoop, "s"));
  EXPECT_TRUE(std::isnan(rep.recovery_time));
}

TEST(CascadeAnalysis, RecoveryTimeAndTheVerdictFollowTheSettings) {
  const System sys = make_system(kChain, kChainScenario);
  auto run = [&](int64_t last_bad) {
    return record(sys, 100, [&](int64_t b, auto& s, auto&, auto&) {
      if (b >= 40 && b <= last_bad) fail(s[2], 1.0);
    });
  };
  AnalysisSpec spec;
  spec.metastable_after = 20;
  const CascadeReport quick = analyze_cascade(sys, spec, run(67));
  EXPECT_TRUE(quick.recovered);
  EXPECT_DOUBLE_EQ(quick.recovery_time, 8);  // healthy from bin 68 on, the trigger ended at 60 s
  EXPECT_EQ(quick.metastable, 0);
  EXPECT_EQ(quick.verdict.kind, RecoveryKind::Recovered);
  const CascadeReport slow = analyze_cascade(sys, spec, run(85));
  EXPECT_TRUE(slow.recovered);
  EXPECT_DOUBLE_EQ(slow.recovery_time, 26);
  // Later than 20 s, but on its own: the run shows it was no self-sustaining loop.
  EXPECT_EQ(slow.verdict.kind, RecoveryKind::Recovered);
  EXPECT_EQ(slow.metastable, 0);
  EXPECT_FALSE(journal_has(slow, Category::MetastableLoop, "c"));
  spec.metastable_after = 50;  // the run ends 40 s after the trigger: cannot tell
  const CascadeReport never = analyze_cascade(sys, spec, run(99));
  EXPECT_FALSE(never.recovered);
  EXPECT_EQ(never.verdict.kind, RecoveryKind::CannotTell);
  EXPECT_EQ(never.metastable, -1);
}

TEST(CascadeAnalysis, WithoutFaultsTheWholeRunIsTheBaseline) {
  std::string no_fault = kChainScenario;
  no_fault.erase(no_fault.find("faults:"));
  const System sys = make_system(kChain, no_fault);
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, record(sys, 100, [](auto...) {}));
  EXPECT_TRUE(std::isnan(rep.trigger_start));
  EXPECT_TRUE(rep.has_baseline);
  EXPECT_TRUE(rep.propagation.empty());
  EXPECT_TRUE(rep.journal.empty());
  EXPECT_EQ(rep.metastable, -1);
}

/// The chain without its fault, its workload's rate changed by `profile` instead.
System chain_with_profile(const std::string& profile) {
  std::string scenario = kChainScenario;
  scenario.erase(scenario.find("workload:"));
  scenario += "workload: [{request: r, arrivals: {kind: poisson, rate: 100/s, profile: [" + profile + "]}}]\n";
  return make_system(kChain, scenario);
}

/// A burst at the entry from 40 s on that never lets c recover: c overflows to the end.
RunSeries burst_that_never_recovers(const System& sys) {
  return record(sys, 100, [&](int64_t b, auto& s, auto& r, auto&) {
    if (b >= 40 && b < 50) s[0].arrivals = s[0].completions = 200;
    if (b >= 40) fail(s[2], 0.8, ErrorCause::QueueOverflow), r[0].failures = 80, r[0].successes = 20;
  });
}

TEST(CascadeAnalysis, AProfileSpikeIsTheTriggerAndItsLoadIsNotEmergent) {
  const System sys = chain_with_profile("{kind: spike, at: 40s, duration: 10s, rate: 200/s}");
  ASSERT_TRUE(sys.faults.empty());
  AnalysisSpec spec;
  spec.metastable_after = 30;  // the run lasts 50 s past the spike
  const CascadeReport rep = analyze_cascade(sys, spec, burst_that_never_recovers(sys));
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_DOUBLE_EQ(rep.trigger_end, 50);
  EXPECT_DOUBLE_EQ(rep.baseline_from, 10);
  EXPECT_DOUBLE_EQ(rep.baseline_to, 40);  // the bins before the spike, not the whole run
  const auto* c = node_of(sys, rep, "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cause, Cause::Fault);  // the extra requests land on every service they visit
  EXPECT_TRUE(c->load_change);
  EXPECT_EQ(c->path, "load 'profile spike 40-50 s' -> c");
  EXPECT_EQ(rep.emergent, 0);
  EXPECT_FALSE(rep.recovered);
  EXPECT_EQ(rep.metastable, 1);  // still failing 30 s after the spike ended
  EXPECT_TRUE(journal_has(rep, Category::MetastableLoop, "c"));
  const std::string text = format_cascade_report(sys, rep);
  EXPECT_NE(text.find("trigger 40.0-50.0 s; baseline 10.0-40.0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("METASTABLE"), std::string::npos) << text;
  EXPECT_EQ(text.find("EMERGENT"), std::string::npos) << text;
}

TEST(CascadeAnalysis, AStepIsATriggerThatLastsToTheEndSoMetastabilityCannotBeTold) {
  const System sys = chain_with_profile("{kind: step, at: 40s, rate: 200/s}");
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, burst_that_never_recovers(sys));
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_TRUE(std::isinf(rep.trigger_end));  // the load never returns to its base rate
  EXPECT_DOUBLE_EQ(rep.baseline_to, 40);
  const auto* c = node_of(sys, rep, "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->path, "load 'profile step 40 s on' -> c");
  EXPECT_EQ(rep.emergent, 0);
  EXPECT_EQ(rep.metastable, -1);  // an overload that is still offered is not metastable
  EXPECT_EQ(rep.verdict.kind, RecoveryKind::CannotTell);
}

TEST(CascadeAnalysis, ABurstIsATriggerOfNoLength) {
  const System sys = chain_with_profile("{kind: burst, at: 40s, count: 500}");
  AnalysisSpec spec;
  spec.metastable_after = 30;  // the run lasts 60 s past the burst
  const CascadeReport rep = analyze_cascade(sys, spec, burst_that_never_recovers(sys));
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_DOUBLE_EQ(rep.trigger_end, 40);
  EXPECT_DOUBLE_EQ(rep.baseline_to, 40);
  EXPECT_EQ(node_of(sys, rep, "c")->path, "load 'profile burst of 500 at 40 s' -> c");
  EXPECT_EQ(rep.verdict.kind, RecoveryKind::Sustained);  // c still overflows 30 s after the burst
}

TEST(CascadeAnalysis, ALoadChangeThatEndsWithinTheWarmUpIsNoTrigger) {
  // The warm-up (10 s) starts at a low rate, as a cache is warmed before the day's load; the
  // burst at 40 s is the only trigger, and the baseline runs from the warm-up's end up to it.
  const System sys = chain_with_profile(
      "{kind: spike, at: 0s, duration: 10s, rate: 20/s}, "
      "{kind: burst, at: 40s, count: 500}");
  AnalysisSpec spec;
  spec.metastable_after = 30;
  const CascadeReport rep = analyze_cascade(sys, spec, burst_that_never_recovers(sys));
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_DOUBLE_EQ(rep.trigger_end, 40);
  EXPECT_DOUBLE_EQ(rep.baseline_from, 10);
  EXPECT_DOUBLE_EQ(rep.baseline_to, 40);
  EXPECT_EQ(node_of(sys, rep, "c")->path, "load 'profile burst of 500 at 40 s' -> c");
  // A change that lasts past the warm-up's end is a trigger from its start.
  const System longer = chain_with_profile("{kind: spike, at: 0s, duration: 12s, rate: 20/s}");
  EXPECT_DOUBLE_EQ(analyze_cascade(longer, spec, burst_that_never_recovers(longer)).trigger_start, 0);
}

TEST(CascadeAnalysis, ARampIsATriggerAndRecoveryIsMeasuredFromItsEnd) {
  const System sys = chain_with_profile("{kind: ramp, from: 40s, to: 60s, start_rate: 100/s, end_rate: 300/s}");
  const auto series = record(sys, 100, [&](int64_t b, auto& s, auto&, auto&) {
    if (b >= 50 && b < 66) fail(s[2], 1.0, ErrorCause::QueueOverflow);
  });
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, series);
  EXPECT_DOUBLE_EQ(rep.trigger_start, 40);
  EXPECT_DOUBLE_EQ(rep.trigger_end, 60);
  EXPECT_EQ(node_of(sys, rep, "c")->path, "load 'profile ramp 40-60 s' -> c");
  EXPECT_TRUE(rep.recovered);
  EXPECT_DOUBLE_EQ(rep.recovery_time, 6);  // healthy from bin 66 on, the ramp ended at 60 s
  EXPECT_EQ(rep.metastable, 0);
}

TEST(CascadeAnalysis, WithoutAnyTriggerNothingIsTracedOrCalledEmergent) {
  std::string no_fault = kChainScenario;
  no_fault.erase(no_fault.find("faults:"));
  const System sys = make_system(kChain, no_fault);
  const auto series = record(sys, 100, [&](int64_t b, auto& s, auto&, auto&) {
    if (b >= 40 && b < 60) fail(s[2], 1.0);  // c fails for a while, nothing outside caused it
  });
  const CascadeReport rep = analyze_cascade(sys, AnalysisSpec{}, series);
  EXPECT_TRUE(std::isnan(rep.trigger_start));
  EXPECT_EQ(rep.service(45, 2, 3), Health::Failed);  // still judged per bin against the whole run
  EXPECT_TRUE(rep.propagation.empty());
  EXPECT_EQ(rep.emergent, 0);
  EXPECT_TRUE(rep.journal.empty());
  const std::string text = format_cascade_report(sys, rep);
  EXPECT_NE(text.find("no trigger"), std::string::npos) << text;
  EXPECT_EQ(text.find("EMERGENT"), std::string::npos) << text;
}

}  // namespace
}  // namespace rapture
