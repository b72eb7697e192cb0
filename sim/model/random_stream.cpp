#include "model/random_stream.hpp"

namespace rapture {

namespace {
uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

RandomStream::RandomStream(uint64_t seed, std::string_view component, std::string_view purpose) {
  const uint64_t key = stable_hash(purpose, stable_hash(component) ^ 0x5bd1e995ULL);
  const uint64_t state_lo = splitmix(seed ^ key);
  const uint64_t state_hi = splitmix(state_lo ^ splitmix(seed));
  const uint64_t stream = splitmix(key);
  rng_ =
      pcg64((static_cast<pcg_extras::pcg128_t>(state_hi) << 64) | state_lo, static_cast<pcg_extras::pcg128_t>(stream));
}

double RandomStream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u = 0, v = 0, s = 0;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double m = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * m;
  has_spare_ = true;
  return u * m;
}

double RandomStream::gamma(double k) {
  if (k < 1.0) {
    // Boost for shape < 1: G(k) = G(k + 1) * U^(1/k).
    const double u = uniform();
    return gamma(k + 1.0) * std::pow(u > 0 ? u : 0x1.0p-53, 1.0 / k);
  }
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0, v = 0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace rapture
