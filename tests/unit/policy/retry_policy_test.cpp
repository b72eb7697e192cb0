#include "model/policy/retry_policy.hpp"

#include <gtest/gtest.h>

#include "support/validation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/random_stream.hpp"

namespace rapture {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using testing::validation_error;

Backoff backoff(Backoff::Kind kind, double base, double multiplier, double cap) {
  return {.kind = kind, .base = base, .multiplier = multiplier, .cap = cap};
}

/// Mean, min and max of n draws of `b.delay(retry, previous, rng)`.
struct Draws {
  double mean = 0, min = kInf, max = -kInf;
};
Draws draw(const Backoff& b, int retry, double previous, int n, uint64_t seed = 42) {
  RandomStream rng(seed, "retry_policy_test", "backoff");
  Draws d;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = b.delay(retry, previous, rng);
    sum += x;
    d.min = std::min(d.min, x);
    d.max = std::max(d.max, x);
  }
  d.mean = sum / n;
  return d;
}

// ---- backoff ----

TEST(Backoff, NoneIsZero) {
  RandomStream rng(1, "t", "b");
  const Backoff b = backoff(Backoff::Kind::None, 0.025, 2, 0.25);
  EXPECT_EQ(b.delay(1, 0, rng), 0);
  EXPECT_EQ(b.delay(5, 0.2, rng), 0);
}

TEST(Backoff, ConstantIsTheBaseForEveryRetry) {
  RandomStream rng(1, "t", "b");
  const Backoff b = backoff(Backoff::Kind::Constant, 0.5, 1, 0.5);
  EXPECT_EQ(b.delay(1, 0, rng), 0.5);
  EXPECT_EQ(b.delay(7, 0.5, rng), 0.5);
}

TEST(Backoff, ExponentialGrowsByTheMultiplierFromTheBase) {
  RandomStream rng(1, "t", "b");
  const Backoff b = backoff(Backoff::Kind::Exponential, 0.1, 3, 100);
  EXPECT_DOUBLE_EQ(b.delay(1, 0, rng), 0.1);
  EXPECT_DOUBLE_EQ(b.delay(2, 0, rng), 0.3);
  EXPECT_DOUBLE_EQ(b.delay(3, 0, rng), 0.9);
}

TEST(Backoff, ExponentialBackoffIsCapped) {
  RandomStream rng(1, "t", "b");
  const Backoff b = backoff(Backoff::Kind::Exponential, 0.025, 2, 0.25);
  EXPECT_DOUBLE_EQ(b.delay(4, 0, rng), 0.2);      // 25 ms * 2^3, below the cap
  EXPECT_DOUBLE_EQ(b.delay(5, 0, rng), 0.25);     // 400 ms capped
  EXPECT_DOUBLE_EQ(b.delay(2000, 0, rng), 0.25);  // pow overflows to inf: still the cap
}

// Uniform on [0, d): mean d/2, standard deviation d/sqrt(12). Over n = 100,000 draws the
// sample mean's standard error is d/sqrt(12 n) = 0.000913 d; the tolerance is 5 standard errors.
constexpr int kDraws = 100'000;
double clt_tolerance(double d) { return 5 * d / std::sqrt(12.0 * kDraws); }

TEST(Backoff, FullJitterStaysWithinZeroAndTheExponentialDelay) {
  const Backoff b = backoff(Backoff::Kind::FullJitter, 0.1, 2, 10);
  for (int retry = 1; retry <= 3; ++retry) {
    const double d = 0.1 * std::pow(2, retry - 1);
    const Draws s = draw(b, retry, 0, kDraws);
    EXPECT_GE(s.min, 0) << "retry " << retry;
    EXPECT_LT(s.max, d) << "retry " << retry;
    EXPECT_GT(s.max, 0.99 * d) << "retry " << retry << ": draws must reach the top of the range";
    EXPECT_NEAR(s.mean, d / 2, clt_tolerance(d)) << "retry " << retry;
  }
}

TEST(Backoff, FullJitterIsCapped) {
  // Envoy's defaults: 25 ms base, 250 ms max; the 6th retry's interval (800 ms) is capped.
  const Backoff b = backoff(Backoff::Kind::FullJitter, 0.025, 2, 0.25);
  const Draws s = draw(b, 6, 0, kDraws);
  EXPECT_LT(s.max, 0.25);
  EXPECT_NEAR(s.mean, 0.125, clt_tolerance(0.25));
}

// gRPC core's retry delay (src/core/util/backoff.cc, BackOff::NextAttemptDelay, with the retry
// filter's RETRY_BACKOFF_JITTER 0.2): min(initial * multiplier^(n-1), max) * uniform(0.8, 1.2),
// the jitter applied after the cap, so the capped delay reaches 1.2 x max.
TEST(Backoff, ProportionalJitterIsTheCappedExponentialTimesEightyToHundredTwentyPercent) {
  Backoff b = backoff(Backoff::Kind::ProportionalJitter, 0.1, 2, 1);
  b.jitter = 0.2;
  for (int retry = 1; retry <= 6; ++retry) {
    const double d = std::min(1.0, 0.1 * std::pow(2, retry - 1));  // 0.1, 0.2, 0.4, 0.8, 1, 1
    const Draws s = draw(b, retry, 0, kDraws);
    EXPECT_GE(s.min, 0.8 * d) << "retry " << retry;
    EXPECT_LT(s.max, 1.2 * d) << "retry " << retry;
    // Draws reach both ends of the range: not full jitter's [0, d), not a fixed delay.
    EXPECT_LT(s.min, 0.81 * d) << "retry " << retry;
    EXPECT_GT(s.max, 1.19 * d) << "retry " << retry;
    // Uniform over a width of 0.4 d: the mean's 5-sigma bound.
    EXPECT_NEAR(s.mean, d, clt_tolerance(0.4 * d)) << "retry " << retry;
  }
}

TEST(RetryPolicy, JitterOutsideZeroToOneIsRejected) {
  RetryPolicy p;
  p.backoff.kind = Backoff::Kind::ProportionalJitter;
  for (const double bad : {-0.1, 1.0, kNaN}) {
    p.backoff.jitter = bad;
    EXPECT_NE(validation_error(p).find("backoff.jitter"), std::string::npos) << bad;
  }
  p.backoff.jitter = 0;
  EXPECT_EQ(validation_error(p), "");
}

TEST(Backoff, DecorrelatedJitterUsesThePreviousDelay) {
  // AWS: min(cap, uniform(base, 3 * previous)). With previous = 1 s the draws spread over
  // [0.01, 3); had the previous delay been ignored they would stay below 3 * base = 0.03.
  const Backoff b = backoff(Backoff::Kind::DecorrelatedJitter, 0.01, 2, 100);
  const Draws s = draw(b, 2, 1.0, kDraws);
  EXPECT_GE(s.min, 0.01);
  EXPECT_LT(s.max, 3.0);
  EXPECT_GT(s.max, 2.9);
  EXPECT_NEAR(s.mean, (0.01 + 3.0) / 2, clt_tolerance(3.0 - 0.01));
}

TEST(Backoff, DecorrelatedJitterFirstRetryIsBetweenBaseAndThreeBases) {
  const Backoff b = backoff(Backoff::Kind::DecorrelatedJitter, 0.01, 2, 100);
  const Draws s = draw(b, 1, 5.0, kDraws);  // the previous delay of a first retry is meaningless
  EXPECT_GE(s.min, 0.01);
  EXPECT_LT(s.max, 0.03);
  EXPECT_NEAR(s.mean, 0.02, clt_tolerance(0.02));
}

TEST(Backoff, DecorrelatedJitterIsCapped) {
  const Backoff b = backoff(Backoff::Kind::DecorrelatedJitter, 0.01, 2, 0.05);
  const Draws s = draw(b, 3, 1.0, 10'000);
  EXPECT_LE(s.max, 0.05);
  EXPECT_EQ(s.max, 0.05);  // most draws of uniform(0.01, 3) exceed the cap
}

TEST(Backoff, DecorrelatedJitterChainStaysWithinBaseAndCap) {
  const Backoff b = backoff(Backoff::Kind::DecorrelatedJitter, 0.02, 2, 1.0);
  RandomStream rng(9, "t", "chain");
  double previous = 0;
  for (int retry = 1; retry <= 1000; ++retry) {
    const double d = b.delay(retry, previous, rng);
    ASSERT_GE(d, 0.02) << "retry " << retry;
    ASSERT_LE(d, 1.0) << "retry " << retry;
    ASSERT_LT(d, 3 * std::max(previous, 0.02)) << "retry " << retry;
    previous = d;
  }
}

TEST(Backoff, SameSeedGivesTheSameDelays) {
  const Backoff b = backoff(Backoff::Kind::FullJitter, 0.025, 2, 0.25);
  RandomStream a(7, "svc", "backoff"), c(7, "svc", "backoff"), other(8, "svc", "backoff");
  bool differs = false;
  for (int retry = 1; retry <= 20; ++retry) {
    const double x = b.delay(retry, 0, a);
    EXPECT_EQ(x, b.delay(retry, 0, c));
    differs = differs || x != b.delay(retry, 0, other);
  }
  EXPECT_TRUE(differs);
}

// ---- presets ----

TEST(RetryPolicy, DefaultPolicyIsValidAndDoesNotRetry) {
  const RetryPolicy p;
  EXPECT_EQ(p.max_attempts, 1);
  EXPECT_EQ(validation_error(p), "");
}

TEST(RetryPolicy, NonePresetNeverRetriesNorWaits) {
  const RetryPolicy p = RetryPolicy::preset("none");
  EXPECT_EQ(p.max_attempts, 1);
  EXPECT_EQ(p.backoff.kind, Backoff::Kind::None);
  EXPECT_EQ(p.deadline, 0);
  EXPECT_EQ(p.per_try_timeout, 0);
}

TEST(RetryPolicy, EnvoyPresetHasEnvoysDefaults) {
  const RetryPolicy p = RetryPolicy::preset("envoy");
  EXPECT_EQ(p.max_attempts, 2);  // num_retries 1
  EXPECT_TRUE(p.retry_on.error);
  EXPECT_TRUE(p.retry_on.overflow);
  EXPECT_TRUE(p.retry_on.timeout);
  EXPECT_FALSE(p.retry_on.circuit_open);  // Envoy never retries its own overflow
  EXPECT_EQ(p.backoff.kind, Backoff::Kind::FullJitter);
  EXPECT_DOUBLE_EQ(p.backoff.base, 0.025);
  EXPECT_DOUBLE_EQ(p.backoff.cap, 0.25);
  EXPECT_DOUBLE_EQ(p.backoff.multiplier, 2);
  EXPECT_DOUBLE_EQ(p.deadline, 15);
  EXPECT_EQ(p.per_try_timeout, 0);
  EXPECT_FALSE(p.propagate_deadline);
  EXPECT_FALSE(p.cancel_on_timeout);
}

TEST(RetryPolicy, LinkerdPresetRetriesAtOnceUntilTheRouteTimeout) {
  const RetryPolicy p = RetryPolicy::preset("linkerd");
  EXPECT_EQ(p.max_attempts, 100);  // unlimited in Linkerd: the budget is the limit
  EXPECT_EQ(p.backoff.kind, Backoff::Kind::None);
  EXPECT_TRUE(p.retry_on.error);
  EXPECT_TRUE(p.retry_on.overflow);
  EXPECT_FALSE(p.retry_on.timeout);
  EXPECT_DOUBLE_EQ(p.deadline, 10);
}

TEST(RetryPolicy, GrpcPresetIsTheA6Example) {
  const RetryPolicy p = RetryPolicy::preset("grpc");
  EXPECT_EQ(p.max_attempts, 4);
  EXPECT_EQ(p.attempts_limit, 5);
  // The current A6 and gRPC core (backoff.cc): +-20 % around the capped exponential, not full jitter.
  EXPECT_EQ(p.backoff.kind, Backoff::Kind::ProportionalJitter);
  EXPECT_DOUBLE_EQ(p.backoff.jitter, 0.2);
  EXPECT_DOUBLE_EQ(p.backoff.base, 0.1);
  EXPECT_DOUBLE_EQ(p.backoff.cap, 1);
  EXPECT_DOUBLE_EQ(p.backoff.multiplier, 2);
  EXPECT_TRUE(p.retry_on.overflow);  // UNAVAILABLE
  EXPECT_FALSE(p.retry_on.error);
  EXPECT_FALSE(p.retry_on.timeout);  // DEADLINE_EXCEEDED is not retried
  EXPECT_TRUE(p.propagate_deadline);
  EXPECT_TRUE(p.cancel_on_timeout);
  EXPECT_EQ(p.deadline, 0);  // gRPC has no default deadline
}

// gRPC clamps retryPolicy.maxAttempts at MAX_MAX_RETRY_ATTEMPTS = 5 and logs "clamped"
// (src/core/client_channel/retry_service_config.cc, RetryMethodConfig::JsonPostLoad).
TEST(RetryPolicy, GrpcPresetLowersMaxAttemptsAboveFiveToFiveWithANote) {
  RetryPolicy p = RetryPolicy::preset("grpc");
  p.max_attempts = 8;
  EXPECT_TRUE(p.limit_attempts());
  EXPECT_EQ(p.max_attempts, 5);
  EXPECT_EQ(p.attempts_requested, 8);
  const std::string note = p.note();
  EXPECT_NE(note.find("max_attempts 8 lowered to 5"), std::string::npos) << note;
  EXPECT_EQ(validation_error(p), "");
}

TEST(RetryPolicy, MaxAttemptsIsKeptWithoutANoteUpToFiveForGrpcAndAboveFiveForOthers) {
  for (const auto& [preset, attempts] : {std::pair{"grpc", 5}, std::pair{"envoy", 8}, std::pair{"resilience4j", 8}}) {
    RetryPolicy p = RetryPolicy::preset(preset);
    p.max_attempts = attempts;
    EXPECT_FALSE(p.limit_attempts()) << preset;
    EXPECT_EQ(p.max_attempts, attempts) << preset;
    EXPECT_EQ(p.note(), "") << preset;
  }
}

TEST(RetryPolicy, Resilience4jPresetRetriesEveryExceptionAfterHalfASecond) {
  const RetryPolicy p = RetryPolicy::preset("resilience4j");
  EXPECT_EQ(p.max_attempts, 3);
  EXPECT_EQ(p.backoff.kind, Backoff::Kind::Constant);
  EXPECT_DOUBLE_EQ(p.backoff.base, 0.5);
  EXPECT_TRUE(p.retry_on.timeout && p.retry_on.error && p.retry_on.overflow && p.retry_on.circuit_open);
}

TEST(RetryPolicy, HystrixPresetHasNoRetryAndAOneSecondTimeout) {
  const RetryPolicy p = RetryPolicy::preset("hystrix");
  EXPECT_EQ(p.max_attempts, 1);
  EXPECT_DOUBLE_EQ(p.per_try_timeout, 1);
}

TEST(RetryPolicy, EveryPresetIsValid) {
  for (const char* name : {"none", "envoy", "linkerd", "grpc", "resilience4j", "hystrix"}) {
    EXPECT_EQ(validation_error(RetryPolicy::preset(name)), "") << name;
  }
}

TEST(RetryPolicy, UnknownPresetIsRejected) {
  try {
    RetryPolicy::preset("istio");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'istio'"), std::string::npos) << m;
    for (const char* known : {"none", "envoy", "linkerd", "grpc", "resilience4j", "hystrix"}) {
      EXPECT_NE(m.find(known), std::string::npos) << m << " should list " << known;
    }
  }
}

// ---- validation ----

TEST(RetryPolicy, PerTryTimeoutLongerThanDeadlineIsRejected) {
  RetryPolicy p = RetryPolicy::preset("envoy");
  p.per_try_timeout = 20;  // route timeout 15 s
  EXPECT_NE(validation_error(p).find("per_try_timeout"), std::string::npos) << validation_error(p);
  p.per_try_timeout = 5;
  EXPECT_EQ(validation_error(p), "");
  p.deadline = 0;  // no deadline: any per-try timeout fits
  p.per_try_timeout = 100;
  EXPECT_EQ(validation_error(p), "");
}

TEST(RetryPolicy, MaxAttemptsOutsideOneToHundredIsRejected) {
  RetryPolicy p;
  p.max_attempts = 0;
  EXPECT_NE(validation_error(p).find("max_attempts"), std::string::npos);
  p.max_attempts = 101;
  EXPECT_NE(validation_error(p).find("max_attempts"), std::string::npos);
  p.max_attempts = 100;
  EXPECT_EQ(validation_error(p), "");
}

TEST(RetryPolicy, NegativeOrNonFiniteDurationsAreRejected) {
  for (const double bad : {-1.0, kNaN, kInf}) {
    RetryPolicy p;
    p.per_try_timeout = bad;
    EXPECT_NE(validation_error(p).find("per_try_timeout"), std::string::npos) << bad;
    p = RetryPolicy{};
    p.deadline = bad;
    EXPECT_NE(validation_error(p).find("deadline"), std::string::npos) << bad;
    p = RetryPolicy{};
    p.backoff.base = bad;
    EXPECT_NE(validation_error(p).find("backoff.base"), std::string::npos) << bad;
    p = RetryPolicy{};
    p.backoff.cap = bad;
    EXPECT_NE(validation_error(p).find("backoff.cap"), std::string::npos) << bad;
  }
}

TEST(RetryPolicy, ZeroBaseIsRejectedUnlessTheKindIsNone) {
  RetryPolicy p;
  p.backoff.base = 0;
  EXPECT_NE(validation_error(p).find("backoff.base"), std::string::npos);
  p.backoff.kind = Backoff::Kind::None;
  EXPECT_EQ(validation_error(p), "");
}

TEST(RetryPolicy, CapBelowBaseIsRejected) {
  RetryPolicy p;
  p.backoff.base = 0.5;
  p.backoff.cap = 0.25;
  EXPECT_NE(validation_error(p).find("backoff.cap"), std::string::npos) << validation_error(p);
}

TEST(RetryPolicy, MultiplierBelowOneIsRejected) {
  RetryPolicy p;
  p.backoff.multiplier = 0.5;
  EXPECT_NE(validation_error(p).find("backoff.multiplier"), std::string::npos) << validation_error(p);
  p.backoff.multiplier = 1;
  EXPECT_EQ(validation_error(p), "");
}

}  // namespace
}  // namespace rapture
