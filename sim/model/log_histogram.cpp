#include "model/log_histogram.hpp"

#include <algorithm>

namespace rapture {

std::vector<double> LogHistogram::edges() {
  std::vector<double> out(kBuckets + 1);
  for (int b = 0; b <= kBuckets; ++b) out[b] = lower_edge(b);
  return out;
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.count_ == 0) return;
  for (int b = other.lo_; b <= other.hi_; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
  sum_ += other.sum_;
  lo_ = std::min(lo_, other.lo_);
  hi_ = std::max(hi_, other.hi_);
}

void LogHistogram::reset() {
  if (hi_ >= lo_) std::fill(counts_.begin() + lo_, counts_.begin() + hi_ + 1, 0);
  count_ = 0;
  sum_ = 0;
  lo_ = kBuckets;
  hi_ = -1;
}

double LogHistogram::quantile(double q) const {
  if (count_ == 0) return NAN;
  const double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
  uint64_t seen = 0;
  for (int b = lo_; b <= hi_; ++b) {
    seen += counts_[b];
    if (static_cast<double>(seen) >= target && counts_[b] > 0) {
      const double lo = lower_edge(b);
      const double hi = lower_edge(b + 1);
      if (b == 0) return hi / 2;
      if (!std::isfinite(hi)) return lo;
      return 0.5 * (lo + hi);
    }
  }
  return lower_edge(hi_);
}

}  // namespace rapture
