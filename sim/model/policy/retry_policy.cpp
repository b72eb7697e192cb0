#include "model/policy/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {
// gRPC clamps maxAttempts to 5 by default and Linkerd's budgeted retries have no per-request
// limit; 100 bounds what a typo can cost while leaving room for "retry until the budget says no".
constexpr int64_t kMaxAttempts = 100;

void require(bool ok, const char* field, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("retry policy: ") + field + " " + what);
}
bool duration(double v) { return v >= 0 && std::isfinite(v); }  // false for NaN too

/// min(cap, base * multiplier^(retry-1)); pow overflowing to +inf still yields cap.
double exponential(const Backoff& b, int retry) {
  return std::min(b.cap, b.base * std::pow(b.multiplier, static_cast<double>(retry - 1)));
}
}  // namespace

double Backoff::delay(int retry, double previous, RandomStream& rng) const {
  retry = std::max(retry, 1);
  switch (kind) {
    case Kind::None: return 0;
    case Kind::Constant: return base;
    case Kind::Exponential: return exponential(*this, retry);
    case Kind::FullJitter: return rng.uniform() * exponential(*this, retry);
    case Kind::ProportionalJitter:
      // gRPC: current_backoff * absl::Uniform(1 - jitter, 1 + jitter), the cap applied first.
      return exponential(*this, retry) * (1 - jitter + 2 * jitter * rng.uniform());
    case Kind::DecorrelatedJitter: {
      // AWS: sleep = min(cap, random_between(base, sleep * 3)), sleep starting at base.
      const double prev = (retry == 1 || !(previous >= base)) ? base : previous;
      return std::min(cap, base + rng.uniform() * (3 * prev - base));
    }
  }
  return 0;
}

void Backoff::validate() const {
  require(kind == Kind::None || kind == Kind::Constant || kind == Kind::Exponential || kind == Kind::FullJitter ||
              kind == Kind::DecorrelatedJitter || kind == Kind::ProportionalJitter,
          "backoff.kind",
          "must be none, constant, exponential, full_jitter, decorrelated_jitter or proportional_jitter");
  require(duration(base), "backoff.base", "must be a finite duration >= 0");
  // A zero base makes every kind but None a silent "no delay"; gRPC and Envoy reject it too.
  require(kind == Kind::None || base > 0, "backoff.base", "must be > 0 (use kind none for no delay)");
  require(duration(cap), "backoff.cap", "must be a finite duration >= 0");
  require(cap >= base, "backoff.cap", "must not be below backoff.base (Envoy: max_interval >= base_interval)");
  require(multiplier >= 1 && std::isfinite(multiplier), "backoff.multiplier", "must be finite and >= 1");
  require(jitter >= 0 && jitter < 1, "backoff.jitter", "must be a fraction in [0, 1)");
}

RetryPolicy RetryPolicy::preset(std::string_view name) {
  RetryPolicy p;
  if (name == "none") {
    p.backoff.kind = Backoff::Kind::None;
    return p;
  }
  if (name == "envoy") {
    // Route RetryPolicy: num_retries defaults to 1; retry_on has no default, "5xx" is the usual
    // choice: any 5xx (error, overflow) and resets incl. per-try timeouts (timeout). Envoy never
    // retries its own circuit breaker's overflow (wouldRetryFromReset: Overflow -> no retry; and
    // x-envoy-overloaded responses are not retried). Back-off: base 25 ms, max 10 x base, full
    // jitter. Route timeout 15 s covers retries; per_try_timeout unset. The upstream request is
    // reset on timeout but the callee is not told to stop, and the deadline is only propagated
    // (x-envoy-expected-rq-timeout-ms) when the next hop opts in, so both stay off.
    p.max_attempts = 2;
    p.retry_on = {.timeout = true, .error = true, .overflow = true, .circuit_open = false};
    p.backoff = {.kind = Backoff::Kind::FullJitter, .base = 0.025, .multiplier = 2, .cap = 0.25};
    p.deadline = 15;
    return p;
  }
  if (name == "linkerd") {
    // ServiceProfile isRetryable: "retry any failed requests until either the timeout is reached
    // or the retry budget is exceeded": no per-request limit (100 here), retried at once (the
    // proxy's policy has no back-off), failures are responses its classes call failures (5xx by
    // default): error and overflow; transport errors and timeouts are not retried. The route
    // timeout (10 s by default) includes retries. Pair with RetryBudget::preset("linkerd").
    p.max_attempts = kMaxAttempts;
    p.retry_on = {.timeout = false, .error = true, .overflow = true, .circuit_open = false};
    p.backoff = {.kind = Backoff::Kind::None, .base = 0, .multiplier = 1, .cap = 0};
    p.deadline = 10;
    return p;
  }
  if (name == "grpc") {
    // gRPC has no retries unless the service config sets a retryPolicy; this is gRFC A6's
    // example: maxAttempts 4, initialBackoff 0.1 s, maxBackoff 1 s, backoffMultiplier 2,
    // retryableStatusCodes [UNAVAILABLE]. UNAVAILABLE means "not processed": an overflow
    // (rejected, or a proxy's 503); a callee that processed the call and failed answers
    // INTERNAL/UNKNOWN, not retried. A6 has no per-try timeout and deadlines are never retried.
    // No default deadline; deadlines propagate and cancellation reaches the server. The delay is
    // gRPC core's (retry filter: BackOff with jitter 0.2), the current A6, not its first full
    // jitter; a maxAttempts above 5 is lowered to 5 (retry_service_config.cc).
    p.max_attempts = 4;
    p.retry_on = {.timeout = false, .error = false, .overflow = true, .circuit_open = false};
    p.backoff = {.kind = Backoff::Kind::ProportionalJitter, .base = 0.1, .multiplier = 2, .cap = 1, .jitter = 0.2};
    p.propagate_deadline = true;
    p.cancel_on_timeout = true;
    p.attempts_limit = 5;
    return p;
  }
  if (name == "resilience4j") {
    // RetryConfig defaults: maxAttempts 3, waitDuration 500 ms fixed, retryOnException any.
    // With the usual decoration order Retry(CircuitBreaker(TimeLimiter(Bulkhead(call)))) the
    // breaker's CallNotPermittedException, TimeLimiter's TimeoutException and the bulkhead's
    // BulkheadFullException are exceptions like any other, so every RetryOn class is retried.
    p.max_attempts = 3;
    p.retry_on = {.timeout = true, .error = true, .overflow = true, .circuit_open = true};
    p.backoff = {.kind = Backoff::Kind::Constant, .base = 0.5, .multiplier = 1, .cap = 0.5};
    return p;
  }
  if (name == "hystrix") {
    // Hystrix does not retry; execution.isolation.thread.timeoutInMilliseconds = 1000 bounds
    // each execution. interruptOnTimeout interrupts the caller's thread, not the remote callee.
    p.max_attempts = 1;
    p.retry_on = {.timeout = false, .error = false, .overflow = false, .circuit_open = false};
    p.backoff.kind = Backoff::Kind::None;
    p.per_try_timeout = 1;
    return p;
  }
  throw std::invalid_argument("unknown retry policy preset '" + std::string(name) +
                              "' (expected none, envoy, linkerd, grpc, resilience4j or hystrix)");
}

bool RetryPolicy::limit_attempts() {
  if (attempts_limit <= 0 || max_attempts <= attempts_limit) return false;
  attempts_requested = max_attempts;
  max_attempts = attempts_limit;
  return true;
}

std::string RetryPolicy::note() const {
  if (attempts_requested == 0) return "";
  return "max_attempts " + std::to_string(attempts_requested) + " lowered to " + std::to_string(max_attempts) +
         ", as gRPC clamps retryPolicy.maxAttempts";
}

void RetryPolicy::validate() const {
  require(max_attempts >= 1 && max_attempts <= kMaxAttempts, "max_attempts",
          "must be in [1, " + std::to_string(kMaxAttempts) + "] (total tries, the first included), got " +
              std::to_string(max_attempts));
  require(duration(per_try_timeout), "per_try_timeout", "must be a finite duration >= 0 (0: none)");
  require(duration(deadline), "deadline", "must be a finite duration >= 0 (0: none)");
  require(per_try_timeout == 0 || deadline == 0 || per_try_timeout <= deadline, "per_try_timeout",
          "must not exceed deadline: the deadline would always end the first try");
  backoff.validate();
}

}  // namespace rapture
