#pragma once
/// Independent, reproducible random streams. Each stream is derived from (seed, component,
/// purpose) so that two design variants see the same arrivals and service times (common
/// random numbers) and adding a component does not shift the streams of the others.

#include <cmath>
#include <cstdint>
#include <string_view>

#include <pcg_random.hpp>

namespace rapture {

/// A stable 64-bit hash of a name (FNV-1a), used to key streams by component name.
constexpr uint64_t stable_hash(std::string_view text, uint64_t h = 1469598103934665603ULL) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

class RandomStream {
 public:
  RandomStream() = default;
  /// The stream of `purpose` ("service_time", "arrivals", ...) of `component` under `seed`.
  RandomStream(uint64_t seed, std::string_view component, std::string_view purpose);

  /// Uniform on [0, 1).
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  /// Uniform integer on [0, n).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_(n)); }
  /// True with probability p.
  bool bernoulli(double p) { return p >= 1.0 || (p > 0.0 && uniform() < p); }
  /// Standard normal (Marsaglia polar method; the spare value is kept).
  double normal();
  /// Gamma with shape k and scale 1 (Marsaglia–Tsang).
  double gamma(double k);

 private:
  pcg64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace rapture
