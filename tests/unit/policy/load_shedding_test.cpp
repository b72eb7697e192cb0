#include "model/policy/load_shedding.hpp"

#include <gtest/gtest.h>

#include "support/validation.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace rapture {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using testing::validation_error;

// ---- CoDel ----

TEST(CoDel, DoesNotDropBelowTarget) {
  CoDel q;
  for (int i = 0; i < 10'000; ++i) ASSERT_FALSE(q.on_dequeue(i * 0.001, 0.0049)) << i;
  EXPECT_FALSE(q.dropping());
}

TEST(CoDel, CoDelDropsOnlyAfterSojournAboveTargetForAnInterval) {
  CoDel q;                                 // target 5 ms, interval 100 ms
  EXPECT_FALSE(q.on_dequeue(1.0, 0.010));  // first above target: the interval starts
  EXPECT_FALSE(q.on_dequeue(1.05, 0.010));
  EXPECT_FALSE(q.on_dequeue(1.0999, 0.010));
  EXPECT_TRUE(q.on_dequeue(1.1, 0.010));  // above for a whole interval
  EXPECT_TRUE(q.dropping());
  EXPECT_EQ(q.count(), 1u);
}

TEST(CoDel, SojournBelowTargetRestartsTheInterval) {
  CoDel q;
  EXPECT_FALSE(q.on_dequeue(0.0, 0.010));
  EXPECT_FALSE(q.on_dequeue(0.05, 0.001));  // the queue drained: not a standing queue
  EXPECT_FALSE(q.on_dequeue(0.1, 0.010));   // above again: a new interval from here
  EXPECT_FALSE(q.on_dequeue(0.19, 0.010));
  EXPECT_TRUE(q.on_dequeue(0.2, 0.010));
}

TEST(CoDel, DropsFasterWithTheSquareRootControlLaw) {
  CoDel q;
  q.on_dequeue(0.0, 0.010);
  ASSERT_TRUE(q.on_dequeue(0.1, 0.010));  // enters dropping, count 1
  EXPECT_DOUBLE_EQ(q.drop_next(), 0.2);   // now + interval / sqrt(1)
  EXPECT_FALSE(q.on_dequeue(0.15, 0.010));
  EXPECT_TRUE(q.on_dequeue(0.2, 0.010));
  EXPECT_EQ(q.count(), 2u);
  const double second = 0.2 + 0.1 / std::sqrt(2.0);
  EXPECT_DOUBLE_EQ(q.drop_next(), second);
  EXPECT_FALSE(q.on_dequeue(second - 1e-6, 0.010));
  EXPECT_TRUE(q.on_dequeue(second, 0.010));
  EXPECT_DOUBLE_EQ(q.drop_next(), second + 0.1 / std::sqrt(3.0));
}

TEST(CoDel, DropsSeveralInARowWhenBehindSchedule) {
  // A long service time: by the next dequeue several drops are due, and the caller's
  // successive calls at the same instant play RFC 8289's drop loop.
  CoDel q;
  q.on_dequeue(0.0, 0.010);
  ASSERT_TRUE(q.on_dequeue(0.1, 0.010));
  int drops = 0;
  while (q.on_dequeue(0.5, 0.400)) ++drops;
  // drop_next: 0.2, +1/sqrt2 .. +1/sqrt7 (x 0.1) = 0.2, 0.271, 0.328, 0.378, 0.423, 0.464, 0.502
  EXPECT_EQ(drops, 6);
  EXPECT_EQ(q.count(), 7u);
  EXPECT_GT(q.drop_next(), 0.5);
}

TEST(CoDel, LeavesDroppingWhenSojournFallsBelowTarget) {
  CoDel q;
  q.on_dequeue(0.0, 0.010);
  ASSERT_TRUE(q.on_dequeue(0.1, 0.010));
  EXPECT_FALSE(q.on_dequeue(0.3, 0.002));
  EXPECT_FALSE(q.dropping());
  EXPECT_FALSE(q.on_dequeue(0.31, 0.010));  // a new interval must pass before dropping again
}

TEST(CoDel, NeverDropsTheLastRequest) {
  CoDel q;
  for (int i = 0; i <= 100; ++i) ASSERT_FALSE(q.on_dequeue(i * 0.01, 0.050, /*remaining=*/0)) << i;
  q.on_dequeue(2.0, 0.050);
  ASSERT_TRUE(q.on_dequeue(2.1, 0.050));
  EXPECT_FALSE(q.on_dequeue(2.5, 0.050, /*remaining=*/0));  // due, but the queue would empty
  EXPECT_FALSE(q.dropping());
}

TEST(CoDel, ReentrySoonAfterResumesTheDropRate) {
  CoDel q;
  q.on_dequeue(0.0, 0.010);
  ASSERT_TRUE(q.on_dequeue(0.1, 0.010));    // count 1
  ASSERT_TRUE(q.on_dequeue(0.2, 0.010));    // 2
  ASSERT_TRUE(q.on_dequeue(0.271, 0.010));  // 3
  ASSERT_TRUE(q.on_dequeue(0.33, 0.010));   // 4
  ASSERT_FALSE(q.on_dequeue(0.34, 0.001));  // leaves dropping
  ASSERT_FALSE(q.on_dequeue(0.35, 0.010));
  ASSERT_TRUE(q.on_dequeue(0.45, 0.010));  // re-enters within 16 intervals
  EXPECT_EQ(q.count(), 3u);                // count - lastcount = 4 - 1, not 1
  EXPECT_DOUBLE_EQ(q.drop_next(), 0.45 + 0.1 / std::sqrt(3.0));
}

TEST(CoDel, ReentryLongAfterStartsOver) {
  CoDel q;
  q.on_dequeue(0.0, 0.010);
  q.on_dequeue(0.1, 0.010);
  q.on_dequeue(0.2, 0.010);
  q.on_dequeue(0.271, 0.010);
  q.on_dequeue(0.33, 0.010);
  q.on_dequeue(0.34, 0.001);
  q.on_dequeue(5.0, 0.010);
  ASSERT_TRUE(q.on_dequeue(5.1, 0.010));
  EXPECT_EQ(q.count(), 1u);
}

TEST(CoDel, ConfigValidationNamesTheField) {
  CoDelConfig c;
  EXPECT_EQ(validation_error(c), "");
  c.target = 0;
  EXPECT_NE(validation_error(c).find("target"), std::string::npos);
  c = CoDelConfig{};
  c.interval = kNaN;
  EXPECT_NE(validation_error(c).find("interval"), std::string::npos);
  c = CoDelConfig{};
  c.target = 0.2;  // above the 100 ms interval
  EXPECT_NE(validation_error(c).find("target"), std::string::npos);
  EXPECT_THROW(CoDel{c}, std::invalid_argument);
}

// ---- Adaptive LIFO ----

TEST(AdaptiveLifo, ServesFifoWhileTheQueueEmptiesOften) {
  AdaptiveLifo q;
  for (int i = 0; i < 100; ++i) {
    const double t = i * 0.05;
    q.on_enqueue(t, 0);
    ASSERT_FALSE(q.use_lifo(t + 0.04, 3)) << t;
  }
}

TEST(AdaptiveLifo, SwitchesToLifoWhenTheQueueHasNotBeenEmptyForAnInterval) {
  AdaptiveLifoConfig c;
  c.interval = 0.125;  // exact in binary, so the boundary below is exact
  AdaptiveLifo q(c);
  q.on_enqueue(1.0, 0);
  EXPECT_FALSE(q.use_lifo(1.0625, 3));
  EXPECT_FALSE(q.use_lifo(1.125, 3));  // lastEmptyTime < now - N is strict
  EXPECT_TRUE(q.use_lifo(1.1251, 3));
  EXPECT_TRUE(q.overloaded(1.1251));
}

TEST(AdaptiveLifo, ReturnsToFifoOnceTheQueueEmpties) {
  AdaptiveLifo q;
  q.on_enqueue(0, 0);
  ASSERT_TRUE(q.use_lifo(0.5, 3));
  EXPECT_FALSE(q.use_lifo(0.6, 0));  // empty at 0.6
  q.on_enqueue(0.65, 0);
  EXPECT_FALSE(q.use_lifo(0.7, 2));
}

TEST(AdaptiveLifo, ShrinksTheQueueTimeoutUnderOverload) {
  AdaptiveLifo q;  // N = 100 ms, M = 5 ms
  q.on_enqueue(0, 0);
  EXPECT_DOUBLE_EQ(q.queue_timeout(0.05), 0.1);
  EXPECT_DOUBLE_EQ(q.queue_timeout(0.2), 0.005);
}

TEST(AdaptiveLifo, KeepsTheTimeoutSetWhenTheRequestJoined) {
  AdaptiveLifo q;
  q.on_enqueue(0, 0);
  q.on_enqueue(0.05, 1);                // joins while the queue is healthy: 100 ms to wait
  EXPECT_FALSE(q.expired(0.14, 0.09));  // though the queue is overloaded by now
  EXPECT_TRUE(q.expired(0.16, 0.11));
  q.on_enqueue(0.12, 5);  // joins an overloaded queue: 5 ms to wait
  EXPECT_FALSE(q.expired(0.124, 0.004));
  EXPECT_TRUE(q.expired(0.13, 0.01));
}

TEST(AdaptiveLifo, ZeroNormalTimeoutMeansNoTimeoutWhileHealthy) {
  AdaptiveLifoConfig c;
  c.normal_timeout = 0;
  AdaptiveLifo q(c);
  q.on_enqueue(0, 0);
  EXPECT_FALSE(q.expired(10.0, 9.95));  // joined at 0.05, healthy: never expires
  EXPECT_TRUE(q.expired(10.0, 0.01));   // joined at 9.99, overloaded: 5 ms
}

TEST(AdaptiveLifo, LengthThresholdSwitchesToLifo) {
  AdaptiveLifoConfig c;
  c.lifo_threshold = 10;
  AdaptiveLifo q(c);
  q.on_enqueue(0, 0);
  EXPECT_FALSE(q.use_lifo(0.01, 9));
  EXPECT_TRUE(q.use_lifo(0.01, 10));
}

TEST(AdaptiveLifo, ConfigValidationNamesTheField) {
  AdaptiveLifoConfig c;
  EXPECT_EQ(validation_error(c), "");
  c.interval = -1;
  EXPECT_NE(validation_error(c).find("interval"), std::string::npos);
  c = AdaptiveLifoConfig{};
  c.overload_timeout = 0;
  EXPECT_NE(validation_error(c).find("overload_timeout"), std::string::npos);
  c = AdaptiveLifoConfig{};
  c.overload_timeout = 0.5;  // longer than the normal 100 ms
  EXPECT_NE(validation_error(c).find("overload_timeout"), std::string::npos);
  c = AdaptiveLifoConfig{};
  c.normal_timeout = kInf;
  EXPECT_NE(validation_error(c).find("normal_timeout"), std::string::npos);
  EXPECT_THROW(AdaptiveLifo{c}, std::invalid_argument);
}

// ---- admission control ----

TEST(AdmissionControl, UnlimitedByDefault) {
  AdmissionControl a;
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(a.admit(0, 1'000'000));
}

TEST(AdmissionControl, LimitsConcurrency) {
  AdmissionControl a({.max_concurrent = 10});
  EXPECT_TRUE(a.admit(0, 9));
  EXPECT_FALSE(a.admit(0, 10));
  EXPECT_FALSE(a.admit(0, 11));
}

TEST(AdmissionControl, TokenBucketAllowsTheBurstThenTheRate) {
  AdmissionControl a({.rate = 100, .burst = 10});
  int admitted = 0;
  while (a.admit(0, 0)) ++admitted;
  EXPECT_EQ(admitted, 10);
  admitted = 0;
  while (a.admit(0.05, 0)) ++admitted;  // 50 ms at 100/s
  EXPECT_EQ(admitted, 5);
  admitted = 0;
  while (a.admit(100, 0)) ++admitted;  // a long idle period refills only up to the burst
  EXPECT_EQ(admitted, 10);
}

TEST(AdmissionControl, ConcurrencyRejectionsSpendNoToken) {
  AdmissionControl a({.max_concurrent = 1, .rate = 1, .burst = 1});
  EXPECT_FALSE(a.admit(0, 1));
  EXPECT_TRUE(a.admit(0, 0));
  EXPECT_FALSE(a.admit(0, 0));
}

TEST(AdmissionControl, BurstDefaultsToOneSecondOfRate) {
  AdmissionControl a({.rate = 50});
  int admitted = 0;
  while (a.admit(0, 0)) ++admitted;
  EXPECT_EQ(admitted, 50);
  AdmissionControl slow({.rate = 0.5});  // never less than one request
  EXPECT_TRUE(slow.admit(0, 0));
  EXPECT_FALSE(slow.admit(1, 0));
  EXPECT_TRUE(slow.admit(2, 0));
}

TEST(AdmissionControl, ConfigValidationNamesTheField) {
  EXPECT_EQ(validation_error(AdmissionConfig{}), "");
  EXPECT_NE(validation_error(AdmissionConfig{.rate = -1}).find("rate"), std::string::npos);
  EXPECT_NE(validation_error(AdmissionConfig{.rate = kNaN}).find("rate"), std::string::npos);
  EXPECT_NE(validation_error(AdmissionConfig{.rate = 10, .burst = 0.5}).find("burst"), std::string::npos);
  EXPECT_THROW(AdmissionControl(AdmissionConfig{.burst = -2}), std::invalid_argument);
}

// ---- bulkhead ----

TEST(Bulkhead, LimitsConcurrentCalls) {
  Bulkhead b({.max_concurrent = 3});
  EXPECT_TRUE(b.try_enter());
  EXPECT_TRUE(b.try_enter());
  EXPECT_TRUE(b.try_enter());
  EXPECT_FALSE(b.try_enter());
  EXPECT_EQ(b.in_use(), 3u);
}

TEST(Bulkhead, LeaveFreesAPermit) {
  Bulkhead b({.max_concurrent = 1});
  ASSERT_TRUE(b.try_enter());
  ASSERT_FALSE(b.try_enter());
  b.leave();
  EXPECT_TRUE(b.try_enter());
}

TEST(Bulkhead, ExtraLeaveDoesNotCreatePermits) {
  Bulkhead b({.max_concurrent = 1});
  b.leave();
  b.leave();
  EXPECT_EQ(b.in_use(), 0u);
  EXPECT_TRUE(b.try_enter());
  EXPECT_FALSE(b.try_enter());
}

TEST(Bulkhead, PresetsHaveTheLibrariesDefaults) {
  EXPECT_EQ(BulkheadConfig::preset("resilience4j").max_concurrent, 25u);
  EXPECT_EQ(BulkheadConfig::preset("hystrix").max_concurrent, 10u);
  EXPECT_EQ(BulkheadConfig{}.max_concurrent, 25u);
  try {
    BulkheadConfig::preset("envoy");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("resilience4j"), std::string::npos) << e.what();
  }
}

TEST(Bulkhead, ZeroConcurrencyIsRejected) {
  EXPECT_NE(validation_error(BulkheadConfig{.max_concurrent = 0}).find("max_concurrent"), std::string::npos);
  EXPECT_THROW(Bulkhead(BulkheadConfig{.max_concurrent = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace rapture
