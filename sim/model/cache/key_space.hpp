#pragma once
/// The keys requests ask a look-aside cache for: `size` keys, drawn uniformly or by Zipf's law,
/// the popularity of web objects and cache keys (Breslau et al., "Web Caching and Zipf-like
/// Distributions", INFOCOM'99). Drawing costs O(1) time and memory whatever the size, so a key
/// space of 10^12 keys costs what one of 10 does: Hörmann and Derflinger's rejection-inversion
/// sampler ("Rejection-inversion to generate variates from monotone discrete distributions",
/// ACM TOMACS 1996), the method of Apache Commons RNG's RejectionInversionZipfSampler.

#include <cstdint>

#include "model/random_stream.hpp"

namespace rapture {

class KeySpace {
 public:
  enum class Popularity : uint8_t { Uniform, Zipf };

  /// `size` keys (at least 1); with Zipf, key k (from 0) is drawn with probability proportional
  /// to 1 / (k + 1)^exponent (exponent > 0).
  KeySpace(uint64_t size, Popularity popularity, double exponent = 1.0);

  /// One key, in [0, size).
  uint64_t draw(RandomStream& rng) const;

  /// How many keys there are.
  [[nodiscard]] uint64_t size() const { return size_; }
  /// How keys are drawn.
  [[nodiscard]] Popularity popularity() const { return popularity_; }
  /// The Zipf exponent.
  [[nodiscard]] double exponent() const { return s_; }

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;

  uint64_t size_;
  Popularity popularity_;
  double s_;
  double h_integral_x1_ = 0, h_integral_n_ = 0, squeeze_ = 0;  // the sampler's constants
};

}  // namespace rapture
