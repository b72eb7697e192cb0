#pragma once
/// Retry budgets: the limits a client puts on its retries as a whole, with the semantics of
/// the library that runs them, as a plain state machine on the simulated clock (`now`, seconds).
///  - Envoy (cluster circuit_breakers retry_budget): concurrent retries are limited to
///    max(min_retry_concurrency, budget_percent % of the cluster's active + pending requests),
///    Envoy's arithmetic (the percentage is truncated to a whole number of retries).
///  - Linkerd (ServiceProfile retryBudget): tower's TpsBudget, which linkerd2-proxy runs:
///    10 slots of ttl/10; a request whose outcome is not retried deposits, a retry withdraws;
///    a retry is allowed while reserve + deposits - withdrawals over the window >= one
///    withdrawal, with integer amounts (ratio <= 1: deposit 1, withdraw trunc(1/ratio)) and
///    reserve = min_retries_per_second * whole seconds of ttl * withdrawal.
///  - gRPC (service config retryThrottling, gRFC A6): a token bucket per server, in thousandths
///    as gRPC's C core keeps it; a retryable failure takes 1, a success adds token_ratio, retries
///    and hedges only while tokens > max_tokens / 2.
///  - None: always allowed.
/// The caller reports events in this order for each attempt: `on_request` when it is sent and
/// `on_request_done` when it ends; then its outcome (`on_success`, or `on_failure`); then, for a
/// failure the retry policy covers with attempts and time left, `allow_retry` and, if true,
/// `on_retry` when the retry is decided (before its back-off) and `on_retry_done` when that retry
/// attempt ends or is abandoned. Every call is O(1) and allocates nothing.

#include <array>
#include <cstdint>
#include <string_view>

namespace rapture {

struct RetryBudgetConfig {
  enum class Kind { None, Envoy, Linkerd, Grpc };
  Kind kind = Kind::None;

  // Envoy (envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget)
  double budget_percent = 20;          ///< percent of active + pending requests that may be retries
  uint32_t min_retry_concurrency = 3;  ///< retries always allowed concurrently, however few the requests

  // Linkerd (ServiceProfile spec.retryBudget)
  double retry_ratio = 0.2;              ///< retries per request over the window (retryRatio)
  uint32_t min_retries_per_second = 10;  ///< retries allowed on top, per second of ttl (minRetriesPerSecond)
  double ttl = 10;                       ///< seconds a request or retry is remembered, in [1, 60]

  // gRPC (service config retryThrottling)
  uint32_t max_tokens = 10;  ///< bucket size and starting count, in [1, 1000] (maxTokens)
  double token_ratio = 0.1;  ///< tokens a success adds (tokenRatio), >= 0.001: decimals past the third are dropped

  /// "none"; "envoy" (retry_budget with its defaults: 20 %, 3); "envoy_max_retries" (a cluster
  /// without retry_budget: the max_retries circuit breaker, 3 concurrent retries, which is the
  /// Envoy kind with budget_percent 0); "linkerd" (0.2, 10/s, 10 s); "grpc" (gRFC A6's example:
  /// maxTokens 10, tokenRatio 0.1). Throws std::invalid_argument for an unknown name, listing the known ones.
  static RetryBudgetConfig preset(std::string_view name);
  /// Throws std::invalid_argument naming the field for out-of-range settings of the selected kind.
  void validate() const;
};

class RetryBudget {
 public:
  /// Validates `config` (std::invalid_argument); Linkerd's window starts at `start`.
  explicit RetryBudget(RetryBudgetConfig config = {}, double start = 0);
  /// A budget with the named preset's settings (see RetryBudgetConfig::preset).
  static RetryBudget preset(std::string_view name, double start = 0);

  /// Whether a retry may start at `now`: Envoy's canCreate, Linkerd's withdraw check, gRPC's throttle check.
  bool allow_retry(double now);
  /// An attempt (original or retry) is sent: Envoy counts it among the active requests.
  void on_request(double now);
  /// A retry was decided (call before its back-off): Envoy holds a retry slot, Linkerd withdraws.
  void on_retry(double now);
  /// The retry attempt ended or was abandoned: Envoy frees its retry slot.
  void on_retry_done();
  /// An attempt sent with on_request ended: Envoy's active requests shrink.
  void on_request_done();
  /// An attempt succeeded: gRPC adds token_ratio, Linkerd deposits.
  void on_success(double now);
  /// An attempt failed; `retryable` = the retry policy covers this failure. gRPC takes a token
  /// for a retryable failure only (A6); Linkerd deposits for a failure it will not retry.
  void on_failure(double now, bool retryable = true);

  [[nodiscard]] const RetryBudgetConfig& config() const { return config_; }
  /// Envoy: retries holding a slot.
  [[nodiscard]] int64_t active_retries() const { return active_retries_; }
  /// Envoy: attempts in flight.
  [[nodiscard]] int64_t active_requests() const { return active_requests_; }
  /// Envoy: the current limit on concurrent retries.
  [[nodiscard]] int64_t max_retries() const;
  /// gRPC: the token count (tokens, not thousandths).
  [[nodiscard]] double tokens() const { return static_cast<double>(milli_tokens_) / 1000.0; }
  /// Linkerd: reserve + deposits - withdrawals over the window, in tower's units, as of the last call.
  [[nodiscard]] int64_t balance() const;

 private:
  static constexpr size_t kSlots = 10;  // tower's TpsBudget windows
  /// tower's TpsBucket::expire: commits the current slot and clears the ones time passed over.
  void expire(double now);
  void deposit(double now);

  RetryBudgetConfig config_;
  // Envoy
  int64_t active_retries_ = 0, active_requests_ = 0;
  // Linkerd
  int64_t deposit_amount_ = 0, withdraw_amount_ = 1, reserve_ = 0;
  std::array<int64_t, kSlots> slots_{};
  int64_t writer_ = 0;
  size_t index_ = 0;
  double generation_time_ = 0, window_ = 1;
  // gRPC
  int64_t milli_tokens_ = 0, max_milli_tokens_ = 0, milli_ratio_ = 0;
};

}  // namespace rapture
