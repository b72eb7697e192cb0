// The key space's draws against their law: each key's frequency within five binomial standard
// deviations of its probability (a false alarm about once in 3.5 million keys checked).
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "model/cache/key_space.hpp"

namespace rapture {
namespace {

void expect_frequencies(const KeySpace& keys, const std::vector<double>& p, int draws) {
  RandomStream rng(11, "keys", "test");
  std::vector<int> count(p.size(), 0);
  for (int i = 0; i < draws; ++i) {
    const uint64_t k = keys.draw(rng);
    ASSERT_LT(k, p.size());
    ++count[k];
  }
  for (size_t k = 0; k < p.size(); ++k) {
    const double sigma = std::sqrt(p[k] * (1 - p[k]) / draws);
    EXPECT_NEAR(static_cast<double>(count[k]) / draws, p[k], 5 * sigma) << "key " << k;
  }
}

std::vector<double> zipf(int n, double s) {
  std::vector<double> p(n);
  double total = 0;
  for (int k = 0; k < n; ++k) total += p[k] = std::pow(k + 1.0, -s);
  for (auto& x : p) x /= total;
  return p;
}

TEST(KeySpaceTest, ZipfKeysAreDrawnWithProbabilityInverseToAPowerOfTheirRank) {
  for (const double s : {0.7, 1.0, 1.3}) {
    SCOPED_TRACE(s);
    expect_frequencies(KeySpace(20, KeySpace::Popularity::Zipf, s), zipf(20, s), 400'000);
  }
}

TEST(KeySpaceTest, UniformKeysAreEquallyLikely) {
  expect_frequencies(KeySpace(16, KeySpace::Popularity::Uniform), std::vector<double>(16, 1.0 / 16), 200'000);
}

TEST(KeySpaceTest, AHugeZipfSpaceDrawsWithinItAndFavoursItsFirstKeys) {
  // 10^12 keys cost no memory; key 0's probability is 1 / H(n, 1) = 1 / (ln n + 0.5772...) ~ 0.0354.
  const KeySpace keys(1'000'000'000'000ULL, KeySpace::Popularity::Zipf, 1.0);
  RandomStream rng(3, "keys", "huge");
  int first = 0;
  const int draws = 200'000;
  for (int i = 0; i < draws; ++i) {
    const uint64_t k = keys.draw(rng);
    ASSERT_LT(k, keys.size());
    first += k == 0;
  }
  const double p = 1 / (std::log(1e12) + 0.5772156649);
  EXPECT_NEAR(static_cast<double>(first) / draws, p, 5 * std::sqrt(p * (1 - p) / draws));
}

}  // namespace
}  // namespace rapture
