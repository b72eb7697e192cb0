#include "model/cache/key_space.hpp"

#include <cmath>

namespace rapture {

namespace {

/// log1p(x) / x, exact near 0.
double log1p_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

/// expm1(x) / x, exact near 0.
double expm1_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

}  // namespace

KeySpace::KeySpace(uint64_t size, Popularity popularity, double exponent)
    : size_(size < 1 ? 1 : size), popularity_(popularity), s_(exponent) {
  if (popularity_ != Popularity::Zipf) return;
  // Keys 1..n in the paper's terms; draw() shifts them to 0..n-1.
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(size_) + 0.5);
  squeeze_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
}

// h(x) = x^-s, the unnormalised probability; H its integral, chosen so that H(x) -> log x as s -> 1.
double KeySpace::h(double x) const { return std::exp(-s_ * std::log(x)); }

double KeySpace::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over_x((1 - s_) * log_x) * log_x;
}

double KeySpace::h_integral_inverse(double x) const {
  double t = x * (1 - s_);
  if (t < -1) t = -1;  // rounding near the end of the support
  return std::exp(log1p_over_x(t) * x);
}

uint64_t KeySpace::draw(RandomStream& rng) const {
  if (popularity_ == Popularity::Uniform) {
    if (size_ <= UINT32_MAX) return rng.below(static_cast<uint32_t>(size_));
    return static_cast<uint64_t>(rng.uniform() * static_cast<double>(size_)) % size_;
  }
  const double n = static_cast<double>(size_);
  for (;;) {
    // Invert H on a uniform point between H(n + 1/2) and H(3/2) - 1, round to the nearest key, and
    // accept it when it lies under h: the expected number of tries is below 1.1 for any s and n.
    const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > n) k = n;
    if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<uint64_t>(k) - 1;
  }
}

}  // namespace rapture
