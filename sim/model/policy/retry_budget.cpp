#include "model/policy/retry_budget.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace rapture {

namespace {
void require(bool ok, const char* field, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("retry budget: ") + field + " " + what);
}

/// tokenRatio in thousandths as gRPC reads it (RetryGlobalConfig::JsonPostLoad in
/// src/core/client_channel/retry_service_config.cc): from its decimal text, digits past the third
/// decimal dropped. The shortest text of the double is the decimal the scenario wrote.
int64_t milli_token_ratio(double ratio) {
  if (!(ratio > 0) || ratio > 1e6) return 0;  // validate() names the field
  std::array<char, 64> text{};
  const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), ratio, std::chars_format::fixed);
  if (ec != std::errc()) return 0;
  int64_t milli = 0;
  int decimals = -1;  // -1: before the decimal point
  for (const char* c = text.data(); c != end && decimals < 3; ++c) {
    if (*c == '.') {
      decimals = 0;
      continue;
    }
    milli = milli * 10 + (*c - '0');
    if (decimals >= 0) ++decimals;
  }
  for (int d = std::max(decimals, 0); d < 3; ++d) milli *= 10;
  return milli;
}
}  // namespace

RetryBudgetConfig RetryBudgetConfig::preset(std::string_view name) {
  RetryBudgetConfig c;
  if (name == "none") return c;
  if (name == "envoy") {
    c.kind = Kind::Envoy;  // budget_percent 20, min_retry_concurrency 3: the proto's defaults
    return c;
  }
  if (name == "envoy_max_retries") {
    // Without retry_budget, the cluster's max_retries threshold (default 3) caps concurrent
    // retries whatever the traffic: max(0 % of anything, 3).
    c.kind = Kind::Envoy;
    c.budget_percent = 0;
    c.min_retry_concurrency = 3;
    return c;
  }
  if (name == "linkerd") {
    c.kind = Kind::Linkerd;  // retryRatio 0.2, minRetriesPerSecond 10, ttl 10 s: Linkerd's defaults
    return c;
  }
  if (name == "grpc") {
    c.kind = Kind::Grpc;  // gRFC A6's example; gRPC does not throttle unless configured
    return c;
  }
  throw std::invalid_argument("unknown retry budget preset '" + std::string(name) +
                              "' (expected none, envoy, envoy_max_retries, linkerd or grpc)");
}

void RetryBudgetConfig::validate() const {
  require(kind == Kind::None || kind == Kind::Envoy || kind == Kind::Linkerd || kind == Kind::Grpc, "kind",
          "must be none, envoy, linkerd or grpc");
  if (kind == Kind::Envoy) {
    require(budget_percent >= 0 && budget_percent <= 100, "budget_percent", "must be a percentage in [0, 100]");
  }
  if (kind == Kind::Linkerd) {
    // tower's TpsBudget asserts these bounds (taken from Finagle's RetryBudget).
    require(ttl >= 1 && ttl <= 60, "ttl", "must be between 1 s and 60 s");
    require(retry_ratio == 0 || (retry_ratio >= 1e-6 && retry_ratio <= 1000), "retry_ratio",
            "must be 0 or in [0.000001, 1000]");
    require(min_retries_per_second < static_cast<uint32_t>(std::numeric_limits<int32_t>::max()),
            "min_retries_per_second", "must be below 2^31 - 1");
  }
  if (kind == Kind::Grpc) {
    require(max_tokens >= 1 && max_tokens <= 1000, "max_tokens", "must be in [1, 1000]");
    require(token_ratio > 0 && token_ratio <= 1000, "token_ratio", "must be > 0 (and at most 1000)");
    require(milli_token_ratio(token_ratio) > 0, "token_ratio",
            "must be at least 0.001: gRPC keeps three decimals and drops the rest");
  }
}

RetryBudget::RetryBudget(RetryBudgetConfig config, double start) : config_(config), generation_time_(start) {
  config_.validate();
  if (config_.kind == RetryBudgetConfig::Kind::Linkerd) {
    // tower computes the amounts in f32 and truncates, so a ratio of 0.3 allows one retry per
    // 3 deposits (1/0.3 = 3.33 -> 3): kept, since that is what the proxy does.
    const auto ratio = static_cast<float>(config_.retry_ratio);
    if (ratio == 0.0F) {
      deposit_amount_ = 0;
      withdraw_amount_ = 1;
    } else if (ratio <= 1.0F) {
      deposit_amount_ = 1;
      withdraw_amount_ = static_cast<int64_t>(1.0F / ratio);
    } else {
      deposit_amount_ = 1000;
      withdraw_amount_ = static_cast<int64_t>(1000.0F / ratio);
    }
    // Duration::as_secs: whole seconds of ttl.
    reserve_ = static_cast<int64_t>(config_.min_retries_per_second) * static_cast<int64_t>(std::floor(config_.ttl)) *
               withdraw_amount_;
    window_ = config_.ttl / static_cast<double>(kSlots);
  }
  if (config_.kind == RetryBudgetConfig::Kind::Grpc) {
    max_milli_tokens_ = static_cast<int64_t>(config_.max_tokens) * 1000;
    milli_tokens_ = max_milli_tokens_;
    milli_ratio_ = milli_token_ratio(config_.token_ratio);
  }
}

RetryBudget RetryBudget::preset(std::string_view name, double start) {
  return RetryBudget(RetryBudgetConfig::preset(name), start);
}

int64_t RetryBudget::max_retries() const {
  // Envoy's RetryBudgetImpl::max(): the double converts to an integer by truncation.
  const auto by_percent = static_cast<int64_t>(config_.budget_percent / 100.0 * static_cast<double>(active_requests_));
  return std::max<int64_t>(by_percent, config_.min_retry_concurrency);
}

int64_t RetryBudget::balance() const {
  int64_t sum = writer_ + reserve_;
  for (const int64_t s : slots_) sum += s;
  return sum;
}

void RetryBudget::expire(double now) {
  double diff = now - generation_time_;
  if (!(diff >= window_)) return;  // not expired yet (also when time went backwards)
  slots_[index_] = writer_;
  writer_ = 0;
  size_t idx = (index_ + 1) % kSlots;
  // tower clears one slot per further window elapsed; past a full turn every slot is clear and
  // only the final position matters, so long idle gaps cost O(slots), not O(gap).
  const double extra = std::ceil(diff / window_) - 1;  // iterations of tower's `while diff > window`
  if (extra >= static_cast<double>(2 * kSlots)) {
    slots_.fill(0);
    idx = (idx + static_cast<size_t>(std::fmod(extra, static_cast<double>(kSlots)))) % kSlots;
  } else {
    while (diff > window_) {
      slots_[idx] = 0;
      diff -= window_;
      idx = (idx + 1) % kSlots;
    }
  }
  index_ = idx;
  generation_time_ = now;
}

void RetryBudget::deposit(double now) {
  expire(now);
  writer_ += deposit_amount_;
}

bool RetryBudget::allow_retry(double now) {
  switch (config_.kind) {
    case RetryBudgetConfig::Kind::None: return true;
    case RetryBudgetConfig::Kind::Envoy: return active_retries_ < max_retries();
    case RetryBudgetConfig::Kind::Linkerd: expire(now); return balance() >= withdraw_amount_;
    case RetryBudgetConfig::Kind::Grpc: return milli_tokens_ > max_milli_tokens_ / 2;
  }
  return true;
}

void RetryBudget::on_request(double /*now*/) { ++active_requests_; }

void RetryBudget::on_request_done() {
  if (active_requests_ > 0) --active_requests_;
}

void RetryBudget::on_retry(double now) {
  ++active_retries_;
  if (config_.kind == RetryBudgetConfig::Kind::Linkerd) {
    expire(now);
    writer_ -= withdraw_amount_;
  }
}

void RetryBudget::on_retry_done() {
  if (active_retries_ > 0) --active_retries_;
}

void RetryBudget::on_success(double now) {
  if (config_.kind == RetryBudgetConfig::Kind::Linkerd) deposit(now);
  if (config_.kind == RetryBudgetConfig::Kind::Grpc) {
    milli_tokens_ = std::min(max_milli_tokens_, milli_tokens_ + milli_ratio_);
  }
}

void RetryBudget::on_failure(double now, bool retryable) {
  // linkerd2-proxy deposits for every response it does not consider retryable, and for a
  // retryable one only tries to withdraw.
  if (config_.kind == RetryBudgetConfig::Kind::Linkerd && !retryable) deposit(now);
  if (config_.kind == RetryBudgetConfig::Kind::Grpc && retryable) {
    milli_tokens_ = std::max<int64_t>(0, milli_tokens_ - 1000);
  }
}

}  // namespace rapture
