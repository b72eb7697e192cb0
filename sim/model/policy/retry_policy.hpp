#pragma once
/// A caller's retry policy with the semantics of the libraries people run (Envoy's route
/// RetryPolicy, Linkerd's ServiceProfile retries, gRPC's service-config retryPolicy,
/// resilience4j's Retry, Hystrix), so that an architect can paste their settings. It is plain
/// data: the simulation decides, at each failed attempt, whether `retry_on` covers the failure,
/// whether attempts, deadline and the retry budget (retry_budget.hpp) leave room, and waits
/// `backoff.delay(...)` before the next try. Drawing a delay allocates nothing.

#include <cstdint>
#include <string>
#include <string_view>

#include "model/random_stream.hpp"

namespace rapture {

/// Which failures a retry is attempted on.
struct RetryOn {
  bool timeout = true;        ///< the attempt's per-try timeout expired (the overall deadline is never retried)
  bool error = true;          ///< the callee answered with a failure (5xx, a failed dependency)
  bool overflow = true;       ///< the callee's queue was full and rejected the call at once
  bool circuit_open = false;  ///< the caller's own circuit breaker refused the call
};

/// The wait before a retry. Formulas (n = retry number, 1 for the first retry):
/// Constant: base. Exponential: min(cap, base * multiplier^(n-1)).
/// ProportionalJitter: min(cap, base * multiplier^(n-1)) * uniform[1 - jitter, 1 + jitter) — gRPC
/// core's retries (BackOff::NextAttemptDelay in src/core/util/backoff.cc with the retry filter's
/// RETRY_BACKOFF_JITTER 0.2), the current gRFC A6; the jitter is applied after the cap, so a
/// delay reaches cap * (1 + jitter).
/// FullJitter: uniform[0, min(cap, base * multiplier^(n-1))) — AWS "full jitter", the first
/// (superseded) text of gRFC A6 and Envoy's JitteredExponentialBackOffStrategy (random %
/// interval, the interval doubling from base to max).
/// DecorrelatedJitter: min(cap, uniform[base, 3 * previous)), previous = base before the first
/// retry — AWS "decorrelated jitter" (and Polly's); the factor 3 is AWS's, `multiplier` is unused.
struct Backoff {
  enum class Kind { None, Constant, Exponential, FullJitter, DecorrelatedJitter, ProportionalJitter };
  Kind kind = Kind::Exponential;
  double base = 0.025;    ///< seconds: the first (or constant) delay
  double multiplier = 2;  ///< growth per retry (Exponential, FullJitter, ProportionalJitter)
  double cap = 0.25;      ///< seconds: no delay exceeds it (ProportionalJitter: before its jitter)
  double jitter = 0.2;    ///< ProportionalJitter: the delay varies by this fraction either way, in [0, 1)
  /// Delay before retry number `retry` (1 = first retry); `previous` = the previous delay (decorrelated jitter uses
  /// it).
  double delay(int retry, double previous, RandomStream& rng) const;
  /// Throws std::invalid_argument naming the field: negative or non-finite durations, cap < base, multiplier < 1,
  /// jitter outside [0, 1).
  void validate() const;
};

struct RetryPolicy {
  int64_t max_attempts = 1;  ///< total tries including the first (1 = no retry)
  RetryOn retry_on;
  Backoff backoff;
  double per_try_timeout = 0;       ///< seconds, 0 = none
  double deadline = 0;              ///< overall timeout including retries and backoff (Envoy route timeout), 0 = none
  bool propagate_deadline = false;  ///< gRPC style: the callee's calls inherit the remaining deadline
  bool cancel_on_timeout = false;   ///< the callee stops working on a call its caller gave up on

  /// gRPC lowers a larger maxAttempts to 5 (MAX_MAX_RETRY_ATTEMPTS in
  /// src/core/client_channel/retry_service_config.cc, with a logged error); 0: no such limit.
  int64_t attempts_limit = 0;
  /// max_attempts as written, when limit_attempts() lowered it; else 0.
  int64_t attempts_requested = 0;

  /// Named presets, each the library's defaults or its documented typical configuration:
  /// "none"; "envoy" (num_retries 1, retry_on 5xx, 25 ms/250 ms full jitter, route timeout 15 s);
  /// "linkerd" (ServiceProfile isRetryable: no per-request limit but the budget, so 100 attempts,
  /// no backoff, 5xx only, route timeout 10 s); "grpc" (gRFC A6 example: maxAttempts 4,
  /// 0.1 s/1 s x2 with ±20 % jitter, UNAVAILABLE, deadline propagated, at most 5 attempts);
  /// "resilience4j" (maxAttempts 3, waitDuration 500 ms, every exception); "hystrix" (no retry,
  /// 1 s timeout). See the .cpp for the mapping of each library's failure classes onto RetryOn.
  /// Throws std::invalid_argument for an unknown name, listing the known ones.
  static RetryPolicy preset(std::string_view name);
  /// Lowers max_attempts to attempts_limit (when set and exceeded), keeping the value written in
  /// attempts_requested; true when it did. Call after the settings are read, before validate().
  bool limit_attempts();
  /// What a user should be told about the settings as read ("" when nothing): a lowered max_attempts.
  [[nodiscard]] std::string note() const;
  /// Throws std::invalid_argument naming the field: max_attempts < 1 or > 100, per_try_timeout > deadline (when both
  /// set), negative durations, cap < base, multiplier < 1, ...
  void validate() const;
};

}  // namespace rapture
