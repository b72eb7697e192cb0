#pragma once
/// A log-bucketed histogram of durations: 32 buckets per octave from 2^-20 s (~1 µs) to
/// 2^17 s, so any quantile read from it is within 1.6 % of the true value. Recording is a
/// few integer operations (no logarithm), which keeps it off the hot path's budget.

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace rapture {

class LogHistogram {
 public:
  static constexpr int kSubBuckets = 32;  ///< buckets per octave
  static constexpr int kMinExp = -20;     ///< lowest octave starts at 2^kMinExp seconds
  static constexpr int kMaxExp = 17;      ///< highest octave ends at 2^kMaxExp seconds
  /// Bucket 0 is [0, 2^kMinExp); the last is [2^kMaxExp, inf).
  static constexpr int kBuckets = (kMaxExp - kMinExp) * kSubBuckets + 2;

  LogHistogram() : counts_(kBuckets, 0) {}

  /// The bucket of a value in seconds.
  static int bucket_of(double seconds) {
    if (!(seconds >= std::ldexp(1.0, kMinExp))) return 0;
    int exp = 0;
    const double mant = std::frexp(seconds, &exp);  // seconds = mant * 2^exp, mant in [0.5, 1)
    const int octave = exp - 1 - kMinExp;
    if (octave >= kMaxExp - kMinExp) return kBuckets - 1;
    const int sub = static_cast<int>((mant * 2.0 - 1.0) * kSubBuckets);
    return 1 + octave * kSubBuckets + sub;
  }
  /// Lower edge of a bucket, in seconds (bucket_count() + 1 edges with `edges()`).
  static double lower_edge(int bucket) {
    if (bucket <= 0) return 0.0;
    if (bucket >= kBuckets) return INFINITY;
    const int i = bucket - 1;
    return std::ldexp(1.0 + static_cast<double>(i % kSubBuckets) / kSubBuckets, kMinExp + i / kSubBuckets);
  }
  /// All bucket edges, kBuckets + 1 values (the last is +inf).
  static std::vector<double> edges();

  void record(double seconds) {
    const int b = bucket_of(seconds);
    ++counts_[b];
    ++count_;
    sum_ += seconds;
    if (b < lo_) lo_ = b;
    if (b > hi_) hi_ = b;
  }
  /// Adds every count of another histogram.
  void merge(const LogHistogram& other);
  /// Empties it; costs only the range of buckets touched since the last reset.
  void reset();

  [[nodiscard]] uint64_t count() const { return count_; }
  [[nodiscard]] double sum() const { return sum_; }
  /// Exact mean of the recorded values; NaN when empty.
  [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : NAN; }
  /// The q-quantile (q in [0, 1]) read at the middle of its bucket; NaN when empty.
  [[nodiscard]] double quantile(double q) const;
  [[nodiscard]] const std::vector<uint64_t>& counts() const { return counts_; }

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
  int lo_ = kBuckets, hi_ = -1;
};

}  // namespace rapture
