#pragma once
/// A retry circuit breaker that gates only retries: the AWS SDKs' retry quota ("standard" retry
/// mode, the same in every SDK: aws-sdk-js-v3 defaultRetryQuota, aws-smithy-runtime TokenBucket,
/// the Java SDK v2's StandardRetryStrategy with circuitBreakerEnabled), as a plain state machine.
/// First tries always go. A retry needs `retry_cost` tokens (`timeout_cost` after a timeout or
/// another transient error); while fewer are left the breaker is open and failures are returned
/// without retrying. A call that succeeds gives back what its last retry took, or
/// `success_refill` when it succeeded without a retry, never above `capacity`. So under a
/// sustained failure rate the quota drains and retries stop; successes refill it.
///
/// Unlike the retry budgets (model/policy/retry_budget.hpp: Envoy counts concurrent retries,
/// Linkerd a ratio over a time window, gRPC a token bucket that a *failure* drains and that
/// allows retries above half), this quota charges the *retry* itself, refunds it on success and
/// has no time in it. Every call is O(1) and allocates nothing.

#include <cstdint>
#include <string_view>

namespace rapture {

struct RetryQuotaConfig {
  int64_t capacity = 500;      ///< tokens when full, and at the start (INITIAL_RETRY_TOKENS)
  int64_t retry_cost = 5;      ///< tokens a retry after an error takes (RETRY_COST)
  int64_t timeout_cost = 10;   ///< tokens a retry after a timeout takes (TIMEOUT_RETRY_COST)
  int64_t success_refill = 1;  ///< tokens a call that succeeded at its first try adds (NO_RETRY_INCREMENT)

  /// "aws": the SDKs' standard retry mode (500, 5, 10, 1). Throws std::invalid_argument for another name.
  static RetryQuotaConfig preset(std::string_view name);
  /// Throws std::invalid_argument naming the field for a negative cost or a capacity below 1.
  void validate() const;
};

class RetryQuota {
 public:
  /// Validates `config` (std::invalid_argument); starts full.
  explicit RetryQuota(RetryQuotaConfig config = {});

  /// Whether a retry after a failure (`timeout`: a timeout or transient error) may go: its cost is left.
  [[nodiscard]] bool allows(bool timeout) const { return available_ >= cost(timeout); }
  /// The retry goes: takes its cost and returns it (what a success of the retry gives back).
  int64_t take(bool timeout);
  /// The call succeeded; `taken` is what its last retry took when it `retried`.
  void on_success(bool retried, int64_t taken);

  /// Tokens left.
  [[nodiscard]] int64_t available() const { return available_; }
  /// Open: not even a retry after an error may go.
  [[nodiscard]] bool open() const { return available_ < config_.retry_cost; }
  [[nodiscard]] const RetryQuotaConfig& config() const { return config_; }

 private:
  [[nodiscard]] int64_t cost(bool timeout) const { return timeout ? config_.timeout_cost : config_.retry_cost; }

  RetryQuotaConfig config_;
  int64_t available_;
};

}  // namespace rapture
