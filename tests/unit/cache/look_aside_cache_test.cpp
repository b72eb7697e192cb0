// The look-aside cache's contents against hand-computed hit ratios and exact expiry.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "model/cache/key_space.hpp"
#include "model/cache/look_aside_cache.hpp"

namespace rapture {
namespace {

struct Counts {
  int lookups = 0, hits = 0;
  [[nodiscard]] double ratio() const { return static_cast<double>(hits) / lookups; }
};

/// Cache-aside traffic: look up, and on a miss fill at once (the backend answers instantly).
Counts traffic(LookAsideCache& cache, const KeySpace& keys, RandomStream& rng, int requests, double& now) {
  Counts c;
  for (int i = 0; i < requests; ++i, now += 0.001) {
    const uint64_t k = keys.draw(rng);
    ++c.lookups;
    if (cache.lookup(k, now)) {
      ++c.hits;
    } else {
      cache.fill(k, now);
    }
  }
  return c;
}

TEST(LookAsideCacheTest, ACacheHoldingEveryZipfKeyMissesOnlyOnAKeysFirstRequestAfterWarmUp) {
  const KeySpace keys(1000, KeySpace::Popularity::Zipf, 1.0);
  LookAsideCache cache(1000, LookAsideCache::Eviction::Lru, INFINITY);
  RandomStream rng(5, "cache", "zipf");
  double now = 0;
  std::set<uint64_t> seen;
  for (int i = 0; i < 100'000; ++i) {  // warm-up
    const uint64_t k = keys.draw(rng);
    seen.insert(k);
    if (!cache.lookup(k, now)) cache.fill(k, now);
  }
  int lookups = 0, hits = 0, first_requests = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t k = keys.draw(rng);
    first_requests += seen.insert(k).second;
    ++lookups;
    if (cache.lookup(k, now)) {
      ++hits;
    } else {
      cache.fill(k, now);
    }
  }
  EXPECT_EQ(lookups - hits, first_requests);  // nothing evicted, nothing expired
  EXPECT_GT(static_cast<double>(hits) / lookups, 0.99);
}

TEST(LookAsideCacheTest, UniformKeysTwiceTheCapacityHitHalfTheTimeUnderLruAndFifo) {
  // Independent uniform requests: any eviction that ignores which key comes next holds C of the
  // N keys, so a request hits with probability C / N = 1/2. Successive requests are nearly
  // independent: over 200,000 of them the standard deviation is ~0.0011; 0.01 is 9 of them.
  for (const auto eviction : {LookAsideCache::Eviction::Lru, LookAsideCache::Eviction::Fifo}) {
    const KeySpace keys(2000, KeySpace::Popularity::Uniform);
    LookAsideCache cache(1000, eviction, INFINITY);
    RandomStream rng(7, "cache", "uniform");
    double now = 0;
    traffic(cache, keys, rng, 50'000, now);
    EXPECT_NEAR(traffic(cache, keys, rng, 200'000, now).ratio(), 0.5, 0.01);
    EXPECT_EQ(cache.size(), 1000u);
  }
}

TEST(LookAsideCacheTest, LruEvictsTheLeastRecentlyUsedAndFifoTheFirstFilled) {
  LookAsideCache lru(2, LookAsideCache::Eviction::Lru, INFINITY);
  LookAsideCache fifo(2, LookAsideCache::Eviction::Fifo, INFINITY);
  for (auto* cache : {&lru, &fifo}) {
    cache->fill(1, 0);
    cache->fill(2, 1);
    EXPECT_TRUE(cache->lookup(1, 2));  // 1 used after 2 was filled
    cache->fill(3, 3);
  }
  EXPECT_TRUE(lru.lookup(1, 4));
  EXPECT_FALSE(lru.lookup(2, 4));
  EXPECT_FALSE(fifo.lookup(1, 4));
  EXPECT_TRUE(fifo.lookup(2, 4));
}

TEST(LookAsideCacheTest, AnEntryExpiresExactlyItsTtlAfterItWasFilledAndKeysFilledTogetherExpireTogether) {
  LookAsideCache cache(100, LookAsideCache::Eviction::Lru, 10);
  for (uint64_t k = 0; k < 50; ++k) cache.fill(k, 0.001 * static_cast<double>(k));
  EXPECT_TRUE(cache.lookup(0, 9.999));
  EXPECT_FALSE(cache.lookup(0, 10.0));  // filled at 0, fresh while now < 10
  EXPECT_TRUE(cache.lookup(49, 10.0));
  int fresh = 0;
  for (uint64_t k = 1; k < 50; ++k) fresh += cache.lookup(k, 10.05);
  EXPECT_EQ(fresh, 0);  // all filled within 0.05 s of each other: all gone at once
  EXPECT_EQ(cache.size(), 0u);
  cache.fill(7, 20);
  EXPECT_TRUE(cache.lookup(7, 29.9));  // a refill is fresh from its own time
}

TEST(LookAsideCacheTest, AFlushDropsEveryKeyOrAShareOfThem) {
  LookAsideCache cache(10'000, LookAsideCache::Eviction::Lru, INFINITY);
  RandomStream rng(9, "cache", "flush");
  for (uint64_t k = 0; k < 10'000; ++k) cache.fill(k * 7919, 0);
  const uint32_t dropped = cache.flush(0.3, rng);
  // Binomial(10,000, 0.3): standard deviation 45.8; 5 of them.
  EXPECT_NEAR(dropped, 3000, 230);
  EXPECT_EQ(cache.size(), 10'000u - dropped);
  int held = 0;
  for (uint64_t k = 0; k < 10'000; ++k) held += cache.lookup(k * 7919, 1);
  EXPECT_EQ(held, static_cast<int>(cache.size()));
  const uint32_t left = cache.size();
  EXPECT_EQ(cache.flush(1.0, rng), left);
  EXPECT_EQ(cache.size(), 0u);
  for (uint64_t k = 0; k < 100; ++k) EXPECT_FALSE(cache.lookup(k * 7919, 2));
}

TEST(LookAsideCacheTest, MemoryIsFixedByTheCapacityNotByTheKeySpace) {
  const KeySpace keys(1'000'000'000'000ULL, KeySpace::Popularity::Uniform);
  LookAsideCache cache(1000, LookAsideCache::Eviction::Lru, INFINITY);
  const uint64_t bytes = cache.memory_bytes();
  RandomStream rng(13, "cache", "memory");
  double now = 0;
  const Counts c = traffic(cache, keys, rng, 200'000, now);
  EXPECT_EQ(cache.size(), 1000u);
  EXPECT_EQ(cache.memory_bytes(), bytes);
  EXPECT_LT(c.hits, 5);  // 10^12 keys: a repeat is all but impossible
  EXPECT_EQ(bytes, LookAsideCache::memory_bytes_for(1000));
}

}  // namespace
}  // namespace rapture
