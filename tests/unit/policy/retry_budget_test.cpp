#include "model/policy/retry_budget.hpp"

#include <gtest/gtest.h>

#include "support/validation.hpp"

#include <stdexcept>
#include <string>

namespace rapture {
namespace {

using Kind = RetryBudgetConfig::Kind;

using testing::validation_error;

/// Starts retries at `now` while the budget allows, up to `limit`; returns how many started.
int retries_allowed(RetryBudget& b, double now, int limit = 10'000) {
  int n = 0;
  while (n < limit && b.allow_retry(now)) {
    b.on_retry(now);
    ++n;
  }
  return n;
}

RetryBudgetConfig linkerd(double ratio, uint32_t min_per_second, double ttl) {
  RetryBudgetConfig c;
  c.kind = Kind::Linkerd;
  c.retry_ratio = ratio;
  c.min_retries_per_second = min_per_second;
  c.ttl = ttl;
  return c;
}

// ---- none ----

TEST(RetryBudget, NoneAlwaysAllows) {
  RetryBudget b;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(b.allow_retry(i * 0.001));
    b.on_retry(i * 0.001);
    b.on_failure(i * 0.001);
  }
}

// ---- Envoy ----

TEST(RetryBudget, EnvoyBudgetAllowsMinConcurrencyWhenIdle) {
  RetryBudget b = RetryBudget::preset("envoy");
  EXPECT_EQ(retries_allowed(b, 0), 3);  // no active request: max(0, min_retry_concurrency 3)
}

TEST(RetryBudget, EnvoyBudgetScalesWithActiveRequests) {
  RetryBudget b = RetryBudget::preset("envoy");
  for (int i = 0; i < 100; ++i) b.on_request(0);
  EXPECT_EQ(b.max_retries(), 20);  // 20 % of 100
  EXPECT_EQ(retries_allowed(b, 0), 20);
}

TEST(RetryBudget, EnvoyBudgetTruncatesThePercentage) {
  RetryBudget b = RetryBudget::preset("envoy");
  for (int i = 0; i < 24; ++i) b.on_request(0);
  EXPECT_EQ(b.max_retries(), 4);  // 4.8 -> 4, as Envoy's uint64 conversion
  for (int i = 0; i < 5; ++i) b.on_request(0);
  EXPECT_EQ(b.max_retries(), 5);  // 29 * 0.2 = 5.8 -> 5
}

TEST(RetryBudget, EnvoyRetryDoneFreesARetrySlot) {
  RetryBudget b = RetryBudget::preset("envoy");
  EXPECT_EQ(retries_allowed(b, 0), 3);
  EXPECT_FALSE(b.allow_retry(0));
  b.on_retry_done();
  EXPECT_TRUE(b.allow_retry(0));
}

TEST(RetryBudget, EnvoyRequestDoneShrinksTheBudget) {
  RetryBudget b = RetryBudget::preset("envoy");
  for (int i = 0; i < 50; ++i) b.on_request(0);
  EXPECT_EQ(b.max_retries(), 10);
  for (int i = 0; i < 30; ++i) b.on_request_done();
  EXPECT_EQ(b.max_retries(), 4);
  for (int i = 0; i < 100; ++i) b.on_request_done();  // extra calls do not go negative
  EXPECT_EQ(b.active_requests(), 0);
  EXPECT_EQ(b.max_retries(), 3);
}

TEST(RetryBudget, EnvoyMaxRetriesPresetIsAFixedLimit) {
  RetryBudget b = RetryBudget::preset("envoy_max_retries");
  for (int i = 0; i < 1000; ++i) b.on_request(0);
  EXPECT_EQ(retries_allowed(b, 0), 3);
}

TEST(RetryBudget, EnvoyOutcomesDoNotChangeTheBudget) {
  RetryBudget b = RetryBudget::preset("envoy");
  for (int i = 0; i < 100; ++i) b.on_failure(0);
  EXPECT_EQ(retries_allowed(b, 0), 3);
}

// ---- Linkerd ----

TEST(RetryBudget, LinkerdBudgetRatioOverTtl) {
  RetryBudget b(linkerd(0.2, 0, 10));
  for (int i = 0; i < 10; ++i) b.on_success(0.5);
  EXPECT_EQ(retries_allowed(b, 0.6), 2);  // 0.2 x 10 requests
  // More requests later in the same window add to the same allowance.
  for (int i = 0; i < 5; ++i) b.on_success(4.2);
  EXPECT_EQ(retries_allowed(b, 4.3), 1);
}

TEST(RetryBudget, LinkerdMinRetriesPerSecondIsAReserveOverTtl) {
  RetryBudget b = RetryBudget::preset("linkerd");  // 10/s over 10 s
  EXPECT_EQ(retries_allowed(b, 0.1), 100);
  // The reserve is not a rate: the same second gets no more.
  EXPECT_EQ(retries_allowed(b, 0.9), 0);
}

TEST(RetryBudget, LinkerdRetriesExpireAfterTtl) {
  RetryBudget b = RetryBudget::preset("linkerd");
  EXPECT_EQ(retries_allowed(b, 0.1), 100);
  EXPECT_EQ(retries_allowed(b, 9.5), 0);     // still within the window
  EXPECT_EQ(retries_allowed(b, 11.5), 100);  // the withdrawals have left the window
}

TEST(RetryBudget, LinkerdDepositsExpireAfterTtl) {
  RetryBudget early(linkerd(0.2, 0, 10)), late(linkerd(0.2, 0, 10));
  for (int i = 0; i < 10; ++i) {
    early.on_success(0);
    late.on_success(0);
  }
  EXPECT_TRUE(early.allow_retry(9.5));
  EXPECT_FALSE(late.allow_retry(10.5));
}

TEST(RetryBudget, LinkerdRetryableFailuresDoNotDeposit) {
  RetryBudget b(linkerd(1.0, 0, 10));
  for (int i = 0; i < 10; ++i) b.on_failure(0.5, /*retryable=*/true);
  EXPECT_FALSE(b.allow_retry(0.5));
}

TEST(RetryBudget, LinkerdNonRetryableFailuresDeposit) {
  RetryBudget b(linkerd(1.0, 0, 10));
  for (int i = 0; i < 3; ++i) b.on_failure(0.5, /*retryable=*/false);
  EXPECT_EQ(retries_allowed(b, 0.5), 3);
}

TEST(RetryBudget, LinkerdRatioIsTruncatedToWholeWithdrawals) {
  // tower: withdraw = (1/0.4) as isize = 2, so 0.4 behaves as one retry per 2 requests.
  RetryBudget b(linkerd(0.4, 0, 10));
  for (int i = 0; i < 10; ++i) b.on_success(0.5);
  EXPECT_EQ(retries_allowed(b, 0.5), 5);  // a plain 0.4 x 10 would give 4, rounding 1/0.4 up 3
}

TEST(RetryBudget, LinkerdReserveUsesWholeSecondsOfTtl) {
  RetryBudget b(linkerd(0.2, 10, 2.5));  // Duration::as_secs: 10/s x 2 s
  EXPECT_EQ(retries_allowed(b, 0.1), 20);
}

// The three scenarios of tower's own TpsBudget tests (tps_leaky, tps_slots, tps_reserve).
TEST(RetryBudget, LinkerdWindowMatchesTowersTests) {
  {
    RetryBudget b(linkerd(1.0, 0, 1));
    b.on_success(0);
    EXPECT_FALSE(b.allow_retry(3));  // leaky: a deposit is gone 3 s later
  }
  {
    RetryBudget b(linkerd(0.5, 0, 1));
    b.on_success(0);
    b.on_success(0);
    EXPECT_TRUE(b.allow_retry(0.901));  // 900 ms later, the deposits are still valid
    b.on_retry(0.901);
    b.on_success(2.902);  // blank slate
    b.on_success(3.203);
    b.on_success(4.004);
    EXPECT_TRUE(b.allow_retry(4.004));  // the first expired; the second and third combine
  }
  {
    RetryBudget b(linkerd(1.0, 5, 1));
    EXPECT_EQ(retries_allowed(b, 0), 5);
  }
}

TEST(RetryBudget, LinkerdLongIdleGapClearsTheWindow) {
  RetryBudget b(linkerd(1.0, 0, 10));
  for (int i = 0; i < 50; ++i) b.on_success(1);
  EXPECT_FALSE(b.allow_retry(1e7));  // skips ~10^6 windows at O(slots)
  b.on_success(1e7 + 0.5);
  EXPECT_EQ(retries_allowed(b, 1e7 + 0.6), 1);
}

// ---- gRPC ----

TEST(RetryBudget, GrpcThrottlingStopsRetriesAtHalfTheTokens) {
  RetryBudget b = RetryBudget::preset("grpc");  // 10 tokens, threshold 5
  EXPECT_TRUE(b.allow_retry(0));
  for (int i = 0; i < 4; ++i) b.on_failure(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 6);
  EXPECT_TRUE(b.allow_retry(0));
  b.on_failure(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 5);
  EXPECT_FALSE(b.allow_retry(0));  // <= max_tokens / 2
}

TEST(RetryBudget, GrpcSuccessesRefillByTheTokenRatio) {
  RetryBudget b = RetryBudget::preset("grpc");
  for (int i = 0; i < 5; ++i) b.on_failure(0);
  EXPECT_FALSE(b.allow_retry(0));  // 5 tokens
  b.on_success(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 5.1);
  EXPECT_TRUE(b.allow_retry(0));
  b.on_failure(0);
  for (int i = 0; i < 9; ++i) b.on_success(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 5);
  EXPECT_FALSE(b.allow_retry(0));
  b.on_success(0);
  EXPECT_TRUE(b.allow_retry(0));
}

TEST(RetryBudget, GrpcTokenCountIsExactInThousandths) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("grpc");
  c.token_ratio = 0.2;
  RetryBudget b(c);
  for (int i = 0; i < 7; ++i) b.on_failure(0);
  for (int i = 0; i < 10; ++i) b.on_success(0);
  // 3 + 10 x 0.2 is exactly the threshold; summed in doubles it is 5.000000000000002 and a
  // retry would slip through.
  EXPECT_FALSE(b.allow_retry(0));
}

TEST(RetryBudget, GrpcTokensStayWithinZeroAndMax) {
  RetryBudget b = RetryBudget::preset("grpc");
  for (int i = 0; i < 50; ++i) b.on_success(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 10);
  for (int i = 0; i < 50; ++i) b.on_failure(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 0);
  for (int i = 0; i < 51; ++i) b.on_success(0);
  EXPECT_DOUBLE_EQ(b.tokens(), 5.1);  // recovery starts from 0, not from -40
  EXPECT_TRUE(b.allow_retry(0));
}

TEST(RetryBudget, GrpcNonRetryableFailuresDoNotCount) {
  RetryBudget b = RetryBudget::preset("grpc");
  for (int i = 0; i < 10; ++i) b.on_failure(0, /*retryable=*/false);
  EXPECT_DOUBLE_EQ(b.tokens(), 10);
}

TEST(RetryBudget, GrpcRetriesThemselvesCostNothing) {
  RetryBudget b = RetryBudget::preset("grpc");
  EXPECT_EQ(retries_allowed(b, 0, 1000), 1000);
}

// ---- presets and validation ----

TEST(RetryBudget, PresetsHaveTheLibrariesDefaults) {
  const RetryBudgetConfig envoy = RetryBudgetConfig::preset("envoy");
  EXPECT_EQ(envoy.kind, Kind::Envoy);
  EXPECT_DOUBLE_EQ(envoy.budget_percent, 20);
  EXPECT_EQ(envoy.min_retry_concurrency, 3u);
  const RetryBudgetConfig l = RetryBudgetConfig::preset("linkerd");
  EXPECT_EQ(l.kind, Kind::Linkerd);
  EXPECT_DOUBLE_EQ(l.retry_ratio, 0.2);
  EXPECT_EQ(l.min_retries_per_second, 10u);
  EXPECT_DOUBLE_EQ(l.ttl, 10);
  const RetryBudgetConfig g = RetryBudgetConfig::preset("grpc");
  EXPECT_EQ(g.kind, Kind::Grpc);
  EXPECT_EQ(g.max_tokens, 10u);
  EXPECT_DOUBLE_EQ(g.token_ratio, 0.1);
  EXPECT_EQ(RetryBudgetConfig::preset("none").kind, Kind::None);
  for (const char* name : {"none", "envoy", "envoy_max_retries", "linkerd", "grpc"}) {
    EXPECT_EQ(validation_error(RetryBudgetConfig::preset(name)), "") << name;
  }
}

TEST(RetryBudget, UnknownPresetIsRejected) {
  try {
    RetryBudget::preset("finagle");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'finagle'"), std::string::npos) << m;
    for (const char* known : {"none", "envoy", "envoy_max_retries", "linkerd", "grpc"}) {
      EXPECT_NE(m.find(known), std::string::npos) << m << " should list " << known;
    }
  }
}

TEST(RetryBudget, EnvoyBudgetPercentOutsideZeroToHundredIsRejected) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("envoy");
  c.budget_percent = 120;
  EXPECT_NE(validation_error(c).find("budget_percent"), std::string::npos);
  c.budget_percent = -1;
  EXPECT_NE(validation_error(c).find("budget_percent"), std::string::npos);
}

TEST(RetryBudget, LinkerdTtlOutsideOneToSixtySecondsIsRejected) {
  EXPECT_NE(validation_error(linkerd(0.2, 10, 0.5)).find("ttl"), std::string::npos);
  EXPECT_NE(validation_error(linkerd(0.2, 10, 61)).find("ttl"), std::string::npos);
  EXPECT_EQ(validation_error(linkerd(0.2, 10, 60)), "");
}

TEST(RetryBudget, LinkerdRatioOutOfRangeIsRejected) {
  EXPECT_NE(validation_error(linkerd(-0.1, 10, 10)).find("retry_ratio"), std::string::npos);
  EXPECT_NE(validation_error(linkerd(1001, 10, 10)).find("retry_ratio"), std::string::npos);
  EXPECT_EQ(validation_error(linkerd(0, 10, 10)), "");  // only the reserve
}

TEST(RetryBudget, GrpcMaxTokensOutOfRangeIsRejected) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("grpc");
  c.max_tokens = 0;
  EXPECT_NE(validation_error(c).find("max_tokens"), std::string::npos);
  c.max_tokens = 1001;
  EXPECT_NE(validation_error(c).find("max_tokens"), std::string::npos);
  c.max_tokens = 1000;
  EXPECT_EQ(validation_error(c), "");
}

// gRPC reads tokenRatio's text and keeps three decimals, dropping the rest ("We support up to 3
// decimal digits": RetryGlobalConfig::JsonPostLoad, src/core/client_channel/retry_service_config.cc).
TEST(RetryBudget, GrpcTokenRatioBeyondThreeDecimalsIsTruncatedNotRejected) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("grpc");
  c.token_ratio = 0.1239;
  EXPECT_EQ(validation_error(c), "");
  RetryBudget b(c);
  b.on_failure(0, true);  // 10 -> 9 tokens
  b.on_success(0);        // + 0.123, not 0.1239 nor 0.124
  EXPECT_DOUBLE_EQ(b.tokens(), 9.123);
}

TEST(RetryBudget, GrpcTokenRatioBelowOneThousandthIsRejected) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("grpc");
  c.token_ratio = 0;
  EXPECT_NE(validation_error(c).find("token_ratio"), std::string::npos);
  c.token_ratio = 0.0009;  // truncated to 0 thousandths: gRPC's "must be greater than 0"
  EXPECT_NE(validation_error(c).find("token_ratio"), std::string::npos);
  c.token_ratio = 0.001;
  EXPECT_EQ(validation_error(c), "");
}

TEST(RetryBudget, ConstructorValidates) {
  RetryBudgetConfig c = RetryBudgetConfig::preset("grpc");
  c.max_tokens = 0;
  EXPECT_THROW(RetryBudget{c}, std::invalid_argument);
}

}  // namespace
}  // namespace rapture
