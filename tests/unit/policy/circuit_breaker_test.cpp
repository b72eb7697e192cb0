#include "model/policy/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include "support/validation.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

// Counts every allocation of this test program, to check that the breaker allocates nothing
// per call once constructed. Not inlined: GCC would otherwise see free() on memory from
// operator new at the call sites and warn (-Wmismatched-new-delete).
namespace {
std::atomic<long> g_allocations{0};
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace rapture {
namespace {

using State = CircuitBreaker::State;
using Window = CircuitBreakerConfig::Window;
constexpr double kInf = std::numeric_limits<double>::infinity();

CircuitBreakerConfig count_based(int64_t size, int64_t minimum) {
  CircuitBreakerConfig c;
  c.window = Window::CountBased;
  c.window_size = size;
  c.minimum_calls = minimum;
  c.wait_in_open = 10;
  return c;
}

CircuitBreakerConfig time_based(int64_t seconds, int64_t minimum) {
  CircuitBreakerConfig c = count_based(seconds, minimum);
  c.window = Window::TimeBased;
  return c;
}

/// `n` permitted calls at `now` that fail (or succeed) after `duration`.
void errors(CircuitBreaker& cb, double now, int n, double duration = 0.01) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(cb.try_acquire(now - duration));
    cb.on_error(now, duration);
  }
}
void successes(CircuitBreaker& cb, double now, int n, double duration = 0.01) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(cb.try_acquire(now - duration));
    cb.on_success(now, duration);
  }
}

/// A breaker with a count window of 2 tripped at t=0 (lazy half-open, wait 10 s).
CircuitBreaker tripped(CircuitBreakerConfig c) {
  CircuitBreaker cb(c);
  errors(cb, 0, static_cast<int>(std::min(c.window_size, c.minimum_calls)));
  EXPECT_EQ(cb.state(), State::Open);
  return cb;
}

// ---- closed state: windows and thresholds ----

TEST(CircuitBreaker, CountBasedDoesNotTripBelowMinimumNumberOfCalls) {
  CircuitBreaker cb(count_based(10, 5));
  errors(cb, 1, 4);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.failure_rate(), -1);  // not evaluated below the minimum, as resilience4j
  errors(cb, 1, 1);
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, FailureRateAtTheThresholdTrips) {
  CircuitBreaker cb(count_based(10, 10));
  successes(cb, 1, 5);
  errors(cb, 1, 4);
  EXPECT_EQ(cb.state(), State::Closed);
  errors(cb, 1, 1);  // 5 of 10 = 50 % >= 50 %
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_DOUBLE_EQ(cb.failure_rate(), 50);
}

TEST(CircuitBreaker, FailureRateBelowTheThresholdDoesNotTrip) {
  CircuitBreaker cb(count_based(10, 10));
  successes(cb, 1, 6);
  errors(cb, 1, 4);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_DOUBLE_EQ(cb.failure_rate(), 40);
}

TEST(CircuitBreaker, CountBasedWindowKeepsOnlyTheLastNOutcomes) {
  CircuitBreaker cb(count_based(5, 5));
  errors(cb, 1, 1);
  successes(cb, 1, 5);  // the error is the sixth outcome back: out of the window
  EXPECT_EQ(cb.buffered_calls(), 5);
  EXPECT_DOUBLE_EQ(cb.failure_rate(), 0);
}

TEST(CircuitBreaker, MinimumCallsIsCappedAtTheCountWindowSize) {
  CircuitBreaker cb(count_based(5, 100));  // resilience4j: min(minimumNumberOfCalls, slidingWindowSize)
  errors(cb, 1, 5);
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, TimeBasedMinimumCallsIsNotCappedByTheWindowSize) {
  CircuitBreaker cb(time_based(2, 10));
  errors(cb, 0.5, 9);
  EXPECT_EQ(cb.state(), State::Closed);
  errors(cb, 0.5, 1);
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, TimeBasedWindowCountsTheCallsOfTheLastNSeconds) {
  CircuitBreaker cb(time_based(10, 5));
  errors(cb, 0.5, 4);
  errors(cb, 9.9, 1);  // epoch second 9: second 0 is still among the last 10
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, TimeBasedWindowForgetsOldBuckets) {
  CircuitBreaker cb(time_based(10, 5));
  errors(cb, 0.5, 4);
  errors(cb, 10.0, 1);  // epoch second 10 evicts second 0
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.buffered_calls(), 1);
}

TEST(CircuitBreaker, TimeBasedWindowEvictsWholeEpochSeconds) {
  // Buckets are epoch seconds, not a sliding 10.0 s: 9.2 s apart but ten seconds apart by epoch.
  CircuitBreaker cb(time_based(10, 5));
  errors(cb, 0.9, 4);
  errors(cb, 10.1, 1);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.buffered_calls(), 1);
}

TEST(CircuitBreaker, TimeBasedWindowEvictsOnlyTheSecondsThatLeft) {
  CircuitBreaker cb(time_based(3, 100));
  errors(cb, 0.5, 1);
  errors(cb, 1.5, 2);
  errors(cb, 2.5, 4);
  errors(cb, 3.5, 8);  // evicts second 0 only
  EXPECT_EQ(cb.buffered_calls(), 14);
  errors(cb, 5.5, 16);  // evicts seconds 1 and 2 (second 4 is empty)
  EXPECT_EQ(cb.buffered_calls(), 24);
}

TEST(CircuitBreaker, SlowCallsTripTheBreaker) {
  CircuitBreakerConfig c = count_based(4, 4);
  c.slow_call_duration = 1;
  c.slow_call_rate_threshold = 50;
  CircuitBreaker cb(c);
  successes(cb, 5, 2, 0.5);
  successes(cb, 5, 1, 2.0);
  EXPECT_EQ(cb.state(), State::Closed);
  successes(cb, 5, 1, 2.0);  // 2 of 4 slow, every call a success
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_DOUBLE_EQ(cb.failure_rate(), 0);
  EXPECT_DOUBLE_EQ(cb.slow_call_rate(), 50);
}

TEST(CircuitBreaker, SlowMeansStrictlyLongerThanTheDurationThreshold) {
  CircuitBreakerConfig c = count_based(4, 4);
  c.slow_call_duration = 1;
  c.slow_call_rate_threshold = 50;
  CircuitBreaker cb(c);
  successes(cb, 5, 4, 1.0);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_DOUBLE_EQ(cb.slow_call_rate(), 0);
}

TEST(CircuitBreaker, SlowErrorCountsInBothRates) {
  CircuitBreakerConfig c = count_based(4, 4);
  c.slow_call_duration = 1;
  CircuitBreaker cb(c);
  errors(cb, 5, 1, 2.0);
  successes(cb, 5, 3, 0.5);
  EXPECT_DOUBLE_EQ(cb.failure_rate(), 25);
  EXPECT_DOUBLE_EQ(cb.slow_call_rate(), 25);
}

// ---- open state ----

TEST(CircuitBreaker, OpenRejectsUntilTheWaitHasElapsed) {
  CircuitBreaker cb = tripped(count_based(2, 2));  // tripped at t=0, wait 10 s
  EXPECT_FALSE(cb.try_acquire(0));
  EXPECT_FALSE(cb.try_acquire(9.999));
  EXPECT_FALSE(cb.try_acquire(10));  // resilience4j: isAfter(retryAfterWaitDuration), strictly
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, LazyTransitionToHalfOpenOnNextCall) {
  CircuitBreaker cb = tripped(count_based(2, 2));
  cb.transitions().clear();
  cb.on_timer(50);  // nothing happens without a call: no automatic transition
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_EQ(cb.next_timer(), kInf);
  EXPECT_TRUE(cb.try_acquire(50));
  EXPECT_EQ(cb.state(), State::HalfOpen);
  ASSERT_EQ(cb.transitions().size(), 1u);
  EXPECT_EQ(cb.transitions()[0].time, 50);
  EXPECT_EQ(cb.transitions()[0].from, State::Open);
  EXPECT_EQ(cb.transitions()[0].to, State::HalfOpen);
}

TEST(CircuitBreaker, AutomaticTransitionUsesTimer) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.automatic_half_open = true;
  CircuitBreaker cb = tripped(c);
  EXPECT_EQ(cb.next_timer(), 10);
  cb.on_timer(9.5);
  EXPECT_EQ(cb.state(), State::Open);
  cb.on_timer(10);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  EXPECT_EQ(cb.transitions().back().time, 10);
  EXPECT_EQ(cb.next_timer(), kInf);
}

TEST(CircuitBreaker, LateAutomaticTransitionIsStampedAtItsDueTime) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.automatic_half_open = true;
  CircuitBreaker cb = tripped(c);
  EXPECT_TRUE(cb.try_acquire(12));  // the engine's timer was not run first
  EXPECT_EQ(cb.state(), State::HalfOpen);
  EXPECT_EQ(cb.transitions().back().time, 10);
}

TEST(CircuitBreaker, OutcomesWhileOpenDoNotChangeTheState) {
  CircuitBreaker cb = tripped(count_based(2, 2));  // open until 10
  for (int i = 0; i < 10; ++i) cb.on_error(5, 6);  // calls admitted before the trip
  for (int i = 0; i < 10; ++i) cb.on_success(5, 6);
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_EQ(cb.transitions().size(), 1u);  // no re-trip: the wait is not extended
  EXPECT_TRUE(cb.try_acquire(10.5));
}

// ---- half-open state ----

TEST(CircuitBreaker, HalfOpenAdmitsExactlyThePermittedConcurrentTrials) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.permitted_in_half_open = 3;
  CircuitBreaker cb = tripped(c);
  EXPECT_TRUE(cb.try_acquire(11));
  EXPECT_TRUE(cb.try_acquire(11));
  EXPECT_TRUE(cb.try_acquire(11));
  EXPECT_FALSE(cb.try_acquire(11));
  EXPECT_EQ(cb.state(), State::HalfOpen);
}

TEST(CircuitBreaker, CompletedTrialsDoNotReturnTheirPermits) {
  CircuitBreakerConfig c = count_based(100, 100);  // half-open minimum: min(100, 3) = 3
  c.permitted_in_half_open = 3;
  CircuitBreaker cb(c);
  errors(cb, 0, 100);
  ASSERT_TRUE(cb.try_acquire(11));
  ASSERT_TRUE(cb.try_acquire(11));
  ASSERT_TRUE(cb.try_acquire(11));
  cb.on_success(12, 1);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  EXPECT_FALSE(cb.try_acquire(12));  // resilience4j counts permits down, only release() gives one back
}

TEST(CircuitBreaker, ReleaseFreesAHalfOpenPermit) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.permitted_in_half_open = 2;
  CircuitBreaker cb = tripped(c);
  ASSERT_TRUE(cb.try_acquire(11));
  ASSERT_TRUE(cb.try_acquire(11));
  ASSERT_FALSE(cb.try_acquire(11));
  cb.release(12);
  EXPECT_TRUE(cb.try_acquire(12));
  EXPECT_FALSE(cb.try_acquire(12));
}

// resilience4j's HalfOpenState.releasePermission is permittedNumberOfCalls.incrementAndGet(),
// uncapped (CircuitBreakerStateMachine.java): a call admitted while CLOSED that ends with an
// ignored outcome during HALF_OPEN gives back a permit it never took, so one more trial runs.
TEST(CircuitBreaker, ReleaseOfACallAdmittedWhileClosedAdmitsOneMoreTrial) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.permitted_in_half_open = 4;
  c.automatic_half_open = true;
  CircuitBreaker cb(c);
  ASSERT_TRUE(cb.try_acquire(0));  // admitted while CLOSED, still in flight
  errors(cb, 0, 2);
  ASSERT_EQ(cb.state(), State::Open);
  cb.on_timer(10);
  ASSERT_EQ(cb.state(), State::HalfOpen);  // all 4 permits free
  cb.release(10.5);                        // the CLOSED-era call ends, ignored: a fifth permit
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(cb.try_acquire(11)) << "trial " << i + 1;
  EXPECT_FALSE(cb.try_acquire(11));
  EXPECT_EQ(cb.state(), State::HalfOpen);
}

TEST(CircuitBreaker, HalfOpenClosesWhenTheTrialsSucceed) {
  CircuitBreakerConfig c = count_based(3, 3);  // half-open minimum: min(3, 3) = 3
  c.permitted_in_half_open = 3;
  CircuitBreaker cb = tripped(c);
  successes(cb, 12, 2);
  EXPECT_EQ(cb.state(), State::HalfOpen);  // 2 of the 3 trial outcomes
  successes(cb, 12, 1);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.transitions().back().time, 12);
}

TEST(CircuitBreaker, HalfOpenReopensWhenTheTrialsFail) {
  CircuitBreakerConfig c = count_based(4, 4);
  c.permitted_in_half_open = 4;
  CircuitBreaker cb = tripped(c);
  successes(cb, 12, 2);
  errors(cb, 12, 1);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  errors(cb, 13, 1);  // 2 of 4 = 50 %
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_EQ(cb.transitions().back().time, 13);
  EXPECT_FALSE(cb.try_acquire(13));
}

TEST(CircuitBreaker, HalfOpenDecidesAfterMinimumCallsWhenFewerThanPermitted) {
  CircuitBreakerConfig c = count_based(10, 2);
  c.permitted_in_half_open = 5;  // half-open window of 5, minimum min(2, 5) = 2
  CircuitBreaker cb = tripped(c);
  successes(cb, 12, 1);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  successes(cb, 12, 1);
  EXPECT_EQ(cb.state(), State::Closed);
}

TEST(CircuitBreaker, RejectedCallsAreNotRecorded) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.permitted_in_half_open = 2;
  CircuitBreaker cb = tripped(c);
  const double rate = cb.failure_rate();
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(cb.try_acquire(5));
  EXPECT_EQ(cb.failure_rate(), rate);
  EXPECT_EQ(cb.buffered_calls(), 2);
  ASSERT_TRUE(cb.try_acquire(11));
  ASSERT_TRUE(cb.try_acquire(11));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(cb.try_acquire(11));
  EXPECT_EQ(cb.buffered_calls(), 0);
  cb.on_success(12, 1);
  cb.on_success(12, 1);
  EXPECT_EQ(cb.state(), State::Closed);
}

TEST(CircuitBreaker, ANewWindowStartsOnEachTransition) {
  CircuitBreakerConfig c = count_based(10, 4);
  c.permitted_in_half_open = 2;
  CircuitBreaker cb(c);
  errors(cb, 0, 4);
  ASSERT_EQ(cb.state(), State::Open);
  successes(cb, 11, 2);
  ASSERT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.buffered_calls(), 0);
  EXPECT_EQ(cb.failure_rate(), -1);
  errors(cb, 12, 3);  // with the 4 errors before the trip this would be 7 of 7
  EXPECT_EQ(cb.state(), State::Closed);
}

TEST(CircuitBreaker, TimeBasedWindowRestartsWhenClosing) {
  CircuitBreakerConfig c = time_based(60, 4);
  c.permitted_in_half_open = 1;
  CircuitBreaker cb(c);
  errors(cb, 0.5, 4);
  ASSERT_EQ(cb.state(), State::Open);
  successes(cb, 11, 1);
  ASSERT_EQ(cb.state(), State::Closed);
  errors(cb, 12, 3);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_EQ(cb.buffered_calls(), 3);
}

TEST(CircuitBreaker, OpenWaitBacksOffExponentially) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.wait_multiplier = 2;
  c.max_wait_in_open = 35;
  c.permitted_in_half_open = 1;
  c.automatic_half_open = true;
  CircuitBreaker cb = tripped(c);
  EXPECT_EQ(cb.next_timer(), 10);  // first OPEN: wait_in_open
  cb.on_timer(10);
  errors(cb, 11, 1);
  EXPECT_EQ(cb.next_timer(), 11 + 20);  // re-opened from HALF_OPEN: x2
  cb.on_timer(31);
  errors(cb, 31, 1);
  EXPECT_EQ(cb.next_timer(), 31 + 35);  // 40, capped at 35
  cb.on_timer(66);
  successes(cb, 66, 1);
  ASSERT_EQ(cb.state(), State::Closed);
  errors(cb, 70, 2);
  EXPECT_EQ(cb.next_timer(), 80);  // closing resets the backoff
}

// OpenState(attempts, waitDuration.toMillis()) and IntervalFunction.of(Duration) count the wait in
// whole milliseconds (resilience4j CircuitBreakerStateMachine.java, IntervalFunction.java).
TEST(CircuitBreaker, OpenWaitIsTruncatedToWholeMilliseconds) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.wait_in_open = 0.0015;
  c.automatic_half_open = true;
  CircuitBreaker cb = tripped(c);
  EXPECT_DOUBLE_EQ(cb.next_timer(), 0.001);
}

// IntervalFunction.ofExponentialBackoff(initial, multiplier, max): each step is
// (long) (previous * multiplier), so 10 ms x 1.55 gives 10, 15, 23, 35 ms, not 10, 15.5, 24.025, 37.24.
TEST(CircuitBreaker, ExponentialOpenWaitTruncatesEachStepToWholeMilliseconds) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.wait_in_open = 0.010;
  c.wait_multiplier = 1.55;
  c.max_wait_in_open = 1;
  c.permitted_in_half_open = 1;
  c.automatic_half_open = true;
  CircuitBreaker cb = tripped(c);
  double opened = 0;
  for (const double wait : {0.010, 0.015, 0.023, 0.035}) {
    EXPECT_NEAR(cb.next_timer() - opened, wait, 1e-12);
    opened = cb.next_timer();
    cb.on_timer(opened);
    errors(cb, opened, 1);  // the trial fails: OPEN again, one attempt more
    ASSERT_EQ(cb.state(), State::Open);
  }
}

// SnapshotImpl.getFailureRate is failed * 100.0f / total, in float, and
// CircuitBreakerMetrics.checkIfThresholdsExceeded compares it with the float threshold: 1 of 3
// (33.333332 as a float) reaches 33.3333334 % (also 33.333332 as a float), though 1/3 < 33.3333334 %.
TEST(CircuitBreaker, FailureRatesAreComparedAsFloats) {
  CircuitBreakerConfig c = count_based(3, 3);
  c.failure_rate_threshold = 33.3333334;
  CircuitBreaker cb(c);
  successes(cb, 0, 2);
  errors(cb, 0, 1);
  EXPECT_EQ(cb.state(), State::Open);
}

TEST(CircuitBreaker, MaxWaitInHalfOpenMovesBackToOpen) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.max_wait_in_half_open = 5;
  c.wait_multiplier = 2;
  CircuitBreaker cb = tripped(c);
  ASSERT_TRUE(cb.try_acquire(11));
  EXPECT_EQ(cb.next_timer(), 16);
  cb.on_timer(15.9);
  EXPECT_EQ(cb.state(), State::HalfOpen);
  cb.on_timer(16);
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_EQ(cb.transitions().back().time, 16);
  EXPECT_FALSE(cb.try_acquire(36));  // a re-open: the wait doubled to 20 s
  EXPECT_TRUE(cb.try_acquire(36.5));
}

// ---- events, presets, validation ----

TEST(CircuitBreaker, TransitionsAreRecordedOldestFirstUntilDrained) {
  CircuitBreakerConfig c = count_based(2, 2);
  c.permitted_in_half_open = 1;
  CircuitBreaker cb(c);
  errors(cb, 1, 2);
  successes(cb, 20, 1);
  auto& t = cb.transitions();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].time, 1);
  EXPECT_EQ(t[0].from, State::Closed);
  EXPECT_EQ(t[0].to, State::Open);
  EXPECT_EQ(t[1].to, State::HalfOpen);
  EXPECT_EQ(t[2].from, State::HalfOpen);
  EXPECT_EQ(t[2].to, State::Closed);
  t.clear();
  successes(cb, 21, 5);
  EXPECT_TRUE(cb.transitions().empty());
}

TEST(CircuitBreaker, Resilience4jPresetHasTheLibraryDefaults) {
  const CircuitBreakerConfig c = CircuitBreakerConfig::resilience4j();
  EXPECT_EQ(c.window, Window::CountBased);
  EXPECT_EQ(c.window_size, 100);
  EXPECT_EQ(c.minimum_calls, 100);
  EXPECT_EQ(c.failure_rate_threshold, 50);
  EXPECT_EQ(c.slow_call_duration, 60);
  EXPECT_EQ(c.slow_call_rate_threshold, 100);
  EXPECT_EQ(c.wait_in_open, 60);
  EXPECT_EQ(c.wait_multiplier, 1);
  EXPECT_FALSE(c.automatic_half_open);
  EXPECT_EQ(c.permitted_in_half_open, 10);
  EXPECT_EQ(c.max_wait_in_half_open, 0);
}

TEST(CircuitBreaker, HystrixPresetTripsAfterTwentyRequestsAtFiftyPercent) {
  CircuitBreaker volume(CircuitBreakerConfig::hystrix());
  errors(volume, 0.5, 19);
  EXPECT_EQ(volume.state(), State::Closed);  // requestVolumeThreshold 20 not reached
  errors(volume, 9.5, 1);
  EXPECT_EQ(volume.state(), State::Open);

  CircuitBreaker below(CircuitBreakerConfig::hystrix());
  successes(below, 0.5, 11);
  errors(below, 0.5, 9);
  EXPECT_EQ(below.state(), State::Closed);  // 45 %

  CircuitBreaker at(CircuitBreakerConfig::hystrix());
  successes(at, 0.5, 10);
  errors(at, 0.5, 10);
  EXPECT_EQ(at.state(), State::Open);  // 50 %
}

TEST(CircuitBreaker, HystrixPresetForgetsRequestsOlderThanTenSeconds) {
  CircuitBreaker cb(CircuitBreakerConfig::hystrix());
  errors(cb, 0.5, 19);
  errors(cb, 10.5, 1);
  EXPECT_EQ(cb.state(), State::Closed);
}

TEST(CircuitBreaker, HystrixPresetSendsOneTrialRequestAfterFiveSeconds) {
  CircuitBreaker cb(CircuitBreakerConfig::hystrix());
  errors(cb, 0.5, 20);
  ASSERT_EQ(cb.state(), State::Open);
  EXPECT_FALSE(cb.try_acquire(5.4));
  EXPECT_TRUE(cb.try_acquire(5.6));
  EXPECT_FALSE(cb.try_acquire(5.6));  // a single trial
  cb.on_error(5.7, 0.1);
  EXPECT_EQ(cb.state(), State::Open);
  EXPECT_FALSE(cb.try_acquire(10.6));
  EXPECT_TRUE(cb.try_acquire(10.8));  // the same 5 s sleep again: no backoff
  cb.on_success(11, 0.2);
  EXPECT_EQ(cb.state(), State::Closed);
}

TEST(CircuitBreaker, HystrixPresetHasNoSlowCallRule) {
  CircuitBreaker cb(CircuitBreakerConfig::hystrix());
  successes(cb, 500, 40, 400);
  EXPECT_EQ(cb.state(), State::Closed);
  EXPECT_DOUBLE_EQ(cb.slow_call_rate(), 0);
}

TEST(CircuitBreaker, PresetsAreValid) {
  EXPECT_NO_THROW(CircuitBreakerConfig::resilience4j().validate());
  EXPECT_NO_THROW(CircuitBreakerConfig::hystrix().validate());
}

TEST(CircuitBreaker, ValidateNamesTheOffendingField) {
  struct Case {
    const char* field;
    void (*set)(CircuitBreakerConfig&);
  };
  const Case cases[] = {
      {"window_size", [](CircuitBreakerConfig& c) { c.window_size = 0; }},
      {"window_size", [](CircuitBreakerConfig& c) { c.window_size = 2'000'000'000; }},
      {"minimum_calls", [](CircuitBreakerConfig& c) { c.minimum_calls = 0; }},
      {"failure_rate_threshold", [](CircuitBreakerConfig& c) { c.failure_rate_threshold = 0; }},
      {"failure_rate_threshold", [](CircuitBreakerConfig& c) { c.failure_rate_threshold = 100.5; }},
      {"failure_rate_threshold", [](CircuitBreakerConfig& c) { c.failure_rate_threshold = std::nan(""); }},
      {"slow_call_rate_threshold", [](CircuitBreakerConfig& c) { c.slow_call_rate_threshold = -1; }},
      {"slow_call_duration", [](CircuitBreakerConfig& c) { c.slow_call_duration = 0; }},
      {"wait_in_open", [](CircuitBreakerConfig& c) { c.wait_in_open = 0; }},
      {"wait_in_open", [](CircuitBreakerConfig& c) { c.wait_in_open = kInf; }},
      {"wait_in_open", [](CircuitBreakerConfig& c) { c.wait_in_open = 0.0009; }},  // IntervalFunction: >= 1 ms
      {"wait_multiplier", [](CircuitBreakerConfig& c) { c.wait_multiplier = 0.5; }},
      {"max_wait_in_open", [](CircuitBreakerConfig& c) { c.max_wait_in_open = -1; }},
      {"max_wait_in_open", [](CircuitBreakerConfig& c) { c.max_wait_in_open = 30; }},  // below wait_in_open 60
      {"permitted_in_half_open", [](CircuitBreakerConfig& c) { c.permitted_in_half_open = 0; }},
      {"max_wait_in_half_open", [](CircuitBreakerConfig& c) { c.max_wait_in_half_open = -1; }},
  };
  for (const Case& k : cases) {
    CircuitBreakerConfig c;
    k.set(c);
    const std::string error = testing::validation_error(c);
    EXPECT_NE(error.find(k.field), std::string::npos) << k.field << ": " << (error.empty() ? "accepted" : error);
  }
}

TEST(CircuitBreaker, ConstructorRejectsAnInvalidConfig) {
  CircuitBreakerConfig c;
  c.permitted_in_half_open = 0;
  EXPECT_THROW(CircuitBreaker{c}, std::invalid_argument);
}

TEST(CircuitBreaker, ToStringNamesEveryState) {
  EXPECT_EQ(to_string(State::Closed), "closed");
  EXPECT_EQ(to_string(State::Open), "open");
  EXPECT_EQ(to_string(State::HalfOpen), "half_open");
}

TEST(CircuitBreaker, NoAllocationPerCallInTheSteadyState) {
  for (Window w : {Window::CountBased, Window::TimeBased}) {
    CircuitBreakerConfig c = count_based(20, 10);
    c.window = w;
    c.wait_in_open = 2;
    c.permitted_in_half_open = 3;
    c.max_wait_in_half_open = 1;
    CircuitBreaker cb(c);
    int opened = 0, closed = 0;
    const long before = g_allocations.load();
    double now = 0;
    for (int i = 0; i < 20000; ++i) {
      now += 0.01;
      const bool failing = (i / 1000) % 2 == 0;  // alternate phases of failure and recovery
      if (cb.try_acquire(now)) {
        if (i % 7 == 0) {
          cb.release(now);
        } else if (failing) {
          cb.on_error(now + 0.005, 0.005);
        } else {
          cb.on_success(now + 0.005, 0.005);
        }
      }
      cb.on_timer(now);
      for (const auto& t : cb.transitions()) {
        opened += t.to == State::Open;
        closed += t.to == State::Closed;
      }
      cb.transitions().clear();
    }
    EXPECT_EQ(g_allocations.load() - before, 0);
    EXPECT_GT(opened, 10);  // the loop went through every state
    EXPECT_GE(closed, 9);
  }
}

}  // namespace
}  // namespace rapture
