// The retry quota (the AWS SDKs' retry circuit breaker) as a state machine: the constants and
// arithmetic of aws-sdk-js-v3's defaultRetryQuota and aws-smithy-runtime's TokenBucket.

#include "model/policy/retry_quota.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rapture {
namespace {

TEST(RetryQuota, TheAwsPresetStartsFullWithTheSdkConstants) {
  const RetryQuota q(RetryQuotaConfig::preset("aws"));
  EXPECT_EQ(q.available(), 500);
  EXPECT_EQ(q.config().retry_cost, 5);
  EXPECT_EQ(q.config().timeout_cost, 10);
  EXPECT_EQ(q.config().success_refill, 1);
  EXPECT_FALSE(q.open());
}

TEST(RetryQuota, ARetryTakesFiveTokensAfterAnErrorAndTenAfterATimeout) {
  RetryQuota q;
  EXPECT_EQ(q.take(false), 5);
  EXPECT_EQ(q.available(), 495);
  EXPECT_EQ(q.take(true), 10);
  EXPECT_EQ(q.available(), 485);
}

TEST(RetryQuota, RetriesStopWhenTheQuotaIsDrainedWhileFirstTriesNeverAskIt) {
  RetryQuota q;
  int retries = 0;
  while (q.allows(false)) {
    q.take(false);
    ++retries;
  }
  EXPECT_EQ(retries, 100);  // 500 / 5
  EXPECT_TRUE(q.open());
  EXPECT_EQ(q.available(), 0);
  EXPECT_FALSE(q.allows(true));
}

TEST(RetryQuota, ATimeoutRetryNeedsMoreThanAnErrorRetry) {
  RetryQuotaConfig c;
  c.capacity = 7;
  RetryQuota q(c);
  EXPECT_TRUE(q.allows(false));
  EXPECT_FALSE(q.allows(true));  // 7 < 10
  q.take(false);
  EXPECT_EQ(q.available(), 2);
  EXPECT_TRUE(q.open());
}

TEST(RetryQuota, ASuccessfulRetryGivesBackWhatItTookAndAFirstTrySuccessAddsOne) {
  RetryQuota q;
  for (int i = 0; i < 10; ++i) q.take(true);
  EXPECT_EQ(q.available(), 400);
  const int64_t taken = q.take(false);
  q.on_success(true, taken);
  EXPECT_EQ(q.available(), 400);
  q.on_success(false, 0);
  EXPECT_EQ(q.available(), 401);
}

TEST(RetryQuota, SuccessesCloseTheBreakerAgainOnceTheCostIsBack) {
  RetryQuota q;
  while (q.allows(false)) q.take(false);
  ASSERT_TRUE(q.open());
  for (int i = 0; i < 4; ++i) q.on_success(false, 0);
  EXPECT_TRUE(q.open());  // 4 < 5
  q.on_success(false, 0);
  EXPECT_FALSE(q.open());
  EXPECT_TRUE(q.allows(false));
}

TEST(RetryQuota, RefillsNeverGoAboveTheCapacity) {
  RetryQuota q;
  for (int i = 0; i < 50; ++i) q.on_success(false, 0);
  EXPECT_EQ(q.available(), 500);
  q.take(true);
  q.on_success(true, 10);
  q.on_success(true, 10);  // a refund with nothing taken still stops at the capacity
  EXPECT_EQ(q.available(), 500);
}

TEST(RetryQuota, BadSettingsAndUnknownPresetsAreRefusedNamingTheField) {
  RetryQuotaConfig c;
  c.capacity = 0;
  EXPECT_THROW(RetryQuota{c}, std::invalid_argument);
  c = {};
  c.retry_cost = -1;
  try {
    c.validate();
    FAIL() << "a negative cost was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("retry_cost"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RetryQuotaConfig::preset("azure"), std::invalid_argument);
}

}  // namespace
}  // namespace rapture
