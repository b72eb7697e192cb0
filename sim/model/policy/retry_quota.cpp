#include "model/policy/retry_quota.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace rapture {

RetryQuotaConfig RetryQuotaConfig::preset(std::string_view name) {
  if (name == "aws") return {};
  throw std::invalid_argument("unknown retry quota preset '" + std::string(name) + "' (expected aws)");
}

void RetryQuotaConfig::validate() const {
  auto require = [](bool ok, const char* field, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("retry quota: ") + field + " " + what);
  };
  require(capacity >= 1, "capacity", "must be at least 1");
  require(retry_cost >= 0, "retry_cost", "must be >= 0");
  require(timeout_cost >= 0, "timeout_cost", "must be >= 0");
  require(success_refill >= 0, "success_refill", "must be >= 0");
}

RetryQuota::RetryQuota(RetryQuotaConfig config) : config_(config), available_(config.capacity) { config_.validate(); }

int64_t RetryQuota::take(bool timeout) {
  const int64_t c = cost(timeout);
  available_ -= c;
  return c;
}

void RetryQuota::on_success(bool retried, int64_t taken) {
  available_ = std::min(config_.capacity, available_ + (retried ? taken : config_.success_refill));
}

}  // namespace rapture
