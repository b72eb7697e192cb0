#include "model/policy/outlier_detector.hpp"

#include <gtest/gtest.h>

#include "support/validation.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace rapture {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Envoy's defaults, but any share of the replicas may be ejected.
OutlierConfig unbounded() {
  OutlierConfig c = OutlierConfig::envoy();
  c.max_ejection_percent = 100;
  return c;
}

/// Sends `n` server errors to `replica` at `now`; returns whether the last one ejected it.
bool errors(OutlierDetector& od, uint32_t replica, double now, int n) {
  bool ejected = false;
  for (int i = 0; i < n; ++i) ejected = od.on_result(replica, true, now);
  return ejected;
}

TEST(OutlierDetector, EjectsOnTheConsecutive5xxThError) {
  OutlierDetector od(unbounded(), 3);
  EXPECT_FALSE(errors(od, 0, 1, 4));
  EXPECT_FALSE(od.ejected(0, 1));
  EXPECT_TRUE(od.on_result(0, true, 1));
  EXPECT_TRUE(od.ejected(0, 1));
  EXPECT_FALSE(od.ejected(1, 1));
  EXPECT_EQ(od.times_ejected(0), 1u);
}

TEST(OutlierDetector, SuccessResetsTheConsecutiveCounter) {
  OutlierDetector od(unbounded(), 3);
  errors(od, 0, 1, 4);
  EXPECT_FALSE(od.on_result(0, false, 1));
  EXPECT_FALSE(errors(od, 0, 1, 4));
  EXPECT_FALSE(od.ejected(0, 1));
}

TEST(OutlierDetector, CountersArePerReplica) {
  OutlierDetector od(unbounded(), 3);
  for (int i = 0; i < 4; ++i) {
    od.on_result(0, true, 1);
    od.on_result(1, true, 1);
    od.on_result(2, false, 1);
  }
  EXPECT_TRUE(od.on_result(1, true, 1));
  EXPECT_FALSE(od.ejected(0, 1));
}

TEST(OutlierDetector, DefaultMaxEjectionPercentEjectsNothingBelowTenReplicas) {
  // (0 + 1) / 9 = 11 % > 10 %: Envoy ejects no host of a cluster of fewer than 10.
  OutlierDetector od(OutlierConfig::envoy(), 9);
  EXPECT_FALSE(errors(od, 0, 1, 5));
  EXPECT_EQ(od.ejected_count(1), 0u);
}

TEST(OutlierDetector, MaxEjectionPercentBoundsConcurrentEjections) {
  OutlierDetector od(OutlierConfig::envoy(), 10);
  EXPECT_TRUE(errors(od, 0, 1, 5));   // 1 of 10 = 10 % <= 10 %
  EXPECT_FALSE(errors(od, 1, 1, 5));  // 2 of 10 = 20 %
  EXPECT_EQ(od.ejected_count(1), 1u);
}

TEST(OutlierDetector, AlwaysEjectOneHostAllowsTheFirstEjection) {
  OutlierConfig c = OutlierConfig::envoy();
  c.always_eject_one_host = true;
  OutlierDetector od(c, 3);
  EXPECT_TRUE(errors(od, 0, 1, 5));
  EXPECT_FALSE(errors(od, 1, 1, 5));
  EXPECT_EQ(od.ejected_count(1), 1u);
}

TEST(OutlierDetector, RefusedEjectionNeedsAnotherFullRunOfErrors) {
  OutlierDetector od(OutlierConfig::envoy(), 10);
  ASSERT_TRUE(errors(od, 0, 1, 5));
  ASSERT_FALSE(errors(od, 1, 1, 5));  // refused, and the counter reset
  od.on_timer(40);                    // replica 0 returns
  EXPECT_FALSE(errors(od, 1, 41, 4));
  EXPECT_TRUE(od.on_result(1, true, 41));
}

TEST(OutlierDetector, EjectionEndsAtTheFirstIntervalTickAfterItsDuration) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));  // 3 + 30 s = 33: the sweep at 40 returns it
  EXPECT_EQ(od.next_timer(), 40);
  EXPECT_TRUE(od.ejected(0, 39.999));
  EXPECT_FALSE(od.ejected(0, 40));
}

TEST(OutlierDetector, EjectionEndingOnATickReturnsAtThatTick) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 10, 5));  // 10 + 30 = 40, a tick: Envoy's check is <=
  EXPECT_EQ(od.next_timer(), 40);
}

TEST(OutlierDetector, IntervalTicksCountFromTheStart) {
  OutlierDetector od(unbounded(), 3, 5);  // ticks at 15, 25, 35, 45, ...
  ASSERT_TRUE(errors(od, 0, 8, 5));
  EXPECT_EQ(od.next_timer(), 45);
}

TEST(OutlierDetector, EjectionTimeGrowsWithEachEjection) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  od.on_timer(40);
  ASSERT_TRUE(errors(od, 0, 41, 5));  // second ejection: 2 x 30 s = 60 -> 101 -> tick 110
  EXPECT_EQ(od.next_timer(), 110);
  EXPECT_EQ(od.times_ejected(0), 2u);
}

TEST(OutlierDetector, EjectionTimeIsCappedByMaxEjectionTime) {
  OutlierConfig c = unbounded();
  c.max_ejection_time = 50;
  OutlierDetector od(c, 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  od.on_timer(40);
  ASSERT_TRUE(errors(od, 0, 41, 5));  // 60 s capped at 50 -> 91 -> tick 100
  EXPECT_EQ(od.next_timer(), 100);
}

TEST(OutlierDetector, EjectionMultiplierDecaysWhileHealthy) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  od.on_timer(40);
  // The sweep at 50 finds the replica healthy for a full interval: the multiplier drops
  // back to 0, so this ejection is 1 x 30 s again: 51 + 30 = 81 -> tick 90.
  ASSERT_TRUE(errors(od, 0, 51, 5));
  EXPECT_EQ(od.next_timer(), 90);
}

TEST(OutlierDetector, MultiplierKeepsOneStepAboveTheCap) {
  // Envoy grows the multiplier while base x multiplier < max + base: with 30 s and 60 s it
  // reaches 3 (90 s, served as 60 s), so after two healthy sweeps it is 1, and the next
  // ejection (2 x 30 s) still lasts the full 60 s.
  OutlierConfig c = unbounded();
  c.max_ejection_time = 60;
  OutlierDetector od(c, 3);
  double now = 1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(errors(od, 0, now, 5));
    now = od.next_timer();
    od.on_timer(now);
  }
  ASSERT_EQ(now, 160);
  ASSERT_TRUE(errors(od, 0, 181, 5));  // after the sweeps at 170 and 180
  EXPECT_EQ(od.next_timer(), 250);     // 181 + 60 = 241, to the next tick
}

TEST(OutlierDetector, ErrorsWhileEjectedDoNotCountAfterReturn) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  EXPECT_FALSE(errors(od, 0, 20, 4));  // replies of calls sent before the ejection
  od.on_timer(40);
  EXPECT_FALSE(od.on_result(0, true, 41));
  EXPECT_FALSE(od.ejected(0, 41));
}

TEST(OutlierDetector, UnejectionNeedsNoTimerCall) {
  OutlierDetector od(unbounded(), 3);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  // The engine may see a result before running its timer at the same time.
  EXPECT_FALSE(od.on_result(0, true, 40));
  EXPECT_FALSE(od.ejected(0, 40));
  EXPECT_EQ(od.next_timer(), kInf);
}

TEST(OutlierDetector, EjectedCountCountsCurrentEjections) {
  OutlierDetector od(unbounded(), 4);
  ASSERT_TRUE(errors(od, 0, 3, 5));   // until 40
  ASSERT_TRUE(errors(od, 1, 15, 5));  // 45 -> until 50
  EXPECT_EQ(od.ejected_count(20), 2u);
  EXPECT_EQ(od.ejected_count(40), 1u);
  EXPECT_EQ(od.ejected_count(50), 0u);
}

TEST(OutlierDetector, NextTimerIsTheEarliestReturn) {
  OutlierDetector od(unbounded(), 4);
  EXPECT_EQ(od.next_timer(), kInf);
  ASSERT_TRUE(errors(od, 2, 3, 5));   // until 40
  ASSERT_TRUE(errors(od, 1, 15, 5));  // until 50
  ASSERT_TRUE(errors(od, 0, 16, 5));  // until 50 too
  EXPECT_EQ(od.next_timer(), 40);
  od.on_timer(40);
  EXPECT_EQ(od.next_timer(), 50);
  od.on_timer(50);
  EXPECT_EQ(od.next_timer(), kInf);
}

TEST(OutlierDetector, ReturnedReplicasFreeTheirEjectionQuota) {
  OutlierDetector od(OutlierConfig::envoy(), 10);
  ASSERT_TRUE(errors(od, 0, 3, 5));
  od.on_timer(40);
  EXPECT_TRUE(errors(od, 1, 41, 5));
}

TEST(OutlierDetector, MaxEjectionTimeDefaultsToTheLargerOf300sAndBase) {
  OutlierConfig c = OutlierConfig::envoy();
  EXPECT_EQ(c.effective_max_ejection_time(), 300);
  c.base_ejection_time = 400;
  EXPECT_EQ(c.effective_max_ejection_time(), 400);
  EXPECT_NO_THROW(c.validate());
  c.max_ejection_time = 120;
  c.base_ejection_time = 30;
  EXPECT_EQ(c.effective_max_ejection_time(), 120);
}

TEST(OutlierDetector, EnvoyPresetHasTheProxyDefaults) {
  const OutlierConfig c = OutlierConfig::envoy();
  EXPECT_EQ(c.consecutive_5xx, 5);
  EXPECT_EQ(c.interval, 10);
  EXPECT_EQ(c.base_ejection_time, 30);
  EXPECT_EQ(c.max_ejection_percent, 10);
  EXPECT_FALSE(c.always_eject_one_host);
  EXPECT_NO_THROW(c.validate());
}

TEST(OutlierDetector, ValidateNamesTheOffendingField) {
  struct Case {
    const char* field;
    void (*set)(OutlierConfig&);
  };
  const Case cases[] = {
      {"consecutive_5xx", [](OutlierConfig& c) { c.consecutive_5xx = 0; }},
      {"interval", [](OutlierConfig& c) { c.interval = 0; }},
      {"interval", [](OutlierConfig& c) { c.interval = kInf; }},
      {"base_ejection_time", [](OutlierConfig& c) { c.base_ejection_time = -1; }},
      {"max_ejection_percent", [](OutlierConfig& c) { c.max_ejection_percent = 101; }},
      {"max_ejection_percent", [](OutlierConfig& c) { c.max_ejection_percent = -1; }},
      {"max_ejection_time", [](OutlierConfig& c) { c.max_ejection_time = -1; }},
      {"max_ejection_time", [](OutlierConfig& c) { c.max_ejection_time = 10; }},  // below base 30 s
  };
  for (const Case& k : cases) {
    OutlierConfig c;
    k.set(c);
    const std::string error = testing::validation_error(c);
    EXPECT_NE(error.find(k.field), std::string::npos) << k.field << ": " << (error.empty() ? "accepted" : error);
  }
}

TEST(OutlierDetector, ConstructorRejectsAnInvalidConfig) {
  OutlierConfig c;
  c.interval = 0;
  EXPECT_THROW(OutlierDetector(c, 3), std::invalid_argument);
}

}  // namespace
}  // namespace rapture
